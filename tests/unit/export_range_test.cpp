// Unit tests for fcgi/export_range: the times and URL shapes an export accepts, and
// which files (and byte ranges) a range is made of. Expected instants are worked out by
// hand (Europe/Berlin is UTC+1 in November): 2026-11-20T09:15:00Z = 1795166100 s.
#define BOOST_TEST_MODULE export_range
#include "fcgi/export_range.hpp"

#include <boost/test/unit_test.hpp>

using namespace cctv;
using namespace cctv::web;

namespace {

constexpr UtcMicros k_s = k_micros_per_second;
constexpr UtcMicros k_0915z = 1'795'166'100 * k_s;  // 2026-11-20T09:15:00Z

TimeZone berlin() { return *TimeZone::load("Europe/Berlin"); }

Segment seg(const char* name, UtcMicros start, std::int64_t duration_s,
            const char* codec = "h264 320x180") {
  Segment s;
  s.date = *parse_date("2026-11-20");
  s.name = name;
  s.start_us = start;
  s.duration_us = duration_s * k_s;
  s.size_bytes = 1000;
  s.codec = codec;
  return s;
}

}  // namespace

BOOST_AUTO_TEST_CASE(times_with_an_offset_or_z) {
  const TimeZone tz = berlin();
  BOOST_TEST(*parse_export_time("from", "2026-11-20T09:15:00Z", tz) == k_0915z);
  BOOST_TEST(*parse_export_time("from", "2026-11-20T10:15:00+01:00", tz) == k_0915z);
  BOOST_TEST(*parse_export_time("from", "2026-11-20T10:15:00+0100", tz) == k_0915z);
  BOOST_TEST(*parse_export_time("from", "2026-11-20T04:45:00-04:30", tz) == k_0915z);
  // An unencoded '+' in a query string arrives as a space.
  BOOST_TEST(*parse_export_time("from", "2026-11-20T10:15:00 01:00", tz) == k_0915z);
  BOOST_TEST(*parse_export_time("from", "2026-11-20T09:15:00.5Z", tz) == k_0915z + k_s / 2);
  BOOST_TEST(*parse_export_time("from", "2026-11-20T09:15:00.123456789Z", tz) == k_0915z + 123456);
}

BOOST_AUTO_TEST_CASE(a_time_without_offset_is_the_cameras_local_time) {
  BOOST_TEST(*parse_export_time("from", "2026-11-20T10:15:00", berlin()) == k_0915z);
  BOOST_TEST(*parse_export_time("from", "2026-11-20T09:15:00", TimeZone::utc()) == k_0915z);
  // Summer time: UTC+2.
  BOOST_TEST(*parse_export_time("to", "2026-07-01T12:00:00", berlin()) ==
             *parse_export_time("to", "2026-07-01T10:00:00Z", berlin()));
}

BOOST_AUTO_TEST_CASE(hostile_and_malformed_times_are_refused) {
  const TimeZone tz = berlin();
  for (const char* bad : {"",
                          "yesterday",
                          "2026-11-20",
                          "2026-11-20 10:15:00",
                          "2026-11-20T10:15",
                          "2026-13-20T10:15:00",
                          "2026-02-30T10:15:00",
                          "2026-11-20T24:00:00",
                          "2026-11-20T10:60:00",
                          "2026-11-20T10:15:60",
                          "2026-11-20T10:15:00.",
                          "2026-11-20T10:15:00.1234567890Z",
                          "2026-11-20T10:15:00+1",
                          "2026-11-20T10:15:00+25:00",
                          "2026-11-20T10:15:00Zjunk",
                          "2026-11-20T10:15:00z",
                          "0000-01-01T00:00:00Z",
                          "2026-11-20T10:15:00/../..",
                          "-2026-11-20T10:15:00",
                          "2026-11-20T1a:15:00"}) {
    auto r = parse_export_time("from", bad, tz);
    BOOST_TEST_INFO(bad);
    BOOST_TEST(!r.has_value());
    if (!r) {
      BOOST_TEST((r.error().kind == ErrorKind::invalid_argument));
      BOOST_TEST(r.error().message.starts_with("from: "));
      BOOST_TEST(r.error().message.find('\n') == std::string::npos);
    }
  }
}

