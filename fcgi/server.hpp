// The thin shell over libfcgi: one program serves FastCGI (spawn-fcgi's fd 0,
// systemd socket activation's fd 3, or its own --listen socket, with several
// accept threads) or a single plain CGI request (Apache mod_cgi, fcgiwrap).
#pragma once

#include "core/config.hpp"
#include "core/error.hpp"
#include "fcgi/http.hpp"

#include <functional>
#include <memory>
#include <string_view>

namespace cctv::web {

// Writes one piece of a streamed body; false once the client is gone (stop writing).
using BodyWriter = std::function<bool(std::string_view)>;

struct StreamedResponse {
  Response response;  // status and headers (its body is sent when `stream` is empty)
  std::function<void(const BodyWriter&)> stream;
};

// One per thread: handlers keep per-thread state such as a catalog connection.
class Handler {
 public:
  Handler() = default;
  Handler(const Handler&) = delete;
  Handler& operator=(const Handler&) = delete;
  virtual ~Handler() = default;
  virtual Response handle(const Request& request) = 0;
  // A body too big to hold in memory (an MP4 export): when the answer's `stream` is set,
  // the head goes out without Content-Length (unless the handler set one) and `stream`
  // then writes the body in pieces. The default answers with handle().
  virtual StreamedResponse handle_streamed(const Request& request);
};

using HandlerFactory = std::function<std::unique_ptr<Handler>(const Config&)>;

// Parses --config / --listen / --help, loads the config and serves requests.
// Returns the process exit code.
int serve_main(int argc, char** argv, std::string_view program, const HandlerFactory& factory);

}  // namespace cctv::web
