// AWS Signature Version 4 for S3, pure: a request description, credentials and a time
// in, an Authorization header (or a presigned query string) out. No I/O, no clock: the
// caller passes the time, so every step is tested against AWS's published examples
// (tests/unit/s3_sigv4_test.cpp). HMAC-SHA256 and SHA-256 come from OpenSSL.
//
// Paths and query parameters are given *unencoded* ("/cam 1/a+b.ts") and encoded here,
// once, with S3's rules (RFC 3986 unreserved characters kept, '/' kept in paths, every
// other byte as %XX with uppercase hex). The URL the caller sends must use the same
// encoding: build it from canonical_uri() and the returned query, never from the raw key.
#pragma once

#include "core/error.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cctv::sigv4 {

// The hex SHA-256 of an empty body, and the marker for a payload left unsigned
// (presigned URLs, where the body is not known).
inline constexpr std::string_view k_empty_payload_sha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
inline constexpr std::string_view k_unsigned_payload = "UNSIGNED-PAYLOAD";
inline constexpr std::string_view k_algorithm = "AWS4-HMAC-SHA256";

// Longest validity of a presigned URL that S3 accepts: 7 days.
inline constexpr std::chrono::seconds k_max_presign_expiry{604800};

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;  // secret: never logged, never in an error message
  std::string session_token;      // temporary credentials (STS); "" = none
};

// Ordered name/value pairs: query parameters or headers.
using Params = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method;  // "GET", "PUT", "HEAD", "POST", "DELETE"
  std::string host;    // the Host header as sent: "bucket.s3.amazonaws.com", "127.0.0.1:4569"
  std::string path;    // unencoded, from '/': "/test$file.text", "/bucket/cam1/a b.ts"
  Params query;        // unencoded names and values; a valueless one ("?uploads") has ""
  Params headers;      // further headers to sign and send: range, content-md5, content-type,
                       // x-amz-storage-class... (not host, x-amz-date, x-amz-content-sha256)
  // Hex SHA-256 of the body as sent in x-amz-content-sha256, or k_unsigned_payload.
  std::string payload_sha256 = std::string(k_empty_payload_sha256);
};

// A request signed for the Authorization header.
struct SignedRequest {
  // The Authorization header's value. It is derived from the secret: never log it.
  std::string authorization;
  // Every header to send, names in lowercase, sorted: the caller's, plus host, x-amz-date,
  // x-amz-content-sha256 and (with a session token) x-amz-security-token.
  Params headers;
  std::string signed_headers;     // "host;range;x-amz-content-sha256;x-amz-date"
  std::string canonical_request;  // for tests and debugging (holds no secret)
  std::string string_to_sign;     // likewise
};

// "20130524T000000Z" (ISO 8601 basic format, UTC).
std::string amz_date(std::chrono::sys_seconds time);

// The credential scope: "20130524/us-east-1/s3/aws4_request".
std::string credential_scope(std::chrono::sys_seconds time, std::string_view region,
                             std::string_view service = "s3");

// S3's UriEncode(): unreserved characters (A-Z a-z 0-9 - . _ ~) kept, '/' kept when
// `keep_slash`, every other byte %XX (uppercase). Encoding an encoded text encodes its
// '%' again: give raw text only.
std::string uri_encode(std::string_view text, bool keep_slash);

// The canonical (and sent) path: uri_encode(path, true); "" becomes "/".
std::string canonical_uri(std::string_view path);

// The canonical query string: names and values encoded ('/' too), sorted by name then
// value, "name=value" joined with '&' ("lifecycle=", "max-keys=2&prefix=J").
std::string canonical_query(const Params& query);

// Canonical headers ("name:value\n" each, names lowercased, values trimmed with inner
// runs of spaces collapsed, sorted, repeated names joined with ',') and the
// signed-headers list ("host;range;...").
struct CanonicalHeaders {
  std::string text;
  std::string signed_headers;
};
CanonicalHeaders canonical_headers(const Params& headers);

// The canonical request of `request` whose headers are complete (host and x-amz-* in).
std::string canonical_request(const Request& request);

// Lowercase hex of bytes.
std::string hex(const unsigned char* data, std::size_t size);

// Hex SHA-256 of `data`.
Result<std::string> sha256_hex(std::string_view data);

// HMAC-SHA256(key, data).
Result<std::array<unsigned char, 32>> hmac_sha256(std::string_view key, std::string_view data);

// "AWS4-HMAC-SHA256\n<amz date>\n<scope>\n<hex sha256 of the canonical request>".
Result<std::string> string_to_sign(std::chrono::sys_seconds time, std::string_view region,
                                   std::string_view canonical, std::string_view service = "s3");

// The signing key: HMAC chain over "AWS4" + secret, the date, region, service, "aws4_request".
Result<std::array<unsigned char, 32>> signing_key(std::string_view secret,
                                                  std::chrono::sys_seconds time,
                                                  std::string_view region,
                                                  std::string_view service = "s3");

// Hex HMAC-SHA256 of the string to sign with the signing key.
Result<std::string> signature(std::string_view secret, std::chrono::sys_seconds time,
                              std::string_view region, std::string_view to_sign,
                              std::string_view service = "s3");

// Signs `request` for the Authorization header at `time`: adds host, x-amz-date,
// x-amz-content-sha256 (= request.payload_sha256) and, with a session token,
// x-amz-security-token to the signed headers.
Result<SignedRequest> sign(const Request& request, const Credentials& credentials,
                           std::string_view region, std::chrono::sys_seconds time);

// The query string (without '?') of a presigned URL for `request` (normally a GET with no
// headers but host): the request's own parameters plus X-Amz-Algorithm, -Credential,
// -Date, -Expires, -SignedHeaders, -Security-Token (with a session token) and
// X-Amz-Signature last. The payload is UNSIGNED-PAYLOAD. `expires` must be 1 s .. 7 days.
// The result is a credential: never log it (log::redact_url strips queries).
Result<std::string> presign(const Request& request, const Credentials& credentials,
                            std::string_view region, std::chrono::sys_seconds time,
                            std::chrono::seconds expires);

}  // namespace cctv::sigv4
