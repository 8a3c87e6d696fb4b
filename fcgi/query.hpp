// Query-string parsing for hostile input: every failure is a one-line reason.
#pragma once

#include "core/error.hpp"

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace cctv::web {

inline constexpr std::size_t k_max_query_bytes = 2048;

class Query {
 public:
  // Rejects: longer than k_max_query_bytes, bad percent escapes, control
  // characters or NUL after decoding, invalid UTF-8, a parameter given twice.
  static Result<Query> parse(std::string_view query_string);

  [[nodiscard]] std::optional<std::string_view> get(std::string_view name) const;
  [[nodiscard]] bool has(std::string_view name) const { return get(name).has_value(); }

 private:
  std::map<std::string, std::string, std::less<>> m_params;
};

// "1"/"true"/"yes" -> true, "0"/"false"/"no"/"" -> false; anything else is an error.
Result<bool> parse_flag(std::string_view name, std::string_view value);

}  // namespace cctv::web
