// A scripted S3 for the unit tests of worker/s3_client (s3_client_test.cpp): FakeS3, an
// HTTP/1.1 server on 127.0.0.1 that records every request and answers through a
// handler, and Bucket, an in-memory bucket to answer with.
#pragma once

#include "worker/s3_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace cctv::test {

// An HTTP/1.1 server on 127.0.0.1 that records every request and answers through a
// handler; keep-alive, 100-continue, one thread per connection.
class FakeS3 {
 public:
  struct Seen {
    std::string method;
    std::string target;                          // path and query as sent
    std::map<std::string, std::string> headers;  // lowercase names
    std::string body;
    int connection = 0;
  };
  struct Reply {
    int status = 200;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
  };
  using Handler = std::function<Reply(const Seen&)>;

  explicit FakeS3(Handler handler) : m_handler(std::move(handler)) {
    m_listen = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(m_listen, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(m_listen, 16) != 0) {
      throw std::runtime_error("FakeS3: bind/listen failed");
    }
    socklen_t len = sizeof addr;
    ::getsockname(m_listen, reinterpret_cast<sockaddr*>(&addr), &len);
    m_port = ntohs(addr.sin_port);
    m_acceptor = std::thread([this] { accept_loop(); });
  }
  FakeS3(const FakeS3&) = delete;
  FakeS3& operator=(const FakeS3&) = delete;
  ~FakeS3() {
    m_stop = true;
    m_acceptor.join();
    for (auto& t : m_workers) t.join();
    ::close(m_listen);
  }

  [[nodiscard]] int port() const { return m_port; }
  [[nodiscard]] std::string endpoint() const {
    return "http://127.0.0.1:" + std::to_string(m_port);
  }
  [[nodiscard]] std::vector<Seen> requests() const {
    const std::lock_guard lock(m_mutex);
    return m_seen;
  }
  [[nodiscard]] int connections() const { return m_connections; }
  [[nodiscard]] int max_in_flight() const { return m_max_in_flight; }

 private:
  void accept_loop() {
    while (!m_stop) {
      pollfd p{m_listen, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      const int fd = ::accept4(m_listen, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      const int id = ++m_connections;
      m_workers.emplace_back([this, fd, id] { serve(fd, id); });
    }
  }

  // Reads until `want` bytes are buffered; false when the peer closed or we stop.
  bool fill(int fd, std::string& buffer, std::size_t want) {
    while (buffer.size() < want) {
      pollfd p{fd, POLLIN, 0};
      if (m_stop) return false;
      if (::poll(&p, 1, 20) <= 0) continue;
      char chunk[65536];
      const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0) return false;
      buffer.append(chunk, static_cast<std::size_t>(n));
    }
    return true;
  }

  static void send_all(int fd, std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return;
      data.remove_prefix(static_cast<std::size_t>(n));
    }
  }

  void serve(int fd, int id) {
    std::string buffer;
    for (;;) {
      std::size_t end = std::string::npos;
      while ((end = buffer.find("\r\n\r\n")) == std::string::npos) {
        if (!fill(fd, buffer, buffer.size() + 1)) {
          ::close(fd);
          return;
        }
      }
      Seen seen;
      seen.connection = id;
      std::string head = buffer.substr(0, end);
      buffer.erase(0, end + 4);
      std::size_t line_end = head.find("\r\n");
      const std::string request_line = head.substr(0, line_end);
      const auto sp1 = request_line.find(' ');
      const auto sp2 = request_line.rfind(' ');
      seen.method = request_line.substr(0, sp1);
      seen.target = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
      while (line_end != std::string::npos) {
        const std::size_t start = line_end + 2;
        line_end = head.find("\r\n", start);
        const std::string line = head.substr(start, line_end - start);
        const auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        std::string name = line.substr(0, colon);
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        seen.headers[name] = line.substr(line.find_first_not_of(' ', colon + 1));
      }
      if (seen.headers.contains("expect")) send_all(fd, "HTTP/1.1 100 Continue\r\n\r\n");
      const std::size_t length =
          seen.headers.contains("content-length") ? std::stoul(seen.headers["content-length"]) : 0;
      if (!fill(fd, buffer, length)) {
        ::close(fd);
        return;
      }
      seen.body = buffer.substr(0, length);
      buffer.erase(0, length);
      const int now = ++m_in_flight;
      for (int seen_max = m_max_in_flight;
           now > seen_max && !m_max_in_flight.compare_exchange_weak(seen_max, now);) {
      }
      const Reply reply = m_handler(seen);
      --m_in_flight;
      {
        const std::lock_guard lock(m_mutex);
        m_seen.push_back(seen);
      }
      std::string out = "HTTP/1.1 " + std::to_string(reply.status) + " X\r\n";
      bool has_length = false;
      for (const auto& [name, value] : reply.headers) {
        out += name + ": " + value + "\r\n";
        has_length = has_length || name == "Content-Length";
      }
      if (!has_length) out += "Content-Length: " + std::to_string(reply.body.size()) + "\r\n";
      out += "\r\n";
      if (seen.method != "HEAD") out += reply.body;
      send_all(fd, out);
    }
  }

