#include "core/s3_sigv4.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <map>

namespace cctv::sigv4 {

namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Trim() and the collapse of inner runs of spaces that S3's canonical headers require.
std::string normalize_value(std::string_view value) {
  const auto is_space = [](char c) { return c == ' ' || c == '\t'; };
  while (!value.empty() && is_space(value.front())) value.remove_prefix(1);
  while (!value.empty() && is_space(value.back())) value.remove_suffix(1);
  std::string out;
  out.reserve(value.size());
  bool in_space = false;
  for (char c : value) {
    if (is_space(c)) {
      in_space = true;
      continue;
    }
    if (in_space) out.push_back(' ');
    in_space = false;
    out.push_back(c);
  }
  return out;
}

std::string date_part(std::chrono::sys_seconds time) { return amz_date(time).substr(0, 8); }

bool has_header(const Params& headers, std::string_view name) {
  return std::any_of(headers.begin(), headers.end(),
                     [&](const auto& h) { return lower(h.first) == name; });
}

}  // namespace

std::string amz_date(std::chrono::sys_seconds time) {
  const auto day = std::chrono::floor<std::chrono::days>(time);
  const std::chrono::year_month_day ymd(day);
  const std::chrono::hh_mm_ss hms(time - day);
  std::array<char, 32> text{};
  std::snprintf(text.data(), text.size(),
                "%04d%02u%02u"
                "T"
                "%02d%02d%02dZ",
                static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()), static_cast<int>(hms.hours().count()),
                static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count()));
  return text.data();
}

std::string credential_scope(std::chrono::sys_seconds time, std::string_view region,
                             std::string_view service) {
  return date_part(time) + "/" + std::string(region) + "/" + std::string(service) + "/aws4_request";
}

std::string uri_encode(std::string_view text, bool keep_slash) {
  static constexpr std::string_view k_hex = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) != 0 || c == '-' || c == '.' || c == '_' || c == '~' ||
        (keep_slash && c == '/')) {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(k_hex[u >> 4U]);
      out.push_back(k_hex[u & 0x0fU]);
    }
  }
  return out;
}

std::string canonical_uri(std::string_view path) {
  return path.empty() ? std::string("/") : uri_encode(path, true);
}

std::string canonical_query(const Params& query) {
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(query.size());
  for (const auto& [name, value] : query) {
    encoded.emplace_back(uri_encode(name, false), uri_encode(value, false));
  }
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [name, value] : encoded) {
    if (!out.empty()) out.push_back('&');
    out += name;
    out.push_back('=');
    out += value;
  }
  return out;
}

CanonicalHeaders canonical_headers(const Params& headers) {
  std::map<std::string, std::string> merged;
  for (const auto& [name, value] : headers) {
    std::string& slot = merged[lower(name)];
    if (!slot.empty()) slot.push_back(',');
    slot += normalize_value(value);
  }
  CanonicalHeaders out;
  for (const auto& [name, value] : merged) {
    out.text += name;
    out.text += ':';
    out.text += value;
    out.text += '\n';
    if (!out.signed_headers.empty()) out.signed_headers.push_back(';');
    out.signed_headers += name;
  }
  return out;
}

std::string canonical_request(const Request& request) {
  const CanonicalHeaders headers = canonical_headers(request.headers);
  return request.method + "\n" + canonical_uri(request.path) + "\n" +
         canonical_query(request.query) + "\n" + headers.text + "\n" + headers.signed_headers +
         "\n" + request.payload_sha256;
}

std::string hex(const unsigned char* data, std::size_t size) {
  static constexpr std::string_view k_digits = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    const unsigned char byte = data[i];  // NOLINT(cppcoreguidelines-pro-bounds-pointer-arithmetic)
    out.push_back(k_digits[byte >> 4U]);
    out.push_back(k_digits[byte & 0x0fU]);
  }
  return out;
}

Result<std::string> sha256_hex(std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1) {
    return fail(ErrorKind::internal, "EVP_Digest(sha256) failed");
  }
  return hex(digest.data(), length);
}

Result<std::array<unsigned char, 32>> hmac_sha256(std::string_view key, std::string_view data) {
  std::array<unsigned char, 32> out{};
  unsigned int length = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(),
           &length) == nullptr ||
      length != out.size()) {
    return fail(ErrorKind::internal, "HMAC(sha256) failed");
  }
  return out;
}

Result<std::string> string_to_sign(std::chrono::sys_seconds time, std::string_view region,
                                   std::string_view canonical, std::string_view service) {
  auto hash = sha256_hex(canonical);
  if (!hash) return std::unexpected(hash.error());
  return std::string(k_algorithm) + "\n" + amz_date(time) + "\n" +
         credential_scope(time, region, service) + "\n" + *hash;
}

