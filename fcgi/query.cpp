#include "fcgi/query.hpp"

namespace cctv::web {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<std::string> decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '+') {
      c = ' ';
    } else if (c == '%') {
      const int hi = i + 2 < text.size() ? hex_value(text[i + 1]) : -1;
      const int lo = i + 2 < text.size() ? hex_value(text[i + 2]) : -1;
      if (hi < 0 || lo < 0) return fail(ErrorKind::invalid_argument, "bad percent escape in query");
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    }
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return fail(ErrorKind::invalid_argument, "control character in query");
    }
    out += c;
  }
  // Valid UTF-8 only (no overlongs or surrogates needed for our names: reject >0x7f
  // sequences that are malformed).
  for (std::size_t i = 0; i < out.size();) {
    const auto b = static_cast<unsigned char>(out[i]);
    std::size_t len = b < 0x80           ? 1
                      : (b >> 5) == 0x6  ? 2
                      : (b >> 4) == 0xe  ? 3
                      : (b >> 3) == 0x1e ? 4
                                         : 0;
    if (len == 0 || i + len > out.size())
      return fail(ErrorKind::invalid_argument, "query is not UTF-8");
    for (std::size_t k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(out[i + k]) >> 6) != 0x2) {
        return fail(ErrorKind::invalid_argument, "query is not UTF-8");
      }
    }
    i += len;
  }
  return out;
}

}  // namespace

Result<Query> Query::parse(std::string_view query_string) {
  if (query_string.size() > k_max_query_bytes) {
    return fail(ErrorKind::invalid_argument,
                "query longer than " + std::to_string(k_max_query_bytes) + " bytes");
  }
  Query query;
  while (!query_string.empty()) {
    const auto amp = query_string.find('&');
    const std::string_view pair = query_string.substr(0, amp);
    query_string =
        amp == std::string_view::npos ? std::string_view() : query_string.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    auto name = decode(pair.substr(0, eq));
    if (!name) return std::unexpected(name.error());
    auto value = decode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
    if (!value) return std::unexpected(value.error());
    if (name->empty()) continue;
    if (name->size() > 64) return fail(ErrorKind::invalid_argument, "parameter name too long");
    if (!query.m_params.emplace(*name, std::move(*value)).second) {
      return fail(ErrorKind::invalid_argument, "parameter \"" + *name + "\" given twice");
    }
  }
  return query;
}

std::optional<std::string_view> Query::get(std::string_view name) const {
  auto it = m_params.find(name);
  if (it == m_params.end()) return std::nullopt;
  return std::string_view(it->second);
}

Result<bool> parse_flag(std::string_view name, std::string_view value) {
  if (value == "1" || value == "true" || value == "yes") return true;
  if (value == "0" || value == "false" || value == "no" || value.empty()) return false;
  return fail(ErrorKind::invalid_argument, std::string(name) + ": expected 1 or 0");
}

}  // namespace cctv::web
