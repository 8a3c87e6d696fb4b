// Unit tests for core/layout: segment and camera names, duration sidecars and the
// discovery of cameras, days and segments on disk (in temporary directories).
#define BOOST_TEST_MODULE layout
#include <boost/test/unit_test.hpp>

#include "core/layout.hpp"
#include "tests/unit/printers.hpp"
#include "tests/unit/temp_dir.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

using namespace cctv;
namespace fs = std::filesystem;

namespace {

using cctv::test::TempDir;

void touch(const fs::path& path, std::string_view content = "x") {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << content;
}

std::vector<std::string> names_of(const std::vector<CameraDir>& cameras) {
  std::vector<std::string> names;
  for (const auto& c : cameras) names.push_back(c.name);
  return names;
}

}  // namespace

// ---------------------------------------------------------------- segment names

BOOST_AUTO_TEST_CASE(parse_segment_name_reads_the_local_start_time) {
  BOOST_TEST(parse_segment_name("video_101500.ts").value_or(-1) == 10 * 3600 + 15 * 60);
  BOOST_TEST(parse_segment_name("video_000000.ts").value_or(-1) == 0);
  BOOST_TEST(parse_segment_name("video_235959.ts").value_or(-1) == 86399);
}

BOOST_AUTO_TEST_CASE(parse_segment_name_rejects_everything_else) {
  for (std::string_view bad : {"video_246000.ts",
                               "video_240000.ts",
                               "video_106000.ts",
                               "video_101560.ts",
                               "video_1015.ts",
                               "video_10150.ts",
                               "video_1015000.ts",
                               "video_101500.ts.part",
                               "video_101500.ts.duration",
                               "../video_101500.ts",
                               "a/video_101500.ts",
                               "video_101500.TS",
                               "Video_101500.ts",
                               "VIDEO_101500.ts",
                               ".video_101500.ts",
                               "video_10150a.ts",
                               "video_-10150.ts",
                               "video_+10150.ts",
                               "video_ 10150.ts",
                               "video-101500.ts",
                               "video_101500.mp4",
                               "video_101500ts",
                               "video_101500.ts ",
                               "xvideo_101500.ts",
                               "video.mp4",
                               "",
                               "video_.ts"}) {
    BOOST_TEST(!parse_segment_name(bad).has_value(), "\"" << bad << "\" must be rejected");
  }
}

BOOST_AUTO_TEST_CASE(segment_name_formats_and_round_trips_every_second_of_the_day) {
  BOOST_TEST(segment_name(36900) == "video_101500.ts");
  BOOST_TEST(segment_name(0) == "video_000000.ts");
  BOOST_TEST(segment_name(86399) == "video_235959.ts");
  for (int s = 0; s < 86400; ++s) {
    if (parse_segment_name(segment_name(s)) != s) BOOST_FAIL("round trip of " << s);
  }
}

BOOST_AUTO_TEST_CASE(is_partial_name_flags_part_files_and_dot_files) {
  BOOST_TEST(is_partial_name("video_101500.ts.part"));
  BOOST_TEST(is_partial_name(".video_101500.ts"));
  BOOST_TEST(is_partial_name(".video_101500.ts.abc123"));  // rsync / WebDAV temporaries
  BOOST_TEST(is_partial_name("video.mp4.part"));
  BOOST_TEST(!is_partial_name("video_101500.ts"));
  BOOST_TEST(!is_partial_name("video.mp4"));
  BOOST_TEST(!is_partial_name("video_101500.ts.duration"));
}

// ---------------------------------------------------------------- duration sidecars

