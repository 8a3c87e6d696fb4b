// The s3Config and awsCredentials sections of the config (docs/s3.md), and the
// credentials from the environment.
#include "core/config.hpp"
#include "core/config_reader.hpp"
#include "core/log.hpp"

#include <algorithm>
#include <cctype>
#include <string>

namespace cctv {
namespace config_detail {
namespace {

// A key that has an alias (s3Bucket / bucket): either may be given, both only if equal.
Result<void> aliased_string(ObjectReader& r, std::string_view name, std::string_view alias,
                            std::string& out) {
  std::string main_value;
  std::string alias_value;
  CCTV_TRY(r.string(name, main_value));
  CCTV_TRY(r.string(alias, alias_value));
  if (!main_value.empty() && !alias_value.empty() && main_value != alias_value) {
    return fail(ErrorKind::invalid_argument, r.path_of(alias) + ": differs from " +
                                                 std::string(name) + " (" + std::string(alias) +
                                                 " is its alias; give one)");
  }
  if (!main_value.empty()) out = main_value;
  if (!alias_value.empty()) out = alias_value;
  return {};
}

bool all_of_chars(std::string_view text, std::string_view extra, bool upper, bool lower_case) {
  return std::all_of(text.begin(), text.end(), [&](char c) {
    const auto u = static_cast<unsigned char>(c);
    return std::isdigit(u) != 0 || (upper && std::isupper(u) != 0) ||
           (lower_case && std::islower(u) != 0) || extra.find(c) != std::string_view::npos;
  });
}

// S3's bucket naming rules for virtual-hosted addressing (the name is a DNS label), and a
// looser check (also '_' and capitals, as some S3-compatible stores allow) for path-style.
Result<void> check_bucket(const S3Config& s3, const std::string& path) {
  const std::string& b = s3.bucket;
  const bool dns = b.size() >= 3 && b.size() <= 63 && all_of_chars(b, ".-", false, true) &&
                   std::isalnum(static_cast<unsigned char>(b.front())) != 0 &&
                   std::isalnum(static_cast<unsigned char>(b.back())) != 0 &&
                   b.find("..") == std::string::npos;
  if (dns) return {};
  const bool loose = b.size() <= 255 && all_of_chars(b, "._-", true, true);
  if (loose && s3.path_style) return {};
  return fail(ErrorKind::invalid_argument,
              path + ": \"" + b + "\" is not a valid bucket name" +
                  (loose ? " for virtual-hosted addressing (3..63 of a-z 0-9 . -); set "
                           "s3Config.pathStyle to true"
                         : " (letters, digits, '.', '-', '_')"));
}

// s3Path: a key prefix; '/' at either end dropped, no empty, "." or ".." segment.
Result<void> normalize_prefix(std::string& prefix, const std::string& path) {
  while (prefix.starts_with('/')) prefix.erase(0, 1);
  while (prefix.ends_with('/')) prefix.pop_back();
  if (has_control_character(prefix) || prefix.find('\\') != std::string::npos ||
      prefix.size() > 512) {
    return fail(ErrorKind::invalid_argument,
                path + ": contains a control character or a backslash, or is too long");
  }
  if (prefix.empty()) return {};
  bool bad_segment = false;
  for (std::size_t start = 0; start != std::string::npos && !bad_segment;) {
    const std::size_t slash = prefix.find('/', start);
    const std::string segment = prefix.substr(start, slash - start);
    bad_segment = segment.empty() || segment == "." || segment == "..";
    start = slash == std::string::npos ? slash : slash + 1;
  }
  if (bad_segment) {
    return fail(ErrorKind::invalid_argument,
                path + ": \"" + prefix + "\" has an empty, \".\" or \"..\" segment");
  }
  return {};
}

// endpoint: "http(s)://host[:port]" with nothing after it but an optional '/'.
Result<void> check_endpoint(std::string& endpoint, const std::string& path) {
  if (endpoint.ends_with('/')) endpoint.pop_back();
  const auto scheme_end = endpoint.find("://");
  const std::string scheme =
      scheme_end == std::string::npos ? "" : lower(endpoint.substr(0, scheme_end));
  const std::string authority =
      scheme_end == std::string::npos ? "" : endpoint.substr(scheme_end + 3);
  if ((scheme != "http" && scheme != "https") || authority.empty() ||
      authority.find_first_of("/?#@ \t") != std::string::npos || has_control_character(endpoint) ||
      authority.starts_with(':')) {
    return fail(ErrorKind::invalid_argument,
                path + ": \"" + log::redact_url(endpoint) +
                    "\" is not an endpoint URL (http:// or https://, a host, an optional port, "
                    "no path)");
  }
  return {};
}

// Secrets are checked without ever being quoted.
Result<void> check_credential(std::string_view value, const std::string& path, bool secret) {
  const bool bad = std::any_of(value.begin(), value.end(), [secret](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x21 || u == 0x7f || (!secret && u > 0x7e);
  });
  if (bad) {
    return fail(ErrorKind::invalid_argument,
                path + ": contains a space or a control character" +
                    (secret ? std::string() : " (\"" + std::string(value) + "\")"));
  }
  return {};
}

}  // namespace

Result<void> read_s3_config(ObjectReader& r, S3Config& s3) {
  CCTV_TRY(aliased_string(r, "s3Bucket", "bucket", s3.bucket));
  CCTV_TRY(aliased_string(r, "s3Path", "prefix", s3.prefix));
  CCTV_TRY(r.string("region", s3.region));
  CCTV_TRY(r.string("endpoint", s3.endpoint));
  CCTV_TRY(r.boolean("pathStyle", s3.path_style));
  CCTV_TRY(r.string("storageClass", s3.storage_class));
  CCTV_TRY(r.integer("multipartThresholdMB", s3.multipart_threshold_mb, 5, 5120));
  CCTV_TRY(r.integer("multipartPartSizeMB", s3.multipart_part_size_mb, 5, 5120));
  CCTV_TRY(r.integer("uploadConcurrency", s3.upload_concurrency, 1, 64));
  CCTV_TRY(r.integer("uploadLimitKBps", s3.upload_limit_kbps, 0, 10000000));
  CCTV_TRY(r.integer("presignSeconds", s3.presign_seconds, 1, 604800));
  CCTV_TRY(r.boolean("uploadSegments", s3.upload_segments));
  CCTV_TRY(r.boolean("verifyTls", s3.verify_tls));
  CCTV_TRY(r.check_unknown());  // a misspelt key first: it may explain a bad value
  const std::string bucket_key = r.find("s3Bucket") != nullptr ? "s3Bucket" : "bucket";
  if (!s3.bucket.empty()) CCTV_TRY(check_bucket(s3, r.path_of(bucket_key)));
  const std::string prefix_key = r.find("prefix") != nullptr ? "prefix" : "s3Path";
  CCTV_TRY(normalize_prefix(s3.prefix, r.path_of(prefix_key)));
  if (s3.region.empty() || s3.region.size() > 64 || !all_of_chars(s3.region, "-", false, true)) {
    return fail(ErrorKind::invalid_argument, r.path_of("region") + ": \"" + s3.region +
                                                 "\" is not a region name (e.g. \"eu-central-1\")");
  }
  if (!s3.endpoint.empty()) CCTV_TRY(check_endpoint(s3.endpoint, r.path_of("endpoint")));
  if (!s3.storage_class.empty() &&
      (s3.storage_class.size() > 64 || !all_of_chars(s3.storage_class, "_", true, false))) {
    return fail(ErrorKind::invalid_argument,
                r.path_of("storageClass") + ": \"" + s3.storage_class +
                    "\" is not a storage class (e.g. STANDARD_IA, GLACIER_IR)");
  }
  return {};
}

Result<void> read_aws_credentials(ObjectReader& r, S3Config& s3) {
  CCTV_TRY(r.string("accessKeyId", s3.access_key_id));
  CCTV_TRY(r.string("secretAccessKey", s3.secret_access_key));
  CCTV_TRY(r.string("sessionToken", s3.session_token));
  CCTV_TRY(r.check_unknown());
  CCTV_TRY(check_credential(s3.access_key_id, r.path_of("accessKeyId"), false));
  CCTV_TRY(check_credential(s3.secret_access_key, r.path_of("secretAccessKey"), true));
  CCTV_TRY(check_credential(s3.session_token, r.path_of("sessionToken"), true));
  if (s3.access_key_id.empty() != s3.secret_access_key.empty()) {
    return fail(ErrorKind::invalid_argument,
                r.path_of(s3.access_key_id.empty() ? "accessKeyId" : "secretAccessKey") +
                    ": missing (give both accessKeyId and secretAccessKey)");
  }
  if (!s3.session_token.empty() && s3.access_key_id.empty()) {
    return fail(ErrorKind::invalid_argument,
                r.path_of("sessionToken") + ": given without accessKeyId and secretAccessKey");
  }
  if (!s3.access_key_id.empty()) s3.credentials_source = "config";
  return {};
}

}  // namespace config_detail

// With S3 on and no awsCredentials, the usual AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY /
// AWS_SESSION_TOKEN environment variables; one of the two is required.
Result<void> finish_s3_credentials(S3Config& s3,
                                   const std::function<const char*(const char*)>& env) {
  if (!s3.enabled() || !s3.access_key_id.empty()) return {};
  const auto get = [&](const char* name) {
    const char* value = env(name);
    return std::string(value == nullptr ? "" : value);
  };
  s3.access_key_id = get("AWS_ACCESS_KEY_ID");
  s3.secret_access_key = get("AWS_SECRET_ACCESS_KEY");
  s3.session_token = get("AWS_SESSION_TOKEN");
  if (s3.access_key_id.empty() || s3.secret_access_key.empty()) {
    s3.access_key_id.clear();
    s3.secret_access_key.clear();
    s3.session_token.clear();
    return fail(ErrorKind::invalid_argument,
                "awsCredentials: missing (S3 sync is on: give awsCredentials.accessKeyId and "
                "secretAccessKey, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)");
  }
  CCTV_TRY(config_detail::check_credential(s3.access_key_id, "$AWS_ACCESS_KEY_ID", false));
  CCTV_TRY(config_detail::check_credential(s3.secret_access_key, "$AWS_SECRET_ACCESS_KEY", true));
  CCTV_TRY(config_detail::check_credential(s3.session_token, "$AWS_SESSION_TOKEN", true));
  s3.credentials_source = "environment";
  return {};
}

std::string S3Config::key_for(std::string_view relative) const {
  while (relative.starts_with('/')) relative.remove_prefix(1);
  return prefix.empty() ? std::string(relative) : prefix + "/" + std::string(relative);
}

}  // namespace cctv
