// Unit tests for worker/s3_http: the RAII wrappers (move construction and assignment of
// CurlEasy and CurlHeaders) and transport errors classified as retryable.
#define BOOST_TEST_MODULE s3_http
#include <boost/test/unit_test.hpp>

#include "tests/unit/printers.hpp"
#include "worker/s3_error.hpp"
#include "worker/s3_http.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

using namespace cctv;
using namespace cctv::worker;

namespace {

// A loopback port with nothing listening: bound, then closed.
int closed_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace

BOOST_AUTO_TEST_CASE(curl_easy_moves) {
  auto a = s3::CurlEasy::create();
  BOOST_TEST_REQUIRE(a.has_value());
  CURL* handle = a->get();
  BOOST_TEST(handle != nullptr);
  s3::CurlEasy b = std::move(*a);
  BOOST_TEST(b.get() == handle);
  BOOST_TEST(!*a);  // NOLINT(bugprone-use-after-move): moved-from is empty by contract
  auto c = s3::CurlEasy::create();
  BOOST_TEST_REQUIRE(c.has_value());
  *c = std::move(b);  // the old handle of c is cleaned up
  BOOST_TEST(c->get() == handle);
}

BOOST_AUTO_TEST_CASE(curl_headers_move_and_refuse_line_breaks) {
  s3::CurlHeaders a;
  BOOST_TEST(a.append("host: example").has_value());
  BOOST_TEST(a.append("x-amz-date: 20130524T000000Z").has_value());
  BOOST_TEST(a.size() == 2U);
  curl_slist* list = a.get();
  s3::CurlHeaders b(std::move(a));
  BOOST_TEST(b.get() == list);
  BOOST_TEST(a.get() == nullptr);  // NOLINT(bugprone-use-after-move)
  s3::CurlHeaders c;
  BOOST_TEST(c.append("other: 1").has_value());
  c = std::move(b);  // c's old list is freed
  BOOST_TEST(c.get() == list);
  BOOST_TEST(c.size() == 2U);
  c = std::move(c);  // self-move keeps it
  BOOST_TEST(c.get() == list);
  BOOST_TEST(!c.append("x: a\r\nInjected: b").has_value());
  BOOST_TEST(c.size() == 2U);
}

BOOST_AUTO_TEST_CASE(a_refused_connection_is_retryable) {
  auto connection = s3::HttpConnection::create({});
  BOOST_TEST_REQUIRE(connection.has_value());
  s3::HttpRequest request;
  request.method = "GET";
  request.url = "http://127.0.0.1:" + std::to_string(closed_port()) + "/bucket/key";
  auto response = connection->perform(request, "GET s3://bucket/key");
  BOOST_TEST_REQUIRE(!response.has_value());
  BOOST_TEST(s3::is_retryable(response.error()));
  BOOST_TEST(response.error().message.starts_with("GET s3://bucket/key: Couldn't connect"),
             response.error().message);
  // The same connection object is usable again.
  auto again = connection->perform(request, "GET again");
  BOOST_TEST_REQUIRE(!again.has_value());
  BOOST_TEST(s3::is_retryable(again.error()));
}

BOOST_AUTO_TEST_CASE(a_connection_moves) {
  auto a = s3::HttpConnection::create({});
  BOOST_TEST_REQUIRE(a.has_value());
  s3::HttpConnection b = std::move(*a);
  s3::HttpRequest request;
  request.method = "GET";
  request.url = "http://127.0.0.1:" + std::to_string(closed_port()) + "/";
  BOOST_TEST(s3::is_retryable(b.perform(request, "GET").error()));
  // A moved-from connection reports a bug instead of crashing.
  auto moved = a->perform(request, "GET");  // NOLINT(bugprone-use-after-move)
  BOOST_TEST_REQUIRE(!moved.has_value());
  BOOST_TEST(moved.error().kind == ErrorKind::internal);
  *a = std::move(b);
  BOOST_TEST(s3::is_retryable(a->perform(request, "GET").error()));
}