BOOST_AUTO_TEST_CASE(parse_duration_sidecar_reads_seconds) {
  BOOST_TEST(parse_duration_sidecar("10.04\n").value_or(-1) == 10.04);
  BOOST_TEST(parse_duration_sidecar("10").value_or(-1) == 10.0);
  BOOST_TEST(parse_duration_sidecar("9.5\r\n").value_or(-1) == 9.5);
  BOOST_TEST(parse_duration_sidecar("  10.000 \n").value_or(-1) == 10.0);
  BOOST_TEST(parse_duration_sidecar("0.5").value_or(-1) == 0.5);
  BOOST_TEST(parse_duration_sidecar("86400").value_or(-1) == 86400.0);  // at most a day
}

BOOST_AUTO_TEST_CASE(parse_duration_sidecar_rejects_non_positive_non_finite_and_junk) {
  for (std::string_view bad :
       {"",    "\n",    " ",       "nan",  "NaN", "-nan",   "inf", "-inf",    "infinity",
        "INF", "-1",    "-0.5",    "0",    "0.0", "-0",     "1e9", "86400.5", "1e400",
        "10s", "10,04", "10.04.1", "0x10", "ten", "10\n11", "+10", "10 20",   "\t10"}) {
    BOOST_TEST(!parse_duration_sidecar(bad).has_value(), "\"" << bad << "\" must be rejected");
  }
}

// ---------------------------------------------------------------- camera names

BOOST_AUTO_TEST_CASE(is_valid_camera_name_accepts_plain_names) {
  for (std::string_view good :
       {"front", "Front_Door-2", "cam.1", "a", "0cam", "back-yard", "garage_2", "cam.v2.east"}) {
    BOOST_TEST(is_valid_camera_name(good), "\"" << good << "\" must be accepted");
  }
  BOOST_TEST(is_valid_camera_name(std::string(64, 'a')));
}

BOOST_AUTO_TEST_CASE(is_valid_camera_name_rejects_hostile_names) {
  for (std::string_view bad :
       {"",    ".",    "..",  "../x", "./x",   ".hidden",     "a/b",   "/abs", "a\\b",
        "a b", " a",   "a ",  "-cam", "_cam",  "a:b",         "a%2Fb", "a?b",  "a#b",
        "a&b", "a\"b", "a'b", "a<b",  "cam\n", "caf\xc3\xa9", "a*",    "~cam"}) {
    BOOST_TEST(!is_valid_camera_name(bad), "\"" << bad << "\" must be rejected");
  }
  BOOST_TEST(!is_valid_camera_name(std::string_view("a\0b", 3)));
  BOOST_TEST(!is_valid_camera_name(std::string(65, 'a')));
}

BOOST_AUTO_TEST_CASE(is_valid_camera_name_rejects_dates_and_reserved_names) {
  // A date would be taken for a legacy day directory.
  BOOST_TEST(!is_valid_camera_name("2026-01-01"));
  BOOST_TEST(!is_valid_camera_name("1970-01-01"));
  // The web front end owns these paths.
  for (std::string_view reserved :
       {"assets", "upload", "api", "live", "playlist.m3u8", "playlist.php", "player.html",
        "index.html", "favicon.ico", "favicon.svg", "export.mp4", "frame.jpg", "moment.mp4",
        "moment.gif", "moments"}) {
    BOOST_TEST(is_reserved_name(reserved), reserved);
    BOOST_TEST(!is_valid_camera_name(reserved), reserved);
  }
  BOOST_TEST(!is_reserved_name("front"));
}

// ---------------------------------------------------------------- discovery

BOOST_AUTO_TEST_CASE(discover_cameras_takes_a_root_with_day_directories_as_legacy) {
  TempDir root;
  fs::create_directories(root.path() / "2026-11-20");
  fs::create_directories(root.path() / "2026-11-21");
  auto cameras = discover_cameras(root.path());
  BOOST_TEST_REQUIRE(cameras.size() == 1u);
  BOOST_TEST(cameras[0].name == "camera");
  BOOST_TEST(cameras[0].directory == "");
  auto named = discover_cameras(root.path(), "yard");
  BOOST_TEST_REQUIRE(named.size() == 1u);
  BOOST_TEST(named[0].name == "yard");
  BOOST_TEST(named[0].directory == "");
}

