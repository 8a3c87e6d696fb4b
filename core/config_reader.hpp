// Reading the config's JSON (core/config.cpp and core/config_s3.cpp; not for other
// users): an object reader that checks types and ranges and reports unknown keys with
// their path, and the small text checks the sections share.
#pragma once

#include "core/config.hpp"
#include "core/error.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <functional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>

namespace cctv::config_detail {

using Json = nlohmann::json;

// Reads one JSON object, checking types and remembering which keys were used so
// that the unknown ones can be reported with their path.
class ObjectReader {
 public:
  ObjectReader(const Json& object, std::string path) : m_object(object), m_path(std::move(path)) {}

  [[nodiscard]] std::string path_of(std::string_view key) const {
    return m_path.empty() ? std::string(key) : m_path + "." + std::string(key);
  }

  const Json* find(std::string_view key) {
    m_known.insert(std::string(key));
    auto it = m_object.find(key);
    return it == m_object.end() || it->is_null() ? nullptr : &*it;
  }

  Result<void> string(std::string_view key, std::string& out) {
    if (const Json* v = find(key)) {
      if (!v->is_string()) return type_error(key, "a string");
      out = v->get<std::string>();
    }
    return {};
  }

  Result<void> boolean(std::string_view key, bool& out) {
    if (const Json* v = find(key)) {
      if (!v->is_boolean()) return type_error(key, "true or false");
      out = v->get<bool>();
    }
    return {};
  }

  Result<void> integer(std::string_view key, int& out, int min, int max) {
    if (const Json* v = find(key)) {
      if (!v->is_number_integer()) return type_error(key, "an integer");
      const auto value = v->get<std::int64_t>();
      if (value < min || value > max) {
        return fail(ErrorKind::invalid_argument, path_of(key) + ": " + std::to_string(value) +
                                                     " is out of range " + std::to_string(min) +
                                                     ".." + std::to_string(max));
      }
      out = static_cast<int>(value);
    }
    return {};
  }

  Result<void> number(std::string_view key, double& out, double min, double max) {
    if (const Json* v = find(key)) {
      if (!v->is_number()) return type_error(key, "a number");
      const auto value = v->get<double>();
      if (!std::isfinite(value) || value < min || value > max) {
        std::ostringstream msg;
        msg << path_of(key) << ": " << value << " is out of range " << min << ".." << max;
        return fail(ErrorKind::invalid_argument, msg.str());
      }
      out = value;
    }
    return {};
  }

  // Calls `read` with a reader for a nested object, if present.
  Result<void> object(std::string_view key,
                      const std::function<Result<void>(ObjectReader&)>& read) {
    if (const Json* v = find(key)) {
      if (!v->is_object()) return type_error(key, "an object");
      ObjectReader nested(*v, path_of(key));
      if (auto r = read(nested); !r) return r;
      return nested.check_unknown();
    }
    return {};
  }

  Result<void> check_unknown() const {
    for (const auto& [key, value] : m_object.items()) {
      if (!m_known.contains(key)) {
        return fail(ErrorKind::invalid_argument, path_of(key) + ": unknown key");
      }
    }
    return {};
  }

  Result<void> type_error(std::string_view key, std::string_view expected) const {
    return fail(ErrorKind::invalid_argument, path_of(key) + ": expected " + std::string(expected) +
                                                 ", got " +
                                                 m_object.at(std::string(key)).type_name());
  }

 private:
  const Json& m_object;
  std::string m_path;
  std::set<std::string, std::less<>> m_known;
};

inline bool has_control_character(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

inline std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The s3Config and awsCredentials sections (core/config_s3.cpp).
Result<void> read_s3_config(ObjectReader& r, S3Config& s3);
Result<void> read_aws_credentials(ObjectReader& r, S3Config& s3);

}  // namespace cctv::config_detail
