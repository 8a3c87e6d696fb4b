// Unit tests for worker/recorder_salvage: a truncated real TS left as .part by a
// crash is kept under its final name (or the next free second) and indexed; an
// unplayable one is removed; only the newest two days are searched; other files
// are left alone.
#define BOOST_TEST_MODULE recorder_salvage
#include <boost/test/unit_test.hpp>

#include "tests/unit/recorder_fixture.hpp"
#include "worker/recorder_salvage.hpp"

using namespace cctv;
using namespace cctv::test;
using namespace cctv::worker;

namespace {

// A 3 s segment cut off at `fraction` of its bytes (mid-packet), as kill -9 leaves it.
void make_truncated(const fs::path& part, double fraction) {
  make_ts(part, 3);
  const auto size = fs::file_size(part);
  fs::resize_file(part, static_cast<std::uintmax_t>(static_cast<double>(size) * fraction) + 77);
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_truncated_part_is_kept_under_its_final_name_and_indexed) {
  RecorderSetup s;
  const fs::path day = s.day("2026-11-20");
  make_truncated(day / "video_101500.ts.part", 0.6);
  const Camera camera = s.camera();
  const SalvageStats stats = value_of(salvage_camera(camera, s.catalog));
  BOOST_TEST(stats.kept == 1u);
  BOOST_TEST(stats.removed == 0u);
  BOOST_TEST(files_in(day) == std::vector<std::string>{"video_101500.ts"},
             boost::test_tools::per_element());
  const auto rows = s.segments("2026-11-20");
  BOOST_TEST_REQUIRE(rows.size() == 1u);
  BOOST_TEST(rows[0].name == "video_101500.ts");
  BOOST_TEST(rows[0].start_us == (20777LL * 86400 + 36900) * k_s);
  BOOST_TEST(rows[0].duration_us > 500'000);
  BOOST_TEST(rows[0].duration_us < 3'000'000);
  BOOST_TEST(std::abs(static_cast<double>(rows[0].duration_us) / 1e6 -
                      ffprobe_duration(day / "video_101500.ts")) < 0.15);
}

BOOST_AUTO_TEST_CASE(unplayable_parts_are_removed) {
  RecorderSetup s;
  const fs::path day = s.day("2026-11-20");
  write_file(day / "video_101500.ts.part", "");
  write_file(day / "video_101510.ts.part", std::string(5000, 'x'));
  make_truncated(day / "video_101520.ts.part", 0.0);  // a header and not one frame
  const SalvageStats stats = value_of(salvage_camera(s.camera(), s.catalog));
  BOOST_TEST(stats.kept == 0u);
  BOOST_TEST(stats.removed == 3u);
  BOOST_TEST(files_in(day).empty());
  BOOST_TEST(s.segments("2026-11-20").empty());
}

BOOST_AUTO_TEST_CASE(a_taken_name_moves_to_the_next_free_second) {
  RecorderSetup s;
  const fs::path day = s.day("2026-11-20");
  copy_sample(day / "video_101500.ts");
  make_truncated(day / "video_101500.ts.part", 0.5);
  const auto kept_size = fs::file_size(day / "video_101500.ts");
  BOOST_TEST(value_of(salvage_camera(s.camera(), s.catalog)).kept == 1u);
  BOOST_TEST(fs::file_size(day / "video_101500.ts") == kept_size);
  BOOST_TEST(fs::exists(day / "video_101501.ts"));
  BOOST_TEST(s.segments("2026-11-20").size() ==
             1u);  // the salvaged one; the other is the reindex's
}

BOOST_AUTO_TEST_CASE(only_the_newest_two_days_are_searched_and_other_files_are_left_alone) {
  RecorderSetup s;
  make_truncated(s.day("2026-11-18") / "video_235959.ts.part", 0.5);
  make_truncated(s.day("2026-11-19") / "video_235950.ts.part", 0.5);
  make_truncated(s.day("2026-11-20") / "video_000005.ts.part", 0.5);
  write_file(s.day("2026-11-20") / "upload.part", "nginx's");
  write_file(s.day("2026-11-20") / ".video_000010.ts", "someone's");
  const SalvageStats stats = value_of(salvage_camera(s.camera(), s.catalog));
  BOOST_TEST(stats.kept == 2u);
  BOOST_TEST(fs::exists(s.day("2026-11-18") / "video_235959.ts.part"));
  BOOST_TEST(fs::exists(s.day("2026-11-19") / "video_235950.ts"));
  BOOST_TEST(fs::exists(s.day("2026-11-20") / "video_000005.ts"));
  BOOST_TEST(fs::exists(s.day("2026-11-20") / "upload.part"));
  BOOST_TEST(fs::exists(s.day("2026-11-20") / ".video_000010.ts"));
}

BOOST_AUTO_TEST_CASE(a_camera_without_a_directory_has_nothing_to_salvage) {
  RecorderSetup s;
  const SalvageStats stats = value_of(salvage_camera(s.camera(), s.catalog));
  BOOST_TEST(stats.kept + stats.removed == 0u);
}

BOOST_AUTO_TEST_CASE(keyframes_are_found_only_where_there_are_some) {
  TempDir dir;
  BOOST_TEST(has_video_keyframe(sample_ts()));
  const fs::path audio = dir.path() / "audio.ts";
  run("ffmpeg -nostdin -v error -f lavfi -i sine -t 1 -c:a aac '" + audio.string() + "'");
  BOOST_TEST(!has_video_keyframe(audio));
  BOOST_TEST(!has_video_keyframe(dir.path() / "missing.ts"));
}
