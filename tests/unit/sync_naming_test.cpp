// Unit tests for worker/sync_naming: the Izara object keys of issue 5.
#define BOOST_TEST_MODULE sync_naming
#include <boost/test/unit_test.hpp>

#include "worker/sync_naming.hpp"

#include <string>

using namespace cctv;
using namespace cctv::worker;

namespace {

constexpr std::int64_t k_s = k_micros_per_second;
// 2026-11-20T10:15:00Z
constexpr UtcMicros k_t0 = (20777LL * 86400 + 36900) * k_s;

S3Config s3(std::string prefix) {
  S3Config c;
  c.bucket = "cctv";
  c.prefix = std::move(prefix);
  return c;
}

}  // namespace

BOOST_AUTO_TEST_CASE(key_time_is_utc_rounded_down_to_the_second) {
  BOOST_TEST(key_time(k_t0) == "20261120T101500Z");
  BOOST_TEST(key_time(k_t0 + 999'999) == "20261120T101500Z");
  BOOST_TEST(key_time(k_t0 + k_s) == "20261120T101501Z");
  BOOST_TEST(key_time(0) == "19700101T000000Z");
  BOOST_TEST(key_time((20777LL * 86400 - 1) * k_s) == "20261119T235959Z");
}

BOOST_AUTO_TEST_CASE(feed_ids_become_one_key_field) {
  BOOST_TEST(key_feed_id("101") == "101");
  BOOST_TEST(key_feed_id("Streaming/Channels/101") == "Streaming-Channels-101");
  BOOST_TEST(key_feed_id("/stream1/") == "stream1");
  BOOST_TEST(key_feed_id("a b_c?d") == "a-b-c-d");  // '_' separates the fields
  BOOST_TEST(key_feed_id("") == "");
}

BOOST_AUTO_TEST_CASE(extension_is_everything_after_the_first_dot) {
  BOOST_TEST(key_extension("video_101500.ts") == "ts");
  BOOST_TEST(key_extension("video.mp4") == "mp4");
  BOOST_TEST(key_extension("video.mp4.sha512sum") == "mp4.sha512sum");
  BOOST_TEST(key_extension("noext") == "");
}

BOOST_AUTO_TEST_CASE(segment_key_follows_the_izara_naming) {
  const KeyParts parts{"front", "Streaming/Channels/101", Date{2026, 11, 20},
                       k_t0,    k_t0 + 10'040'000,        "video_101500.ts"};
  BOOST_TEST(object_key(s3("site1"), parts) ==
             "site1/front/2026-11-20/"
             "front_Streaming-Channels-101_20261120T101500Z_20261120T101510Z.ts");
  BOOST_TEST(object_key(s3(""), parts) ==
             "front/2026-11-20/front_Streaming-Channels-101_20261120T101500Z_20261120T101510Z.ts");
}

BOOST_AUTO_TEST_CASE(end_is_rounded_to_the_nearest_second) {
  KeyParts parts{"cam", "1", Date{2026, 11, 20}, k_t0, k_t0 + 9'960'000, "video_101500.ts"};
  BOOST_TEST(object_key(s3(""), parts) ==
             "cam/2026-11-20/cam_1_20261120T101500Z_20261120T101510Z.ts");
  parts.end_us = k_t0 + 10'499'999;
  BOOST_TEST(object_key(s3(""), parts) ==
             "cam/2026-11-20/cam_1_20261120T101500Z_20261120T101510Z.ts");
  parts.end_us = k_t0 + 10'500'000;
  BOOST_TEST(object_key(s3(""), parts) ==
             "cam/2026-11-20/cam_1_20261120T101500Z_20261120T101511Z.ts");
}

BOOST_AUTO_TEST_CASE(without_feed_id_the_field_is_left_out) {
  const KeyParts parts{"garage", "", Date{2026, 11, 20}, k_t0, k_t0 + 10 * k_s, "video_101500.ts"};
  BOOST_TEST(object_key(s3("a/b"), parts) ==
             "a/b/garage/2026-11-20/garage_20261120T101500Z_20261120T101510Z.ts");
}

BOOST_AUTO_TEST_CASE(converted_day_and_checksum_share_their_times) {
  // The local day directory (Europe/Berlin's 2026-11-20 starts at 23:00Z the day before).
  const UtcMicros start = k_t0 - 11 * 3600 * k_s - 15 * 60 * k_s;  // 2026-11-19T23:00:00Z
  const UtcMicros end = start + 24 * 3600 * k_s;
  KeyParts parts{"front", "101", Date{2026, 11, 20}, start, end, "video.mp4"};
  BOOST_TEST(object_key(s3("s"), parts) ==
             "s/front/2026-11-20/front_101_20261119T230000Z_20261120T230000Z.mp4");
  parts.file_name = "video.mp4.sha512sum";
  BOOST_TEST(object_key(s3("s"), parts) ==
             "s/front/2026-11-20/front_101_20261119T230000Z_20261120T230000Z.mp4.sha512sum");
}
