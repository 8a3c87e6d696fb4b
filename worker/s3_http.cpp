#include "worker/s3_http.hpp"

#include "worker/s3_error.hpp"

#include <curl/curl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <mutex>

namespace cctv::worker::s3 {

namespace {

constexpr std::size_t k_max_response_body = std::size_t{1} << 20U;

// The state of one transfer, reached from curl's callbacks.
struct Transfer {
  const HttpRequest* request = nullptr;
  std::uint64_t sent = 0;  // body bytes handed to curl
  HttpResponse response;
  bool read_failed = false;
  int read_errno = 0;
};

std::size_t read_body(char* buffer, std::size_t size, std::size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t room = size * count;
  if (t->request->file_body) {
    const FileBody& f = *t->request->file_body;
    const std::uint64_t left = f.length - t->sent;
    const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(room, left));
    if (want == 0) return 0;
    for (;;) {
      const ssize_t n = ::pread(f.fd, buffer, want, static_cast<off_t>(f.offset + t->sent));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {  // an error, or the file shrank since it was hashed
        t->read_failed = true;
        t->read_errno = n < 0 ? errno : 0;
        return CURL_READFUNC_ABORT;
      }
      t->sent += static_cast<std::uint64_t>(n);
      return static_cast<std::size_t>(n);
    }
  }
  const std::string& body = t->request->body;
  const auto want = static_cast<std::size_t>(
      std::min<std::uint64_t>(room, body.size() - static_cast<std::size_t>(t->sent)));
  std::copy_n(body.data() + t->sent, want, buffer);
  t->sent += want;
  return want;
}

// Curl rewinds the body when it must send it again (a redirect, a reused connection that
// turned out closed).
int seek_body(void* user, curl_off_t offset, int origin) {
  auto* t = static_cast<Transfer*>(user);
  const std::uint64_t length =
      t->request->file_body ? t->request->file_body->length : t->request->body.size();
  if (origin != SEEK_SET || offset < 0 || static_cast<std::uint64_t>(offset) > length) {
    return CURL_SEEKFUNC_CANTSEEK;
  }
  t->sent = static_cast<std::uint64_t>(offset);
  return CURL_SEEKFUNC_OK;
}

std::size_t write_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t n = size * count;
  std::string& body = t->response.body;
  if (body.size() < k_max_response_body) {
    body.append(data, std::min(n, k_max_response_body - body.size()));
  }
  return n;
}

std::size_t header_line(char* data, std::size_t size, std::size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t n = size * count;
  std::string_view line(data, n);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.starts_with("HTTP/")) {
    t->response.headers.clear();  // a new response (after "100 Continue")
    return n;
  }
  const auto colon = line.find(':');
  if (colon == std::string_view::npos) return n;
  std::string name(line.substr(0, colon));
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  t->response.headers.emplace_back(std::move(name), std::string(value));
  return n;
}

// curl_easy_setopt with its result checked; `what` names the option in the error.
template <typename T>
Result<void> set(CURL* curl, CURLoption option, T value, std::string_view what) {
  const CURLcode rc = curl_easy_setopt(curl, option, value);
  if (rc != CURLE_OK) {
    return fail(ErrorKind::internal,
                "curl_easy_setopt(" + std::string(what) + "): " + curl_easy_strerror(rc));
  }
  return {};
}

Result<void> set_method(CURL* curl, const HttpRequest& r, std::uint64_t body_length) {
  if (r.method == "GET") return set(curl, CURLOPT_HTTPGET, 1L, "HTTPGET");
  if (r.method == "HEAD") return set(curl, CURLOPT_NOBODY, 1L, "NOBODY");
  if (r.method == "PUT") {
    CCTV_TRY(set(curl, CURLOPT_UPLOAD, 1L, "UPLOAD"));
    return set(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(body_length),
               "INFILESIZE_LARGE");
  }
  if (r.method == "POST") {
    CCTV_TRY(set(curl, CURLOPT_POST, 1L, "POST"));
    return set(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body_length),
               "POSTFIELDSIZE_LARGE");
  }
  if (r.method == "DELETE") return set(curl, CURLOPT_CUSTOMREQUEST, "DELETE", "CUSTOMREQUEST");
  return fail(ErrorKind::internal, "unsupported HTTP method " + r.method);
}

}  // namespace