Result<std::array<unsigned char, 32>> signing_key(std::string_view secret,
                                                  std::chrono::sys_seconds time,
                                                  std::string_view region,
                                                  std::string_view service) {
  const auto as_view = [](const std::array<unsigned char, 32>& key) {
    return std::string_view(reinterpret_cast<const char*>(key.data()), key.size());
  };
  auto date_key = hmac_sha256("AWS4" + std::string(secret), date_part(time));
  if (!date_key) return date_key;
  auto region_key = hmac_sha256(as_view(*date_key), region);
  if (!region_key) return region_key;
  auto service_key = hmac_sha256(as_view(*region_key), service);
  if (!service_key) return service_key;
  return hmac_sha256(as_view(*service_key), "aws4_request");
}

Result<std::string> signature(std::string_view secret, std::chrono::sys_seconds time,
                              std::string_view region, std::string_view to_sign,
                              std::string_view service) {
  auto key = signing_key(secret, time, region, service);
  if (!key) return std::unexpected(key.error());
  auto mac = hmac_sha256(std::string_view(reinterpret_cast<const char*>(key->data()), key->size()),
                         to_sign);
  if (!mac) return std::unexpected(mac.error());
  return hex(mac->data(), mac->size());
}

Result<SignedRequest> sign(const Request& request, const Credentials& credentials,
                           std::string_view region, std::chrono::sys_seconds time) {
  if (credentials.access_key_id.empty()) {
    return fail(ErrorKind::invalid_argument, "no S3 access key id");
  }
  for (std::string_view reserved :
       {"host", "x-amz-date", "x-amz-content-sha256", "x-amz-security-token", "authorization"}) {
    if (has_header(request.headers, reserved)) {
      return fail(ErrorKind::internal,
                  "sigv4::sign: header " + std::string(reserved) + " is set by the signer");
    }
  }
  Request full = request;
  full.headers.emplace_back("host", request.host);
  full.headers.emplace_back("x-amz-date", amz_date(time));
  full.headers.emplace_back("x-amz-content-sha256", request.payload_sha256);
  if (!credentials.session_token.empty()) {
    full.headers.emplace_back("x-amz-security-token", credentials.session_token);
  }
  SignedRequest out;
  out.canonical_request = canonical_request(full);
  auto to_sign = string_to_sign(time, region, out.canonical_request);
  if (!to_sign) return std::unexpected(to_sign.error());
  out.string_to_sign = std::move(*to_sign);
  auto sig = signature(credentials.secret_access_key, time, region, out.string_to_sign);
  if (!sig) return std::unexpected(sig.error());
  out.signed_headers = canonical_headers(full.headers).signed_headers;
  out.authorization = std::string(k_algorithm) + " Credential=" + credentials.access_key_id + "/" +
                      credential_scope(time, region) + ",SignedHeaders=" + out.signed_headers +
                      ",Signature=" + *sig;
  for (auto& [name, value] : full.headers) out.headers.emplace_back(lower(name), value);
  std::sort(out.headers.begin(), out.headers.end());
  return out;
}

Result<std::string> presign(const Request& request, const Credentials& credentials,
                            std::string_view region, std::chrono::sys_seconds time,
                            std::chrono::seconds expires) {
  if (credentials.access_key_id.empty()) {
    return fail(ErrorKind::invalid_argument, "no S3 access key id");
  }
  if (expires < std::chrono::seconds(1) || expires > k_max_presign_expiry) {
    return fail(
        ErrorKind::invalid_argument,
        "presigned URL expiry " + std::to_string(expires.count()) + " s is out of range 1..604800");
  }
  Request full = request;
  if (!has_header(full.headers, "host")) full.headers.emplace_back("host", request.host);
  full.payload_sha256 = std::string(k_unsigned_payload);
  const CanonicalHeaders headers = canonical_headers(full.headers);
  full.query.emplace_back("X-Amz-Algorithm", std::string(k_algorithm));
  full.query.emplace_back("X-Amz-Credential",
                          credentials.access_key_id + "/" + credential_scope(time, region));
  full.query.emplace_back("X-Amz-Date", amz_date(time));
  full.query.emplace_back("X-Amz-Expires", std::to_string(expires.count()));
  full.query.emplace_back("X-Amz-SignedHeaders", headers.signed_headers);
  if (!credentials.session_token.empty()) {
    full.query.emplace_back("X-Amz-Security-Token", credentials.session_token);
  }
  auto to_sign = string_to_sign(time, region, canonical_request(full));
  if (!to_sign) return std::unexpected(to_sign.error());
  auto sig = signature(credentials.secret_access_key, time, region, *to_sign);
  if (!sig) return std::unexpected(sig.error());
  return canonical_query(full.query) + "&X-Amz-Signature=" + *sig;
}

}  // namespace cctv::sigv4
