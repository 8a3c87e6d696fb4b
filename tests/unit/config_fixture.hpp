// Helpers of the core/config unit tests (config_test.cpp, config_s3_test.cpp): configs
// built around a minimal valid one, and checks of the errors they give.
#pragma once

#include "core/config.hpp"
#include "tests/unit/printers.hpp"

#include <boost/test/unit_test.hpp>

#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>

namespace cctv::test {

// A minimal valid config with `fragment` added at the top level: `"key": value`.
inline std::string with(std::string_view fragment) {
  return R"({"storageConfig": {"savePath": "/srv/cctv"}, )" + std::string(fragment) + "}";
}

// A config with the given cameras array body.
inline std::string with_cameras(std::string_view cameras) {
  return with(R"("cameras": [)" + std::string(cameras) + "]");
}

// Parses text that must fail and returns the error.
inline Error error_of(std::string_view json) {
  auto config = parse_config(json, "test.json");
  if (config) throw std::runtime_error("expected an error for: " + std::string(json));
  return config.error();
}

inline bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

// Checks that a config fails with an invalid_argument error naming `path`.
inline void check_error_names(std::string_view json, std::string_view path) {
  const Error e = error_of(json);
  BOOST_TEST(e.kind == ErrorKind::invalid_argument);
  BOOST_TEST(contains(e.message, path), "\"" << e.message << "\" should name " << path);
}

}  // namespace cctv::test
