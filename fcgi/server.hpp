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

// One per thread: handlers keep per-thread state such as a catalog connection.
class Handler {
 public:
  Handler() = default;
  Handler(const Handler&) = delete;
  Handler& operator=(const Handler&) = delete;
  virtual ~Handler() = default;
  virtual Response handle(const Request& request) = 0;
};

using HandlerFactory = std::function<std::unique_ptr<Handler>(const Config&)>;

// Parses --config / --listen / --help, loads the config and serves requests.
// Returns the process exit code.
int serve_main(int argc, char** argv, std::string_view program, const HandlerFactory& factory);

}  // namespace cctv::web