BOOST_AUTO_TEST_CASE(discover_cameras_lists_camera_directories_sorted_by_name) {
  TempDir root;
  for (const char* dir : {"front", "back", "Garage-2"}) fs::create_directories(root.path() / dir);
  // Not cameras: files, hidden and reserved directories, names a camera cannot have.
  touch(root.path() / "notes.txt");
  touch(root.path() / "side");  // a file with a valid camera name
  for (const char* dir : {".hidden", "assets", "lost+found", "a b", "-x"}) {
    fs::create_directories(root.path() / dir);
  }
  auto cameras = discover_cameras(root.path());
  BOOST_TEST(names_of(cameras) == (std::vector<std::string>{"Garage-2", "back", "front"}),
             boost::test_tools::per_element());
  for (const auto& c : cameras) BOOST_TEST(c.directory == c.name);
}

BOOST_AUTO_TEST_CASE(discover_cameras_ignores_a_file_named_like_a_date) {
  TempDir root;
  touch(root.path() / "2026-11-20");
  fs::create_directories(root.path() / "front");
  auto cameras = discover_cameras(root.path());
  BOOST_TEST_REQUIRE(cameras.size() == 1u);
  BOOST_TEST(cameras[0].name == "front");
}

BOOST_AUTO_TEST_CASE(discover_cameras_of_an_empty_or_missing_root_is_empty) {
  TempDir root;
  BOOST_TEST(discover_cameras(root.path()).empty());
  BOOST_TEST(discover_cameras(root.path() / "does-not-exist").empty());
}

BOOST_AUTO_TEST_CASE(list_days_returns_real_day_directories_oldest_first) {
  TempDir cam;
  for (const char* dir : {"2026-11-20", "2025-12-31", "2026-01-02", "2024-02-29"}) {
    fs::create_directories(cam.path() / dir);
  }
  touch(cam.path() / "2026-01-01");  // a file, not a directory
  for (const char* dir : {"2026-02-30", "2026-1-5", "notes", ".2026-01-03", "2026-01-04.old"}) {
    fs::create_directories(cam.path() / dir);
  }
  const auto days = list_days(cam.path());
  std::vector<std::string> got;
  for (const auto& d : days) got.push_back(format_date(d));
  BOOST_TEST(
      got == (std::vector<std::string>{"2024-02-29", "2025-12-31", "2026-01-02", "2026-11-20"}),
      boost::test_tools::per_element());
  BOOST_TEST(list_days(cam.path() / "missing").empty());
}

BOOST_AUTO_TEST_CASE(list_segments_returns_closed_segments_in_time_order) {
  TempDir day;
  for (const char* f :
       {"video_235959.ts", "video_101500.ts", "video_000000.ts", "video_101510.ts"}) {
    touch(day.path() / f);
  }
  // Not closed segments: part files, dot-files, sidecars, the converted day, junk.
  for (const char* f : {"video_101520.ts.part", ".video_101530.ts", "video_101500.ts.duration",
                        "video.mp4", "video.mp4.sha512sum", "video_246000.ts", "thumb.jpg"}) {
    touch(day.path() / f);
  }
  fs::create_directories(day.path() / "video_101540.ts");  // a directory, not a file
  const auto segments = list_segments(day.path());
  std::vector<std::string> names;
  std::vector<int> seconds;
  for (const auto& s : segments) {
    names.push_back(s.name);
    seconds.push_back(s.seconds_of_day);
  }
  BOOST_TEST(names == (std::vector<std::string>{"video_000000.ts", "video_101500.ts",
                                                "video_101510.ts", "video_235959.ts"}),
             boost::test_tools::per_element());
  BOOST_TEST(seconds == (std::vector<int>{0, 36900, 36910, 86399}),
             boost::test_tools::per_element());
  BOOST_TEST(list_segments(day.path() / "missing").empty());
}