  Handler m_handler;
  int m_listen = -1;
  int m_port = 0;
  std::atomic<bool> m_stop{false};
  std::atomic<int> m_connections{0};
  std::atomic<int> m_in_flight{0};
  std::atomic<int> m_max_in_flight{0};
  std::thread m_acceptor;
  std::vector<std::thread> m_workers;
  mutable std::mutex m_mutex;
  std::vector<Seen> m_seen;
};

inline std::string md5_hex(std::string_view data) {
  return worker::s3::digest_bytes(data)->md5_hex();
}

// An in-memory bucket behind FakeS3: PUT, HEAD, multipart (create, part, complete, abort).
class Bucket {
 public:
  FakeS3::Reply operator()(const FakeS3::Seen& r) {
    const std::lock_guard lock(m_mutex);
    const auto q = r.target.find('?');
    const std::string path = r.target.substr(0, q);
    const std::string query = q == std::string::npos ? "" : r.target.substr(q + 1);
    if (r.method == "PUT" && query.empty()) {
      m_objects[path] = r.body;
      return {200, {{"ETag", "\"" + md5_hex(r.body) + "\""}}, ""};
    }
    if (r.method == "HEAD") {
      if (!m_objects.contains(path)) return {404, {}, ""};
      const std::string etag = m_etags.contains(path) ? m_etags[path] : md5_hex(m_objects[path]);
      return {200,
              {{"ETag", "\"" + etag + "\""},
               {"Content-Length", std::to_string(m_objects[path].size())}},
              ""};
    }
    if (r.method == "POST" && query == "uploads=") {
      return {200,
              {},
              "<InitiateMultipartUploadResult><UploadId>up/1+2</UploadId></"
              "InitiateMultipartUploadResult>"};
    }
    if (r.method == "PUT") {  // ?partNumber=N&uploadId=...
      const int number = std::stoi(query.substr(query.find("partNumber=") + 11));
      m_parts[number] = r.body;
      if (part_delay.count() > 0) std::this_thread::sleep_for(part_delay);
      return {200, {{"ETag", "\"" + md5_hex(r.body) + "\""}}, ""};
    }
    if (r.method == "POST") {  // complete
      std::string whole;
      std::string md5s;
      for (const auto& [n, data] : m_parts) {
        whole += data;
        md5s.append(reinterpret_cast<const char*>(worker::s3::digest_bytes(data)->md5.data()), 16);
      }
      m_objects[path] = whole;
      m_etags[path] = md5_hex(md5s) + "-" + std::to_string(m_parts.size());
      complete_body = r.body;
      return {200,
              {},
              "<CompleteMultipartUploadResult><ETag>&quot;" + m_etags[path] +
                  "&quot;</ETag></CompleteMultipartUploadResult>"};
    }
    if (r.method == "DELETE") {
      ++aborts;
      return {204, {}, ""};
    }
    return {400, {}, "<Error><Code>Unexpected</Code></Error>"};
  }

  std::string object(const std::string& path) {
    const std::lock_guard lock(m_mutex);
    return m_objects[path];
  }

  std::chrono::milliseconds part_delay{0};
  std::string complete_body;
  int aborts = 0;

 private:
  std::mutex m_mutex;
  std::map<std::string, std::string> m_objects;
  std::map<std::string, std::string> m_etags;
  std::map<int, std::string> m_parts;
};

}  // namespace cctv::test