Result<void> curl_global() {
  static std::once_flag once;
  static CURLcode rc = CURLE_OK;
  std::call_once(once, [] { rc = curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (rc != CURLE_OK) {
    return fail(ErrorKind::internal, std::string("curl_global_init: ") + curl_easy_strerror(rc));
  }
  return {};
}

void CurlEasy::Free::operator()(CURL* handle) const { curl_easy_cleanup(handle); }

Result<CurlEasy> CurlEasy::create() {
  CCTV_TRY(curl_global());
  CurlEasy easy;
  easy.m_handle.reset(curl_easy_init());
  if (!easy.m_handle) return fail(ErrorKind::internal, "curl_easy_init failed");
  return easy;
}

CurlHeaders::CurlHeaders(CurlHeaders&& other) noexcept
    : m_list(std::exchange(other.m_list, nullptr)), m_size(std::exchange(other.m_size, 0)) {}

CurlHeaders& CurlHeaders::operator=(CurlHeaders&& other) noexcept {
  if (this != &other) {
    curl_slist_free_all(m_list);
    m_list = std::exchange(other.m_list, nullptr);
    m_size = std::exchange(other.m_size, 0);
  }
  return *this;
}

CurlHeaders::~CurlHeaders() { curl_slist_free_all(m_list); }

Result<void> CurlHeaders::append(std::string_view line) {
  if (line.find_first_of("\r\n") != std::string_view::npos ||
      line.find('\0') != std::string_view::npos) {
    return fail(ErrorKind::invalid_argument, "an HTTP header line holds a line break");
  }
  const std::string text(line);
  curl_slist* grown = curl_slist_append(m_list, text.c_str());
  if (grown == nullptr) return fail(ErrorKind::internal, "curl_slist_append failed");
  m_list = grown;
  ++m_size;
  return {};
}

std::optional<std::string> HttpResponse::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key == name) return value;
  }
  return std::nullopt;
}

Result<HttpConnection> HttpConnection::create(const TransportOptions& options) {
  auto easy = CurlEasy::create();
  if (!easy) return std::unexpected(easy.error());
  return HttpConnection(std::move(*easy), options);
}

