#define BOOST_TEST_MODULE http
#include "fcgi/http.hpp"

#include "fcgi/human.hpp"

#include <boost/test/unit_test.hpp>

using namespace cctv::web;

BOOST_AUTO_TEST_CASE(head_has_status_headers_and_length) {
  Response r = text_response(404, "no such day\nsecond line");
  const std::string head = serialize_head(r, r.body_view().size());
  BOOST_TEST(head.starts_with("Status: 404 Not Found\r\n"));
  BOOST_TEST(head.find("Content-Type: text/plain; charset=utf-8\r\n") != std::string::npos);
  BOOST_TEST(head.ends_with("Content-Length: 24\r\n\r\n"));
  BOOST_TEST(r.body_view() == "no such day second line\n");  // one line
}

BOOST_AUTO_TEST_CASE(a_streamed_head_has_no_length_and_a_304_none) {
  Response r;
  r.status = 200;
  r.headers.emplace_back("Content-Type", "video/mp4");
  BOOST_TEST(serialize_head(r, std::nullopt) ==
             "Status: 200 OK\r\nContent-Type: video/mp4\r\n\r\n");
  r.status = 304;
  BOOST_TEST(serialize_head(r, 10) ==
             "Status: 304 Not Modified\r\nContent-Type: video/mp4\r\n\r\n");
}

BOOST_AUTO_TEST_CASE(error_kinds_map_to_statuses) {
  using cctv::ErrorKind;
  BOOST_TEST(status_for(ErrorKind::invalid_argument) == 400);
  BOOST_TEST(status_for(ErrorKind::not_found) == 404);
  BOOST_TEST(status_for(ErrorKind::unavailable) == 503);
  BOOST_TEST(status_for(ErrorKind::internal) == 500);
}

BOOST_AUTO_TEST_CASE(conditional_requests) {
  Request r;
  BOOST_TEST(!not_modified(r, "\"abc\"", 1000));
  r.if_none_match = "\"abc\"";
  BOOST_TEST(not_modified(r, "\"abc\"", 1000));
  r.if_none_match = "\"x\", W/\"abc\"";
  BOOST_TEST(not_modified(r, "\"abc\"", 1000));
  r.if_none_match = "\"x\"";
  BOOST_TEST(!not_modified(r, "\"abc\"", 1000));
  // If-None-Match wins over If-Modified-Since (RFC 7232 section 6).
  r.if_modified_since = "Thu, 01 Jan 1970 00:16:40 GMT";
  BOOST_TEST(!not_modified(r, "\"abc\"", 1000));
  r.if_none_match.clear();
  BOOST_TEST(not_modified(r, "\"abc\"", 1000));
  BOOST_TEST(!not_modified(r, "\"abc\"", 1001));
  r.if_modified_since = "garbage";
  BOOST_TEST(!not_modified(r, "\"abc\"", 1000));
}

BOOST_AUTO_TEST_CASE(url_encoding) {
  BOOST_TEST(url_encode("front-1_a.b~") == "front-1_a.b~");
  BOOST_TEST(url_encode("a b&c=d/\"<") == "a%20b%26c%3Dd%2F%22%3C");
}

BOOST_AUTO_TEST_CASE(human_numbers) {
  BOOST_TEST(human_bytes(0) == "0 B");
  BOOST_TEST(human_bytes(999) == "999 B");
  BOOST_TEST(human_bytes(1500) == "1.5 kB");
  BOOST_TEST(human_bytes(12'345'678'901) == "12.3 GB");
  BOOST_TEST(human_bytes(999'960) == "1.0 MB");
  BOOST_TEST(human_duration(0) == "0 s");
  BOOST_TEST(human_duration(42'000'000) == "42 s");
  BOOST_TEST(human_duration(130'000'000) == "2 min 10 s");
  BOOST_TEST(human_duration(120'000'000) == "2 min");
  BOOST_TEST(human_duration((23 * 3600 + 58 * 60) * 1'000'000LL) == "23 h 58 min");
  BOOST_TEST(human_duration(3600'000'000LL) == "1 h");
}

BOOST_AUTO_TEST_CASE(byte_ranges) {
  auto range = [](std::string_view header, std::int64_t total) -> std::string {
    const auto r = parse_byte_range(header, total);
    if (!r) return "whole";
    if (!r->satisfiable) return "416";
    return std::to_string(r->first) + "-" + std::to_string(r->last);
  };
  BOOST_TEST(range("bytes=0-99", 1000) == "0-99");
  BOOST_TEST(range("bytes=100-", 1000) == "100-999");
  BOOST_TEST(range("bytes=900-5000", 1000) == "900-999");  // clipped to the end
  BOOST_TEST(range("bytes=-100", 1000) == "900-999");
  BOOST_TEST(range("bytes=-5000", 1000) == "0-999");
  BOOST_TEST(range("bytes=1000-", 1000) == "416");
  BOOST_TEST(range("bytes=-0", 1000) == "416");
  BOOST_TEST(range("bytes=0-", 0) == "416");
  // Nothing to honour: the whole body.
  for (std::string_view ignored : {"", "bytes=", "bytes=-", "bytes=5-4", "bytes=a-9", "bytes= 1-2",
                                   "bytes=1-2 ", "bytes=0-1,3-4", "items=0-9", "bytes=+1-2",
                                   "bytes=99999999999999999999-", "bytes=1-99999999999999999999"}) {
    BOOST_TEST(range(ignored, 1000) == "whole", ignored);
  }
}