BOOST_AUTO_TEST_CASE(range_url_shape) {
  auto r = parse_range_path("camera/front.range.20261120.1015.to.20261121.0005.mp4");
  BOOST_TEST_REQUIRE(r.has_value());
  BOOST_TEST_REQUIRE(r->has_value());
  const RangePath& p = **r;
  BOOST_TEST(p.camera == "front");
  BOOST_TEST(format_date(p.from.date) == "2026-11-20");
  BOOST_TEST(p.from.hour == 10);
  BOOST_TEST(p.from.minute == 15);
  BOOST_TEST(format_date(p.to.date) == "2026-11-21");
  BOOST_TEST(p.to.minute == 5);
  // Dots in a camera name: the last ".range." counts.
  auto dotted = parse_range_path("camera/a.b.range.20261120.1015.to.20261120.1030.mp4");
  BOOST_TEST_REQUIRE((dotted && *dotted));
  BOOST_TEST((*dotted)->camera == "a.b");
}

BOOST_AUTO_TEST_CASE(other_api_paths_are_not_ranges_and_bad_ranges_are_errors) {
  BOOST_TEST(!*parse_range_path("cameras.json"));
  BOOST_TEST(!*parse_range_path("camera/front.mp4"));
  for (const char* bad : {"camera/front.range.20261120.1015.to.20261120.10300.mp4",
                          "camera/front.range.20261320.1015.to.20261120.1030.mp4",
                          "camera/front.range.20261120.2415.to.20261120.1030.mp4",
                          "camera/front.range.20261120.1015.until.20261120.1030.mp4",
                          "camera/.range.20261120.1015.to.20261120.1030.mp4",
                          "camera/a/b.range.20261120.1015.to.20261120.1030.mp4"}) {
    BOOST_TEST_INFO(bad);
    auto r = parse_range_path(bad);
    BOOST_TEST(!r.has_value());
  }
}

BOOST_AUTO_TEST_CASE(plan_inside_one_segment_and_across_segments) {
  DaySource day{*parse_date("2026-11-20"), {}, std::nullopt};
  for (std::int64_t i = 0; i < 6; ++i) {
    day.segments.push_back(
        seg(("video_1015" + std::to_string(i) + "0.ts").c_str(), k_0915z + i * 10 * k_s, 10));
  }
  auto inside = plan_export({day}, k_0915z + 12 * k_s, k_0915z + 18 * k_s);
  BOOST_TEST_REQUIRE(inside.has_value());
  BOOST_TEST_REQUIRE(inside->pieces.size() == 1U);
  BOOST_TEST(inside->pieces[0].name == "video_101510.ts");
  BOOST_TEST(inside->conflict.empty());
  auto across = plan_export({day}, k_0915z + 15 * k_s, k_0915z + 35 * k_s);
  BOOST_TEST_REQUIRE(across.has_value());
  BOOST_TEST_REQUIRE(across->pieces.size() == 3U);
  BOOST_TEST(across->pieces[0].name == "video_101510.ts");
  BOOST_TEST(across->pieces[2].name == "video_101530.ts");
  BOOST_TEST(across->bytes == 3000);
  // `to` at a segment's start does not take that segment.
  auto edge = plan_export({day}, k_0915z, k_0915z + 10 * k_s);
  BOOST_TEST_REQUIRE(edge.has_value());
  BOOST_TEST(edge->pieces.size() == 1U);
  auto none = plan_export({day}, k_0915z + 3600 * k_s, k_0915z + 3700 * k_s);
  BOOST_TEST_REQUIRE(!none.has_value());
  BOOST_TEST((none.error().kind == ErrorKind::not_found));
}