Result<HttpResponse> HttpConnection::perform(const HttpRequest& request, std::string_view what) {
  CURL* curl = m_easy.get();
  if (curl == nullptr) return fail(ErrorKind::internal, "HTTP connection used after a move");
  // Options back to their defaults; live connections, DNS and TLS session caches stay.
  curl_easy_reset(curl);

  CurlHeaders headers;
  for (const auto& [name, value] : request.headers) {
    std::string line = name;
    line += ": ";
    line += value;
    CCTV_TRY(headers.append(line));
  }
  // S3 answers 100-continue; keep curl's Expect for large bodies (a refusal then costs
  // no upload), but never let curl add a Content-Type we did not sign.
  const bool has_content_type =
      std::any_of(request.headers.begin(), request.headers.end(),
                  [](const auto& h) { return h.first == "content-type"; });
  if (!has_content_type) CCTV_TRY(headers.append("Content-Type:"));

  Transfer transfer;
  transfer.request = &request;
  const std::uint64_t body_length =
      request.file_body ? request.file_body->length : request.body.size();
  std::array<char, CURL_ERROR_SIZE> error_buffer{};

  const auto seconds = [](std::chrono::seconds s) { return static_cast<long>(s.count()); };
  CCTV_TRY(set(curl, CURLOPT_URL, request.url.c_str(), "URL"));
  CCTV_TRY(set(curl, CURLOPT_PROTOCOLS_STR, "http,https", "PROTOCOLS_STR"));
  CCTV_TRY(set(curl, CURLOPT_NOSIGNAL, 1L, "NOSIGNAL"));
  CCTV_TRY(set(curl, CURLOPT_FOLLOWLOCATION, 0L, "FOLLOWLOCATION"));
  CCTV_TRY(set(curl, CURLOPT_TCP_KEEPALIVE, 1L, "TCP_KEEPALIVE"));
  CCTV_TRY(set(curl, CURLOPT_SSL_VERIFYPEER, m_options.verify_tls ? 1L : 0L, "SSL_VERIFYPEER"));
  CCTV_TRY(set(curl, CURLOPT_SSL_VERIFYHOST, m_options.verify_tls ? 2L : 0L, "SSL_VERIFYHOST"));
  CCTV_TRY(set(curl, CURLOPT_CONNECTTIMEOUT, seconds(m_options.connect_timeout), "CONNECTTIMEOUT"));
  CCTV_TRY(set(curl, CURLOPT_TIMEOUT, seconds(m_options.request_timeout), "TIMEOUT"));
  CCTV_TRY(set(curl, CURLOPT_LOW_SPEED_LIMIT, 1024L, "LOW_SPEED_LIMIT"));
  CCTV_TRY(set(curl, CURLOPT_LOW_SPEED_TIME, seconds(m_options.stall_timeout), "LOW_SPEED_TIME"));
  CCTV_TRY(set(curl, CURLOPT_MAX_SEND_SPEED_LARGE,
               static_cast<curl_off_t>(m_options.max_send_bytes_per_second),
               "MAX_SEND_SPEED_LARGE"));
  CCTV_TRY(set(curl, CURLOPT_ERRORBUFFER, error_buffer.data(), "ERRORBUFFER"));
  CCTV_TRY(set(curl, CURLOPT_HTTPHEADER, headers.get(), "HTTPHEADER"));
  CCTV_TRY(set(curl, CURLOPT_HEADERFUNCTION, &header_line, "HEADERFUNCTION"));
  CCTV_TRY(set(curl, CURLOPT_HEADERDATA, &transfer, "HEADERDATA"));
  CCTV_TRY(set(curl, CURLOPT_WRITEFUNCTION, &write_body, "WRITEFUNCTION"));
  CCTV_TRY(set(curl, CURLOPT_WRITEDATA, &transfer, "WRITEDATA"));
  CCTV_TRY(set(curl, CURLOPT_READFUNCTION, &read_body, "READFUNCTION"));
  CCTV_TRY(set(curl, CURLOPT_READDATA, &transfer, "READDATA"));
  CCTV_TRY(set(curl, CURLOPT_SEEKFUNCTION, &seek_body, "SEEKFUNCTION"));
  CCTV_TRY(set(curl, CURLOPT_SEEKDATA, &transfer, "SEEKDATA"));
  CCTV_TRY(set_method(curl, request, body_length));

  const CURLcode rc = curl_easy_perform(curl);
  long status = 0;
  const CURLcode info =
      rc == CURLE_OK ? curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status) : CURLE_OK;
  // The handle must not keep pointers into this frame (headers, buffers, callbacks' data).
  curl_easy_reset(curl);
  if (rc != CURLE_OK) {
    if (transfer.read_failed) {
      const std::string reason =
          transfer.read_errno != 0 ? std::strerror(transfer.read_errno) : "the file shrank";
      return fail(ErrorKind::data_loss, std::string(what) + ": reading the body: " + reason);
    }
    return std::unexpected(curl_error(what, rc, error_buffer.data()));
  }
  if (info != CURLE_OK) {
    return fail(ErrorKind::internal,
                std::string("curl_easy_getinfo(RESPONSE_CODE): ") + curl_easy_strerror(info));
  }
  transfer.response.status = status;
  return std::move(transfer.response);
}

}  // namespace cctv::worker::s3
