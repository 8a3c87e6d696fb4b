// Unit tests for worker/segment_file: start times from names in the camera's time
// zone (DST days included), the sidecar winning over the probe, file stamps.
#define BOOST_TEST_MODULE segment_file
#include <boost/test/unit_test.hpp>

#include "tests/unit/worker_fixture.hpp"
#include "worker/segment_file.hpp"

#include <cmath>

using namespace cctv;
using namespace cctv::test;
using namespace cctv::worker;

namespace {

UtcMicros utc(int y, int mo, int d, int h, int mi, int s) {
  return (days_from_civil(Date{y, mo, d}) * 86400 + h * 3600 + mi * 60 + s) * k_micros_per_second;
}

}  // namespace

BOOST_AUTO_TEST_CASE(start_is_the_local_name_in_utc) {
  const auto berlin = value_of(TimeZone::load("Europe/Berlin"));
  BOOST_TEST(*segment_start(berlin, Date{2026, 11, 20}, "video_101500.ts") ==
             utc(2026, 11, 20, 9, 15, 0));  // CET = UTC+1
  BOOST_TEST(*segment_start(berlin, Date{2026, 7, 1}, "video_000000.ts") ==
             utc(2026, 6, 30, 22, 0, 0));  // CEST = UTC+2
  BOOST_TEST(*segment_start(TimeZone::utc(), Date{2026, 11, 20}, "video_235959.ts") ==
             utc(2026, 11, 20, 23, 59, 59));
  BOOST_TEST(!segment_start(berlin, Date{2026, 11, 20}, "video_246000.ts"));
  BOOST_TEST(!segment_start(berlin, Date{2026, 11, 20}, "clip.ts"));
}

BOOST_AUTO_TEST_CASE(dst_spring_forward_gap_gets_a_sane_time) {
  // 2026-03-08 in New York: 02:00 EST jumps to 03:00 EDT; 02:30 does not exist.
  const auto ny = value_of(TimeZone::load("America/New_York"));
  const Date day{2026, 3, 8};
  const UtcMicros before = *segment_start(ny, day, "video_015950.ts");
  const UtcMicros skipped = *segment_start(ny, day, "video_023000.ts");
  const UtcMicros after = *segment_start(ny, day, "video_030000.ts");
  BOOST_TEST(before == utc(2026, 3, 8, 6, 59, 50));  // EST = UTC-5
  BOOST_TEST(after == utc(2026, 3, 8, 7, 0, 0));     // EDT = UTC-4
  BOOST_TEST(skipped == utc(2026, 3, 8, 7, 30, 0));  // moved forward by the hour: 03:30 EDT
  BOOST_TEST(skipped >= ny.day_start(day));
  BOOST_TEST(skipped < ny.day_end(day));
  BOOST_TEST(ny.day_end(day) - ny.day_start(day) == 23 * 3600 * k_micros_per_second);
}

BOOST_AUTO_TEST_CASE(dst_fall_back_repeated_hour_is_the_first) {
  // 2026-11-01 in New York: 01:30 happens twice; the name means the first (EDT).
  const auto ny = value_of(TimeZone::load("America/New_York"));
  BOOST_TEST(*segment_start(ny, Date{2026, 11, 1}, "video_013000.ts") ==
             utc(2026, 11, 1, 5, 30, 0));
}

BOOST_AUTO_TEST_CASE(sidecar_wins_over_the_probe) {
  TempDir dir;
  const auto day = dir.path() / "2026-11-20";
  copy_sample(day / "video_101500.ts");
  const auto stamp = *stamp_of(day / "video_101500.ts");

  auto probed = value_of(
      read_segment_file(TimeZone::utc(), day, Date{2026, 11, 20}, "video_101500.ts", stamp));
  BOOST_TEST(probed.duration_us == std::llround(ffprobe_duration(sample_ts()) * 1e6));
  BOOST_TEST(probed.codec == "h264 320x180");
  BOOST_TEST(probed.start_us == utc(2026, 11, 20, 10, 15, 0));
  BOOST_TEST(probed.size_bytes == static_cast<std::int64_t>(fs::file_size(sample_ts())));
  BOOST_TEST(probed.mtime_ns == stamp.mtime_ns);

  write_file(day / "video_101500.ts.duration", "9.876\n");
  auto with_sidecar = value_of(
      read_segment_file(TimeZone::utc(), day, Date{2026, 11, 20}, "video_101500.ts", stamp));
  BOOST_TEST(with_sidecar.duration_us == 9'876'000);
  BOOST_TEST(with_sidecar.codec == "h264 320x180");  // still opened for its codec

  write_file(day / "video_101500.ts.duration", "ten seconds");  // invalid: probed instead
  auto bad_sidecar = value_of(
      read_segment_file(TimeZone::utc(), day, Date{2026, 11, 20}, "video_101500.ts", stamp));
  BOOST_TEST(bad_sidecar.duration_us == probed.duration_us);
}

BOOST_AUTO_TEST_CASE(a_sidecar_does_not_make_garbage_a_segment) {
  TempDir dir;
  write_file(dir.path() / "video_000000.ts", "not a video");
  write_file(dir.path() / "video_000000.ts.duration", "10");
  BOOST_TEST(!read_segment_file(TimeZone::utc(), dir.path(), Date{2026, 11, 20}, "video_000000.ts",
                                *stamp_of(dir.path() / "video_000000.ts")));
}

BOOST_AUTO_TEST_CASE(stamps_are_size_and_nanosecond_mtime_of_regular_files) {
  TempDir dir;
  write_file(dir.path() / "a", "12345");
  set_mtime(dir.path() / "a", 1'700'000'000);
  const auto stamp = stamp_of(dir.path() / "a");
  BOOST_REQUIRE(stamp);
  BOOST_TEST(stamp->size_bytes == 5);
  BOOST_TEST(stamp->mtime_ns == 1'700'000'000LL * 1'000'000'000);
  BOOST_TEST(!stamp_of(dir.path()));  // a directory
  BOOST_TEST(!stamp_of(dir.path() / "missing"));
}
