// How Boost.Test prints the project's types in failure messages ("not_found", not an
// enum's number). One header for every unit test, so that two headers a test includes
// never define the same printer twice.
#pragma once

#include "core/catalog.hpp"
#include "core/civil_time.hpp"
#include "core/error.hpp"

#include <ostream>

namespace cctv {

inline std::ostream& boost_test_print_type(std::ostream& os, ErrorKind kind) {
  return os << to_string(kind);
}
inline std::ostream& boost_test_print_type(std::ostream& os, const Date& date) {
  return os << format_date(date);
}
inline std::ostream& boost_test_print_type(std::ostream& os, DayState state) {
  return os << to_string(state);
}
inline std::ostream& boost_test_print_type(std::ostream& os, CameraState state) {
  return os << to_string(state);
}

}  // namespace cctv
