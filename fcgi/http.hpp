// The request/response model of the web programs, independent of libfcgi so that
// handlers are pure functions that unit tests call directly.
#pragma once

#include "core/error.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cctv::web {

struct Request {
  std::string method = "GET";
  std::string query;        // QUERY_STRING, still percent-encoded
  std::string request_uri;  // REQUEST_URI as the client sent it
  std::string if_none_match;
  std::string if_modified_since;
  std::string range;     // Range ("bytes=0-99")
  std::string if_range;  // If-Range (an entity tag or a date)
};

struct Response {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  // Shared so that cached bodies are not copied per request.
  std::shared_ptr<const std::string> body;

  Response& header(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
  }
  [[nodiscard]] std::string_view body_view() const {
    return body ? std::string_view(*body) : std::string_view();
  }
};

std::string_view status_text(int status);

// A plain-text answer with a one-line reason ("400 date: expected YYYY-MM-DD").
Response text_response(int status, std::string_view reason);
Response error_response(const Error& error);  // status from the error kind
int status_for(ErrorKind kind);

// The CGI/FastCGI response head: "Status: 200 OK\r\nContent-Type: ...\r\n\r\n", with
// a Content-Length of `content_length` (not on a 304); without one (nullopt) for a
// streamed answer whose handler does not know its size (it may set the header itself).
// HEAD requests get the head only.
std::string serialize_head(const Response& response, std::optional<std::size_t> content_length);

// Conditional GET: true when If-None-Match matches `etag` (or, without
// If-None-Match, If-Modified-Since is not older than `last_modified_s`).
bool not_modified(const Request& request, std::string_view etag, std::int64_t last_modified_s);

// The request path (query string cut off) below `base` ("/" or "/cctv/"); nullopt
// outside it.
std::optional<std::string_view> path_below(const Request& request, std::string_view base);

// One byte range of a body of `total` bytes (RFC 9110, 14.1.2), inclusive.
struct HttpRange {
  std::int64_t first = 0;
  std::int64_t last = 0;
  bool satisfiable = true;  // false: answer 416 with "Content-Range: bytes */total"
};
// The single "bytes=" range a Range header asks for; nullopt when there is none to honour
// (absent, malformed, several ranges, another unit): then the whole body is sent.
std::optional<HttpRange> parse_byte_range(std::string_view header, std::int64_t total);

// Percent-encodes a query parameter value (RFC 3986 unreserved kept).
std::string url_encode(std::string_view value);

}  // namespace cctv::web
