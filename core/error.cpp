#include "core/error.hpp"

#include <cerrno>
#include <cstring>

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

Error errno_error(const std::string& what) {
  const int code = errno;
  return Error{code == ENOENT ? ErrorKind::not_found : ErrorKind::unavailable,
               what + ": " + std::strerror(code)};
}

}  // namespace cctv
