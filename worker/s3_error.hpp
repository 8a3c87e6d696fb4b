// S3 failures as values: the one place where HTTP statuses, S3 error codes and libcurl
// codes become an ErrorKind, and so a class:
//   retryable  (ErrorKind::unavailable, ErrorKind::timeout): 5xx, 429, SlowDown,
//              RequestTimeout, throttling, connection refused/reset, DNS, timeouts;
//   permanent  (every other kind): 403 InvalidAccessKeyId / SignatureDoesNotMatch /
//              AccessDenied, 404 NoSuchBucket / NoSuchKey / NoSuchUpload, 400 bad requests,
//              301 wrong region, TLS certificate failures, an unreadable local file.
// Messages are one line, "<what>: HTTP 403 SignatureDoesNotMatch: <S3's Message>", built
// from the response's Code and Message only: never a secret, a signature, an Authorization
// header or a presigned query.
#pragma once

#include "core/error.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace cctv::worker::s3 {

// True for the kinds a later retry may fix (unavailable, timeout).
bool is_retryable(ErrorKind kind);
inline bool is_retryable(const Error& error) { return is_retryable(error.kind); }

// "retryable" or "permanent".
std::string_view error_class(const Error& error);

// The text of the first <tag>...</tag> of `xml` with the five XML entities and numeric
// character references decoded; nullopt when there is none.
std::optional<std::string> xml_text(std::string_view xml, std::string_view tag);

// The parts of an S3 <Error> document that are safe to show.
struct ErrorBody {
  std::string code;     // "SignatureDoesNotMatch"
  std::string message;  // "The request signature we calculated does not match..."
};
ErrorBody parse_error_body(std::string_view xml);

// The kind of an HTTP error response (status >= 300) with S3 error code `code` ("" when
// the response had no body, as HEAD responses never do).
ErrorKind classify_http(long status, std::string_view code);

// The error for an HTTP response that is not a success: "<what>: HTTP <status> <Code>:
// <Message>", one line, at most ~400 characters.
Error http_error(std::string_view what, long status, std::string_view body);

// The kind of a libcurl failure (a CURLcode).
ErrorKind classify_curl(int curl_code);

// The error for a failed transfer: "<what>: <curl's text> (<curl's detail>)".
Error curl_error(std::string_view what, int curl_code, std::string_view detail);

}  // namespace cctv::worker::s3