BOOST_AUTO_TEST_CASE(plan_across_midnight_keeps_time_order) {
  DaySource d1{*parse_date("2026-11-20"), {seg("video_235950.ts", k_0915z, 10)}, std::nullopt};
  DaySource d2{
      *parse_date("2026-11-21"), {seg("video_000000.ts", k_0915z + 10 * k_s, 10)}, std::nullopt};
  d2.segments[0].date = d2.date;
  auto plan = plan_export({d1, d2}, k_0915z + 5 * k_s, k_0915z + 15 * k_s);
  BOOST_TEST_REQUIRE(plan.has_value());
  BOOST_TEST_REQUIRE(plan->pieces.size() == 2U);
  BOOST_TEST(format_date(plan->pieces[0].date) == "2026-11-20");
  BOOST_TEST(format_date(plan->pieces[1].date) == "2026-11-21");
}

BOOST_AUTO_TEST_CASE(plan_of_a_converted_day_takes_whole_fragments_by_byte_range) {
  ConvertedDay file;
  file.init_size_bytes = 800;
  file.codec = "hevc 320x180";
  for (std::int64_t i = 0; i < 5; ++i) {
    file.fragments.push_back(Fragment{800 + i * 1000, 1000, k_0915z + i * 10 * k_s, 10 * k_s});
  }
  DaySource day{*parse_date("2026-11-20"), {}, file};
  auto plan = plan_export({day}, k_0915z + 15 * k_s, k_0915z + 25 * k_s);
  BOOST_TEST_REQUIRE(plan.has_value());
  BOOST_TEST_REQUIRE(plan->pieces.size() == 1U);
  const ExportPiece& p = plan->pieces[0];
  BOOST_TEST(p.converted);
  BOOST_TEST(p.name == "video.mp4");
  BOOST_TEST(p.init_bytes == 800);
  BOOST_TEST(p.offset_bytes == 1800);
  BOOST_TEST(p.length_bytes == 2000);
  BOOST_TEST(p.start_us == k_0915z + 10 * k_s);
  BOOST_TEST(p.end_us == k_0915z + 30 * k_s);
}

BOOST_AUTO_TEST_CASE(plan_across_a_codec_change_is_a_conflict) {
  ConvertedDay file;
  file.init_size_bytes = 800;
  file.codec = "hevc 320x180";
  file.fragments.push_back(Fragment{800, 1000, k_0915z, 10 * k_s});
  DaySource converted{*parse_date("2026-11-20"), {}, file};
  DaySource h264{
      *parse_date("2026-11-21"), {seg("video_000000.ts", k_0915z + 10 * k_s, 10)}, std::nullopt};
  auto plan = plan_export({converted, h264}, k_0915z + 5 * k_s, k_0915z + 15 * k_s);
  BOOST_TEST_REQUIRE(plan.has_value());
  BOOST_TEST(plan->conflict.find("codec change (hevc 320x180 to h264 320x180") !=
             std::string::npos);
  BOOST_TEST(plan->conflict.find('\n') == std::string::npos);
  // A picture-size change inside a day is one too.
  DaySource sizes{*parse_date("2026-11-21"),
                  {seg("video_000000.ts", k_0915z, 10),
                   seg("video_000010.ts", k_0915z + 10 * k_s, 10, "h264 640x360")},
                  std::nullopt};
  auto size_plan = plan_export({sizes}, k_0915z, k_0915z + 20 * k_s);
  BOOST_TEST_REQUIRE(size_plan.has_value());
  BOOST_TEST(size_plan->conflict.find("picture size change") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(file_name_in_local_time) {
  BOOST_TEST(export_file_name("front", berlin(), k_0915z, k_0915z + 3599 * k_s) ==
             "front_20261120-101500_20261120-111459.mp4");
  BOOST_TEST(export_file_name("yard", TimeZone::utc(), k_0915z, k_0915z + 60 * k_s) ==
             "yard_20261120-091500_20261120-091600.mp4");
}
