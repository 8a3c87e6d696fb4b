// Errors as values: every expected failure is an Error with a kind and a message
// that carries its context ("config.json: cameras[1].url: expected a string").
#pragma once

#include <expected>
#include <string>
#include <string_view>
#include <utility>

namespace cctv {

enum class ErrorKind {
  invalid_argument,  // the caller's input is wrong (bad query, bad config)
  not_found,         // the thing asked for does not exist
  unavailable,       // a peer or resource cannot be reached right now; retry later
  timeout,           // an operation took too long
  data_loss,         // a file or record is damaged
  internal,          // a bug or an unexpected failure of a library
};

std::string_view to_string(ErrorKind kind);

struct Error {
  ErrorKind kind = ErrorKind::internal;
  std::string message;

  // Prefixes the message with more context: "open catalog: " + message.
  [[nodiscard]] Error context(std::string_view what) const {
    return Error{kind, std::string(what) + ": " + message};
  }
};

template <typename T>
using Result = std::expected<T, Error>;

// The calling thread's errno as an Error about `what` ("open /x: No such file or
// directory"): not_found for ENOENT, else unavailable.
Error errno_error(const std::string& what);

inline std::unexpected<Error> fail(ErrorKind kind, std::string message) {
  return std::unexpected(Error{kind, std::move(message)});
}

}  // namespace cctv

// Returns the error of a Result-returning expression from the enclosing function.
#define CCTV_TRY(expr) CCTV_TRY_IMPL_((expr), CCTV_CONCAT_(cctv_try_, __COUNTER__))
#define CCTV_CONCAT_(a, b) CCTV_CONCAT2_(a, b)
#define CCTV_CONCAT2_(a, b) a##b
#define CCTV_TRY_IMPL_(expr, var)          \
  do {                                     \
    if (auto var = expr; !var) {           \
      return std::unexpected(var.error()); \
    }                                      \
  } while (false)
