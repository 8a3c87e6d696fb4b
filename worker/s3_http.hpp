// The HTTP edge of the S3 client: libcurl behind RAII (CurlEasy owns a CURL*, CurlHeaders
// a curl_slist) and HttpConnection, one easy handle reused request after request so that
// its connection stays alive. Every curl return code is checked; a transfer that fails is a
// classified Error (s3_error.hpp), an HTTP response of any status is a value.
// Not thread-safe: one HttpConnection per thread.
#pragma once

#include "core/error.hpp"
#include "core/s3_sigv4.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

typedef void CURL;  // NOLINT(modernize-use-using): as curl.h declares it
struct curl_slist;

namespace cctv::worker::s3 {

// curl_global_init, once per process, thread-safe. Called by HttpConnection::create.
Result<void> curl_global();

// Owns a CURL easy handle.
class CurlEasy {
 public:
  static Result<CurlEasy> create();
  CurlEasy() = default;
  [[nodiscard]] CURL* get() const { return m_handle.get(); }
  explicit operator bool() const { return m_handle != nullptr; }

 private:
  struct Free {
    void operator()(CURL* handle) const;
  };
  std::unique_ptr<CURL, Free> m_handle;
};

// Owns a curl_slist of header lines.
class CurlHeaders {
 public:
  CurlHeaders() = default;
  CurlHeaders(CurlHeaders&& other) noexcept;
  CurlHeaders& operator=(CurlHeaders&& other) noexcept;
  CurlHeaders(const CurlHeaders&) = delete;
  CurlHeaders& operator=(const CurlHeaders&) = delete;
  ~CurlHeaders();

  // Appends "Name: value" (or "Name:" to remove a header curl would add by itself).
  Result<void> append(std::string_view line);
  [[nodiscard]] curl_slist* get() const { return m_list; }
  [[nodiscard]] std::size_t size() const { return m_size; }

 private:
  curl_slist* m_list = nullptr;
  std::size_t m_size = 0;
};

struct TransportOptions {
  bool verify_tls = true;                       // peer certificate and host name
  std::chrono::seconds connect_timeout{10};     // TCP + TLS handshake
  std::chrono::seconds stall_timeout{60};       // abort below 1 KiB/s for this long
  std::chrono::seconds request_timeout{0};      // whole request; 0 = none (large parts)
  std::uint64_t max_send_bytes_per_second = 0;  // CURLOPT_MAX_SEND_SPEED_LARGE; 0 = no limit
};

// A request body streamed from `length` bytes of the open file `fd` at `offset` (pread;
// the descriptor may be shared by threads), or held in memory.
struct FileBody {
  int fd = -1;
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
};

struct HttpRequest {
  std::string method;     // GET, HEAD, PUT, POST, DELETE
  std::string url;        // already encoded (sigv4::canonical_uri + canonical_query)
  sigv4::Params headers;  // every header to send, host included
  std::optional<FileBody> file_body;
  std::string body;  // used when there is no file_body (POST, PUT of small data)
};

struct HttpResponse {
  long status = 0;
  sigv4::Params headers;  // names in lowercase, of the final response
  std::string body;       // at most 1 MiB kept
  // The value of header `name` (lowercase), or nullopt.
  [[nodiscard]] std::optional<std::string> header(std::string_view name) const;
};

class HttpConnection {
 public:
  static Result<HttpConnection> create(const TransportOptions& options);
  HttpConnection() = default;

  // Sends one request and reads the whole response. Transport failures (refused,
  // reset, timeout, TLS, a local read error) are errors named after `what`; any HTTP
  // status is a response. Connections are kept alive between calls.
  Result<HttpResponse> perform(const HttpRequest& request, std::string_view what);

  [[nodiscard]] const TransportOptions& options() const { return m_options; }
  // Changes the send rate limit of the following requests (0 = none).
  void set_send_limit(std::uint64_t bytes_per_second) {
    m_options.max_send_bytes_per_second = bytes_per_second;
  }

 private:
  HttpConnection(CurlEasy easy, const TransportOptions& options)
      : m_easy(std::move(easy)), m_options(options) {}
  CurlEasy m_easy;
  TransportOptions m_options;
};

}  // namespace cctv::worker::s3
