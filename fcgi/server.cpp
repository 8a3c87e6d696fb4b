#include "fcgi/server.hpp"

#include "core/log.hpp"

#include <fcgiapp.h>

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace cctv::web {
namespace {

// RAII over FCGX_Request: finishes the current request and frees it.
class FcgiRequest {
 public:
  explicit FcgiRequest(int listen_fd) {
    if (FCGX_InitRequest(&m_request, listen_fd, 0) != 0) {
      throw std::runtime_error("FCGX_InitRequest failed");
    }
  }
  FcgiRequest(const FcgiRequest&) = delete;
  FcgiRequest& operator=(const FcgiRequest&) = delete;
  ~FcgiRequest() { FCGX_Free(&m_request, 1); }

  FCGX_Request* get() { return &m_request; }

 private:
  FCGX_Request m_request{};
};

std::string env_or_empty(char** envp, const char* name) {
  const char* value = FCGX_GetParam(name, envp);
  return value != nullptr ? value : "";
}

Request request_from_env(char** envp) {
  Request r;
  r.method = env_or_empty(envp, "REQUEST_METHOD");
  r.query = env_or_empty(envp, "QUERY_STRING");
  r.request_uri = env_or_empty(envp, "REQUEST_URI");
  r.if_none_match = env_or_empty(envp, "HTTP_IF_NONE_MATCH");
  r.if_modified_since = env_or_empty(envp, "HTTP_IF_MODIFIED_SINCE");
  r.range = env_or_empty(envp, "HTTP_RANGE");
  r.if_range = env_or_empty(envp, "HTTP_IF_RANGE");
  return r;
}

// Runs the handler, turning every exception into a 500 with a logged reason.
StreamedResponse dispatch(Handler& handler, const Request& request) {
  if (request.method != "GET" && request.method != "HEAD") {
    Response r = text_response(405, "method " + request.method.substr(0, 16) + " not allowed");
    r.header("Allow", "GET, HEAD");
    return {std::move(r), nullptr};
  }
  try {
    return handler.handle_streamed(request);
  } catch (const std::exception& e) {
    log::error(std::string("request failed: ") + e.what());
  } catch (...) {
    log::error("request failed: unknown exception");
  }
  return {text_response(500, "internal error (see the server log)"), nullptr};
}

// Sends an answer through `write`: the head, then the body or the stream. A stream that
// throws after its head went out can only be cut short (the client sees a short body).
void send(const Request& request, const StreamedResponse& answer, const BodyWriter& write) {
  const Response& resp = answer.response;
  const bool body = request.method != "HEAD" && resp.status != 304;
  if (!answer.stream) {
    const std::string_view text = resp.body_view();
    if (!write(serialize_head(resp, text.size())) || !body) return;
    write(text);
    return;
  }
  if (!write(serialize_head(resp, std::nullopt)) || !body) return;
  try {
    answer.stream(write);
  } catch (const std::exception& e) {
    log::error(std::string("streaming failed: ") + e.what());
  } catch (...) {
    log::error("streaming failed: unknown exception");
  }
}

std::string render(const Request& request, const Response& response) {
  const std::string_view body = response.body_view();
  std::string head = serialize_head(response, body.size());
  if (request.method != "HEAD" && response.status != 304) head.append(body);
  return head;
}

void serve_fastcgi_thread(int listen_fd, const Config& config, const HandlerFactory& factory,
                          std::mutex& accept_mutex) {
  std::unique_ptr<Handler> handler = factory(config);
  FcgiRequest request(listen_fd);
  for (;;) {
    int rc = 0;
    {
      std::lock_guard lock(accept_mutex);
      rc = FCGX_Accept_r(request.get());
    }
    if (rc < 0) {
      log::error("FastCGI accept failed (" + std::to_string(rc) + "); thread stops");
      return;
    }
    const Request req = request_from_env(request.get()->envp);
    FCGX_Stream* out = request.get()->out;
    send(req, dispatch(*handler, req), [out](std::string_view piece) {
      return piece.empty() || FCGX_PutStr(piece.data(), static_cast<int>(piece.size()), out) ==
                                  static_cast<int>(piece.size());
    });
    FCGX_Finish_r(request.get());
  }
}

int serve_fastcgi(int listen_fd, const Config& config, const HandlerFactory& factory) {
  std::mutex accept_mutex;
  std::vector<std::thread> threads;
  threads.reserve(static_cast<std::size_t>(config.web_threads));
  for (int i = 0; i < config.web_threads; ++i) {
    threads.emplace_back([&] {
      try {
        serve_fastcgi_thread(listen_fd, config, factory, accept_mutex);
      } catch (const std::exception& e) {
        log::error(std::string("FastCGI thread failed: ") + e.what());
      }
    });
  }
  for (auto& t : threads) t.join();
  return 1;  // the threads only stop when accepting fails
}

int serve_cgi(const Config& config, const HandlerFactory& factory) {
  std::vector<char*> env;
  for (char** e = environ; *e != nullptr; ++e) env.push_back(*e);
  env.push_back(nullptr);
  const Request request = request_from_env(env.data());
  std::unique_ptr<Handler> handler = factory(config);
  send(request, dispatch(*handler, request), [](std::string_view piece) {
    return std::fwrite(piece.data(), 1, piece.size(), stdout) == piece.size();
  });
  std::fflush(stdout);
  return 0;
}

bool is_socket(int fd) {
  struct stat st {};
  return fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
}

// systemd socket activation passes the socket as fd 3 (sd_listen_fds(3)).
int activated_socket() {
  const char* pid = std::getenv("LISTEN_PID");
  const char* fds = std::getenv("LISTEN_FDS");
  if (pid == nullptr || fds == nullptr) return -1;
  if (std::strtol(pid, nullptr, 10) != getpid() || std::strtol(fds, nullptr, 10) < 1) return -1;
  return 3;
}

void usage(std::string_view program, std::FILE* out) {
  std::fprintf(out,
               "usage: %.*s [--config FILE] [--listen SOCKET]\n"
               "  Serves as FastCGI on fd 0 (spawn-fcgi), on fd 3 (systemd socket activation),\n"
               "  on --listen SOCKET (a path, or HOST:PORT / :PORT), or as CGI when run with a\n"
               "  CGI environment. The config comes from --config, $CCTV_CONFIG or\n"
               "  /etc/cctv/config.json.\n",
               static_cast<int>(program.size()), program.data());
}

}  // namespace

StreamedResponse Handler::handle_streamed(const Request& request) {
  return {handle(request), nullptr};
}

int serve_main(int argc, char** argv, std::string_view program, const HandlerFactory& factory) {
  const char* config_arg = nullptr;
  const char* listen_arg = nullptr;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if ((arg == "--config" || arg == "--listen") && i + 1 < argc) {
      (arg == "--config" ? config_arg : listen_arg) = argv[++i];
    } else if (arg == "--help" || arg == "-h") {
      usage(program, stdout);
      return 0;
    } else {
      std::fprintf(stderr, "%.*s: unknown argument \"%s\"\n", static_cast<int>(program.size()),
                   program.data(), argv[i]);
      usage(program, stderr);
      return 2;
    }
  }
  const bool cgi = std::getenv("GATEWAY_INTERFACE") != nullptr && listen_arg == nullptr;
  auto config = load_config(default_config_path(config_arg));
  if (!config) {
    log::error(config.error().message);
    if (cgi) {
      const std::string out =
          render(Request{}, text_response(503, "server misconfigured (see the server log)"));
      std::fwrite(out.data(), 1, out.size(), stdout);
      return 0;
    }
    return 1;
  }
  if (cgi) return serve_cgi(*config, factory);
  if (FCGX_Init() != 0) {
    log::error("FCGX_Init failed");
    return 1;
  }
  // libfcgi's SIGTERM handler only sets a flag while the threads stay blocked in
  // accept(); a web program holds no state worth a graceful stop, so die at once.
  std::signal(SIGTERM, SIG_DFL);
  std::signal(SIGINT, SIG_DFL);
  int listen_fd = 0;
  if (listen_arg != nullptr) {
    listen_fd = FCGX_OpenSocket(listen_arg, 128);
    if (listen_fd < 0) {
      log::error(std::string("cannot listen on ") + listen_arg + ": " + std::strerror(errno));
      return 1;
    }
    log::info(std::string(program) + " listening on " + listen_arg);
  } else if (int fd = activated_socket(); fd >= 0) {
    listen_fd = fd;
  } else if (!is_socket(0)) {
    std::fprintf(stderr, "%.*s: not started as FastCGI or CGI\n", static_cast<int>(program.size()),
                 program.data());
    usage(program, stderr);
    return 2;
  }
  return serve_fastcgi(listen_fd, *config, factory);
}

}  // namespace cctv::web
