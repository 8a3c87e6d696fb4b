#include "fcgi/http.hpp"

#include "core/civil_time.hpp"
#include "core/http_status.hpp"

#include <algorithm>

namespace cctv::web {

std::string_view status_text(int status) {
  const std::string_view phrase = http_reason_phrase(status);
  return phrase.empty() ? "Unknown" : phrase;
}

Response text_response(int status, std::string_view reason) {
  Response r;
  r.status = status;
  r.header("Content-Type", "text/plain; charset=utf-8");
  r.header("Cache-Control", "no-store");
  std::string line;
  line.reserve(reason.size() + 1);
  for (char c : reason) line += (c == '\n' || c == '\r') ? ' ' : c;
  line += '\n';
  r.body = std::make_shared<const std::string>(std::move(line));
  return r;
}

int status_for(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::invalid_argument:
      return 400;
    case ErrorKind::not_found:
      return 404;
    case ErrorKind::unavailable:
      return 503;
    case ErrorKind::timeout:
      return 504;
    case ErrorKind::data_loss:
    case ErrorKind::internal:
      return 500;
  }
  return 500;
}

Response error_response(const Error& error) {
  return text_response(status_for(error.kind), error.message);
}

std::string serialize_head(const Response& response, std::optional<std::size_t> content_length) {
  std::string head = "Status: " + std::to_string(response.status) + " " +
                     std::string(status_text(response.status)) + "\r\n";
  for (const auto& [name, value] : response.headers) {
    head += name;
    head += ": ";
    head += value;
    head += "\r\n";
  }
  if (content_length && response.status != 304) {
    head += "Content-Length: " + std::to_string(*content_length) + "\r\n";
  }
  head += "\r\n";
  return head;
}

bool not_modified(const Request& request, std::string_view etag, std::int64_t last_modified_s) {
  if (!request.if_none_match.empty()) {
    std::string_view list = request.if_none_match;
    if (list == "*") return true;
    // A comma-separated list of (possibly weak) entity tags; compare weakly.
    while (!list.empty()) {
      const auto comma = list.find(',');
      std::string_view item = list.substr(0, comma);
      while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
      while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
      if (item.starts_with("W/")) item.remove_prefix(2);
      std::string_view ours = etag;
      if (ours.starts_with("W/")) ours.remove_prefix(2);
      if (item == ours) return true;
      if (comma == std::string_view::npos) break;
      list.remove_prefix(comma + 1);
    }
    return false;
  }
  if (!request.if_modified_since.empty()) {
    auto since = parse_http_date(request.if_modified_since);
    return since && last_modified_s <= *since;
  }
  return false;
}

std::string url_encode(std::string_view value) {
  static constexpr char k_hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(value.size());
  for (unsigned char c : value) {
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~';
    if (unreserved) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += k_hex[c >> 4];
      out += k_hex[c & 0xf];
    }
  }
  return out;
}

namespace {

// A whole number of at most 18 digits (no sign, no space); nullopt otherwise.
std::optional<std::int64_t> parse_offset(std::string_view text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  std::int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

}  // namespace

std::optional<HttpRange> parse_byte_range(std::string_view header, std::int64_t total) {
  constexpr std::string_view k_unit = "bytes=";
  if (!header.starts_with(k_unit)) return std::nullopt;
  header.remove_prefix(k_unit.size());
  const std::size_t dash = header.find('-');
  if (dash == std::string_view::npos || header.find(',') != std::string_view::npos) {
    return std::nullopt;
  }
  const std::string_view first_text = header.substr(0, dash);
  const std::string_view last_text = header.substr(dash + 1);
  HttpRange out;
  if (first_text.empty()) {  // the last N bytes
    const auto suffix = parse_offset(last_text);
    if (!suffix) return std::nullopt;
    if (*suffix == 0 || total == 0) return HttpRange{0, 0, false};
    out.first = std::max<std::int64_t>(0, total - *suffix);
    out.last = total - 1;
    return out;
  }
  const auto first = parse_offset(first_text);
  if (!first) return std::nullopt;
  std::int64_t last = total - 1;
  if (!last_text.empty()) {
    const auto parsed = parse_offset(last_text);
    if (!parsed || *parsed < *first) return std::nullopt;
    last = std::min(*parsed, total - 1);
  }
  if (*first >= total) return HttpRange{0, 0, false};
  out.first = *first;
  out.last = last;
  return out;
}

std::optional<std::string_view> path_below(const Request& request, std::string_view base) {
  std::string_view path = request.request_uri;
  path = path.substr(0, path.find('?'));
  if (!path.starts_with(base)) return std::nullopt;
  path.remove_prefix(base.size());
  return path;
}

}  // namespace cctv::web
