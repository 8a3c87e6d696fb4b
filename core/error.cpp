#include "core/error.hpp"

namespace cctv {

std::string_view to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::invalid_argument:
      return "invalid argument";
    case ErrorKind::not_found:
      return "not found";
    case ErrorKind::unavailable:
      return "unavailable";
    case ErrorKind::timeout:
      return "timeout";
    case ErrorKind::data_loss:
      return "data loss";
    case ErrorKind::internal:
      return "internal error";
  }
  return "unknown error";
}

}  // namespace cctv
