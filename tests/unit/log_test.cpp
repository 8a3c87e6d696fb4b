// Unit tests for core/log: sd-daemon priority prefixes, one line per event, and
// redact_url, which must never let a password or a signed query through.
#define BOOST_TEST_MODULE log
#include <boost/test/unit_test.hpp>

#include "core/log.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>

using namespace cctv;

namespace {

// Redirects stderr to a temporary file while alive; text() returns what was written.
class CaptureStderr {
 public:
  CaptureStderr() {
    m_file = std::tmpfile();
    if (m_file == nullptr) throw std::runtime_error("tmpfile failed");
    std::fflush(stderr);
    m_saved = ::dup(STDERR_FILENO);
    ::dup2(::fileno(m_file), STDERR_FILENO);
  }
  ~CaptureStderr() { restore(); }
  CaptureStderr(const CaptureStderr&) = delete;
  CaptureStderr& operator=(const CaptureStderr&) = delete;

  std::string text() {
    restore();
    std::rewind(m_file);
    std::string out;
    char buf[256];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, m_file)) > 0;) out.append(buf, n);
    return out;
  }

 private:
  void restore() {
    if (m_saved < 0) return;
    std::fflush(stderr);
    ::dup2(m_saved, STDERR_FILENO);
    ::close(m_saved);
    m_saved = -1;
  }
  std::FILE* m_file = nullptr;
  int m_saved = -1;
};

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

}  // namespace

// ---------------------------------------------------------------- write

BOOST_AUTO_TEST_CASE(write_prefixes_the_sd_daemon_priority) {
  log::set_min_level(log::Level::debug);
  CaptureStderr capture;
  log::error("disk full");
  log::warning("cam=front reconnect in 8s: Connection refused");
  log::notice("n");
  log::info("i");
  log::debug("d");
  BOOST_TEST(capture.text() ==
             "<3>disk full\n<4>cam=front reconnect in 8s: Connection refused\n<5>n\n<6>i\n<7>d\n");
  log::set_min_level(log::Level::info);
}

BOOST_AUTO_TEST_CASE(write_keeps_one_event_on_one_line) {
  CaptureStderr capture;
  log::warning("first\nsecond\r\nthird");
  BOOST_TEST(capture.text() == "<4>first second  third\n");
}

BOOST_AUTO_TEST_CASE(messages_below_the_minimum_level_are_dropped) {
  log::set_min_level(log::Level::warning);
  CaptureStderr capture;
  log::info("not shown");
  log::debug("not shown");
  log::warning("shown");
  log::error("shown too");
  BOOST_TEST(capture.text() == "<4>shown\n<3>shown too\n");
  log::set_min_level(log::Level::info);
}

// ---------------------------------------------------------------- redact_url

BOOST_AUTO_TEST_CASE(redact_url_hides_user_and_password) {
  BOOST_TEST(log::redact_url("rtsp://admin:secret@cam/x?token=y") == "rtsp://***@cam/x?***");
  BOOST_TEST(log::redact_url("rtsp://admin:secret@192.168.1.10:554/Streaming/Channels/101") ==
             "rtsp://***@192.168.1.10:554/Streaming/Channels/101");
  BOOST_TEST(log::redact_url("http://user@cam/stream") == "http://***@cam/stream");
  BOOST_TEST(log::redact_url("rtsp://admin:secret@cam") == "rtsp://***@cam");
  BOOST_TEST(log::redact_url("admin:secret@cam/x") == "***@cam/x");
}

BOOST_AUTO_TEST_CASE(redact_url_hides_query_strings) {
  const std::string signed_url =
      "https://bucket.s3.amazonaws.com/front/2026-11-20/video.mp4?X-Amz-Algorithm=AWS4-HMAC-"
      "SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20261120&X-Amz-Signature=abcdef";
  const std::string redacted = log::redact_url(signed_url);
  BOOST_TEST(redacted == "https://bucket.s3.amazonaws.com/front/2026-11-20/video.mp4?***");
  BOOST_TEST(!contains(redacted, "AKIA"));
  BOOST_TEST(!contains(redacted, "Signature"));
}

BOOST_AUTO_TEST_CASE(redact_url_leaves_urls_without_secrets_alone) {
  BOOST_TEST(log::redact_url("rtsp://cam/x") == "rtsp://cam/x");
  BOOST_TEST(log::redact_url("rtsp://192.168.1.10:554/live") == "rtsp://192.168.1.10:554/live");
  BOOST_TEST(log::redact_url("") == "");
  BOOST_TEST(log::redact_url("/srv/cctv/front") == "/srv/cctv/front");
}

BOOST_AUTO_TEST_CASE(redact_url_hides_passwords_that_contain_reserved_characters) {
  // Cameras are configured by hand; raw '@', '/', ':' and '?' in passwords happen.
  // FFmpeg takes the last '@' of the authority, so "p@ss" is all password.
  for (const char* url :
       {"rtsp://admin:p@ss@cam/x", "rtsp://admin:p@ss@word@cam/x", "rtsp://admin:pa/ss@cam/x",
        "rtsp://admin:pa:ss@cam:554/x", "rtsp://admin:pa?ss@cam/x"}) {
    const std::string redacted = log::redact_url(url);
    BOOST_TEST(!contains(redacted, "admin"), url << " -> " << redacted);
    BOOST_TEST(!contains(redacted, "ss"), url << " -> " << redacted);
    BOOST_TEST(contains(redacted, "***"), url << " -> " << redacted);
  }
  BOOST_TEST(log::redact_url("rtsp://admin:p@ss@cam/x") == "rtsp://***@cam/x");
}
