#include "worker/s3_error.hpp"

#include "core/http_status.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>

namespace cctv::worker::s3 {

namespace {

constexpr std::size_t k_max_detail = 300;

// One line, bounded: control characters become spaces, runs of spaces collapse.
std::string one_line(std::string_view text, std::size_t limit) {
  std::string out;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    const char d = u < 0x20 || u == 0x7f ? ' ' : c;
    if (d == ' ' && (out.empty() || out.back() == ' ')) continue;
    out.push_back(d);
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  if (out.size() > limit) {
    out.resize(limit);
    out += "...";
  }
  return out;
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xc0U | (cp >> 6U)));
    out.push_back(static_cast<char>(0x80U | (cp & 0x3fU)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xe0U | (cp >> 12U)));
    out.push_back(static_cast<char>(0x80U | ((cp >> 6U) & 0x3fU)));
    out.push_back(static_cast<char>(0x80U | (cp & 0x3fU)));
  } else if (cp < 0x110000) {
    out.push_back(static_cast<char>(0xf0U | (cp >> 18U)));
    out.push_back(static_cast<char>(0x80U | ((cp >> 12U) & 0x3fU)));
    out.push_back(static_cast<char>(0x80U | ((cp >> 6U) & 0x3fU)));
    out.push_back(static_cast<char>(0x80U | (cp & 0x3fU)));
  }
}

std::string decode_entities(std::string_view text) {
  static constexpr std::array<std::pair<std::string_view, char>, 5> k_named{
      {{"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"apos", '\''}}};
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    const auto amp = text.find('&');
    out += text.substr(0, amp);
    if (amp == std::string_view::npos) break;
    text.remove_prefix(amp);
    const auto semi = text.find(';');
    if (semi > 10) {  // also npos: no ';' at all
      out.push_back('&');
      text.remove_prefix(1);
      continue;
    }
    const std::string_view name = text.substr(1, semi - 1);
    bool done = false;
    for (const auto& [entity, c] : k_named) {
      if (name == entity) {
        out.push_back(c);
        done = true;
      }
    }
    if (!done && name.size() > 1 && name.front() == '#') {
      const bool hex = name[1] == 'x' || name[1] == 'X';
      const std::string_view digits = name.substr(hex ? 2 : 1);
      std::uint32_t cp = 0;
      auto [end, ec] =
          std::from_chars(digits.data(), digits.data() + digits.size(), cp, hex ? 16 : 10);
      if (ec == std::errc() && end == digits.data() + digits.size() && !digits.empty()) {
        append_utf8(out, cp);
        done = true;
      }
    }
    if (done) {
      text.remove_prefix(semi + 1);
    } else {
      out.push_back('&');
      text.remove_prefix(1);
    }
  }
  return out;
}

bool one_of(std::string_view code, std::initializer_list<std::string_view> codes) {
  return std::find(codes.begin(), codes.end(), code) != codes.end();
}

}  // namespace

bool is_retryable(ErrorKind kind) {
  return kind == ErrorKind::unavailable || kind == ErrorKind::timeout;
}

std::string_view error_class(const Error& error) {
  return is_retryable(error) ? "retryable" : "permanent";
}

std::optional<std::string> xml_text(std::string_view xml, std::string_view tag) {
  const std::string open = "<" + std::string(tag) + ">";
  const std::string close = "</" + std::string(tag) + ">";
  const auto start = xml.find(open);
  if (start == std::string_view::npos) return std::nullopt;
  const auto end = xml.find(close, start + open.size());
  if (end == std::string_view::npos) return std::nullopt;
  return decode_entities(xml.substr(start + open.size(), end - start - open.size()));
}

ErrorBody parse_error_body(std::string_view xml) {
  ErrorBody out;
  if (xml.find("<Error>") == std::string_view::npos) return out;
  out.code = one_line(xml_text(xml, "Code").value_or(""), 64);
  out.message = one_line(xml_text(xml, "Message").value_or(""), k_max_detail);
  return out;
}

ErrorKind classify_http(long status, std::string_view code) {
  if (one_of(code,
             {"SlowDown", "RequestTimeout", "RequestTimeTooSkewed", "InternalError",
              "ServiceUnavailable", "OperationAborted", "Throttling", "ThrottlingException",
              "RequestLimitExceeded", "TooManyRequests", "RequestThrottled",
              "ProvisionedThroughputExceededException", "EC2ThrottledException",
              "BandwidthLimitExceeded", "PriorRequestNotComplete", "IDPCommunicationError"})) {
    return ErrorKind::unavailable;
  }
  if (status >= 500 || status == 429 || status == 408) return ErrorKind::unavailable;
  if (one_of(code, {"BadDigest", "InvalidDigest", "XAmzContentSHA256Mismatch", "IncompleteBody"})) {
    return ErrorKind::data_loss;
  }
  if (status == 404) return ErrorKind::not_found;
  return ErrorKind::invalid_argument;  // 3xx (wrong region), 400, 403, 405, 409, 411...
}

Error http_error(std::string_view what, long status, std::string_view body) {
  const ErrorBody parsed = parse_error_body(body);
  std::string message = std::string(what) + ": HTTP " + std::to_string(status);
  if (!parsed.code.empty()) {
    message += " " + parsed.code;
  } else if (const auto text = http_reason_phrase(status); !text.empty()) {
    message += " " + std::string(text);
  }
  if (!parsed.message.empty()) message += ": " + parsed.message;
  return Error{classify_http(status, parsed.code), message};
}

ErrorKind classify_curl(int curl_code) {
  switch (static_cast<CURLcode>(curl_code)) {
    case CURLE_OK:
      return ErrorKind::internal;
    case CURLE_OPERATION_TIMEDOUT:
      return ErrorKind::timeout;
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_NOT_BUILT_IN:
    case CURLE_FUNCTION_NOT_FOUND:
    case CURLE_BAD_FUNCTION_ARGUMENT:
    case CURLE_UNKNOWN_OPTION:
      return ErrorKind::invalid_argument;
    case CURLE_READ_ERROR:
    case CURLE_FILE_COULDNT_READ_FILE:
      return ErrorKind::data_loss;
    case CURLE_OUT_OF_MEMORY:
    case CURLE_FAILED_INIT:
      return ErrorKind::internal;
    default:
      // Connection refused or reset, DNS, TLS handshake, a reply cut short, a proxy...:
      // a peer that may be back later.
      return ErrorKind::unavailable;
  }
}

Error curl_error(std::string_view what, int curl_code, std::string_view detail) {
  std::string message =
      std::string(what) + ": " + curl_easy_strerror(static_cast<CURLcode>(curl_code));
  const std::string extra = one_line(detail, k_max_detail);
  if (!extra.empty()) message += " (" + extra + ")";
  return Error{classify_curl(curl_code), message};
}

}  // namespace cctv::worker::s3
