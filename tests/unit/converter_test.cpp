// Unit tests for worker/converter: a short synthetic day (ffmpeg CLI segments indexed
// into a temporary catalog) converted to a fragmented H.265 MP4; a corrupt segment is
// skipped; crash leftovers are cleaned or finished.
#define BOOST_TEST_MODULE converter
#include <boost/test/unit_test.hpp>

#include "core/layout.hpp"
#include "tests/unit/worker_fixture.hpp"
#include "worker/app.hpp"
#include "worker/converter.hpp"
#include "worker/indexer.hpp"
#include "worker/sha512.hpp"

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

using namespace cctv;
using namespace cctv::test;
using namespace cctv::worker;

namespace {

const Date k_day{2026, 11, 18};

struct Day {
  TempDir dir;
  fs::path root = dir.path() / "archive";
  fs::path day_dir = root / "front" / "2026-11-18";
  Catalog catalog = open_catalog(dir.path() / "catalog.sqlite");
  std::int64_t cam = 0;
  ConvertOptions options;

  // `segments` copies of the 2 s sample, named `spacing` seconds apart.
  explicit Day(int segments = 6, int spacing = 2) {
    fs::create_directories(day_dir);
    for (int i = 0; i < segments; ++i) {
      copy_sample(day_dir / segment_name(36000 + spacing * i));
    }
    Indexer indexer(make_config(root, dir.path() / "catalog.sqlite"), catalog);
    value_of(indexer.reindex(false));
    cam = value_of(catalog.find_camera("front"))->id;
    options.preset = "ultrafast";
  }
  Result<ConvertedDay> convert() { return convert_day(catalog, cam, day_dir, k_day, options); }
};

std::size_t ts_files(const fs::path& dir) {
  std::size_t n = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() == ".ts") ++n;
  }
  return n;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_day_becomes_one_fragmented_hevc_mp4_with_its_checksum) {
  Day d;
  BOOST_TEST_REQUIRE(value_of(d.catalog.segments(d.cam, k_day)).size() == 6U);
  const ConvertedDay day = value_of(d.convert());
  const fs::path video = d.day_dir / "video.mp4";
  BOOST_TEST(fs::exists(video));
  BOOST_TEST(!fs::exists(d.day_dir / "video.mp4.part"));
  BOOST_TEST(ts_files(d.day_dir) == 0U);
  BOOST_TEST(run("ffprobe -v error -select_streams v:0 -show_entries stream=codec_name,"
                 "codec_tag_string -of csv=p=0 '" +
                 video.string() + "'") == "hevc,hvc1\n");
  BOOST_TEST(
      std::system(("cd '" + d.day_dir.string() + "' && sha512sum -c --status video.mp4.sha512sum")
                      .c_str()) == 0);
  BOOST_TEST(std::abs(ffprobe_duration(video) - 12.0) < 1.0);
  // The catalog has the day as converted, with the file's own layout.
  const auto stored = value_of(d.catalog.converted_day(d.cam, k_day));
  BOOST_TEST_REQUIRE(stored.has_value());
  const ConvertedDay layout = value_of(layout_of(video));
  BOOST_TEST(stored->init_size_bytes == layout.init_size_bytes);
  BOOST_TEST(stored->file_size_bytes == static_cast<std::int64_t>(fs::file_size(video)));
  BOOST_TEST(stored->codec == "hevc 320x180");
  BOOST_TEST_REQUIRE(stored->fragments.size() == 6U);
  BOOST_TEST_REQUIRE(layout.fragments.size() == 6U);
  std::int64_t total = 0;
  for (std::size_t i = 0; i < 6; ++i) {
    BOOST_TEST(stored->fragments[i].offset_bytes == layout.fragments[i].offset_bytes);
    BOOST_TEST(stored->fragments[i].size_bytes == layout.fragments[i].size_bytes);
    BOOST_TEST(std::abs(stored->fragments[i].duration_us - 2'000'000) < 200'000);
    total += stored->fragments[i].duration_us;
  }
  BOOST_TEST(std::abs(total - 12'000'000) < 1'000'000);
  BOOST_TEST(day.fragments.size() == 6U);
  const auto row = value_of(d.catalog.find_day(d.cam, k_day));
  BOOST_TEST_REQUIRE(row.has_value());
  BOOST_TEST(row->state == DayState::converted);
  BOOST_TEST(value_of(d.catalog.segments(d.cam, k_day)).empty());
  // A converted day is not converted again.
  BOOST_TEST(!d.convert().has_value());
}

BOOST_AUTO_TEST_CASE(fragments_start_where_their_segments_did) {
  Day d(3, 5);  // 2 s of video every 5 s: holes between the fragments
  const auto segs = value_of(d.catalog.segments(d.cam, k_day));
  const ConvertedDay day = value_of(d.convert());
  BOOST_TEST_REQUIRE(day.fragments.size() == segs.size());
  for (std::size_t i = 0; i < segs.size(); ++i) {
    BOOST_TEST(day.fragments[i].start_us == segs[i].start_us);
    BOOST_TEST(std::abs(day.fragments[i].duration_us - segs[i].duration_us) < 100'000);
  }
}

BOOST_AUTO_TEST_CASE(overlapping_segments_follow_each_other_without_losing_time) {
  // Each segment holds 2 s but the next one is named 1 s later (a camera whose clock
  // and content disagree): the frames keep their spacing, the day keeps its length.
  Day d(5, 1);
  const auto segs = value_of(d.catalog.segments(d.cam, k_day));
  std::int64_t expected = 0;
  for (const Segment& seg : segs) expected += seg.duration_us;
  const ConvertedDay day = value_of(d.convert());
  BOOST_TEST_REQUIRE(day.fragments.size() == 5U);
  std::int64_t total = 0;
  for (std::size_t i = 0; i < day.fragments.size(); ++i) {
    BOOST_TEST(std::abs(day.fragments[i].duration_us - segs[i].duration_us) < 100'000);
    if (i > 0) {
      const Fragment& prev = day.fragments[i - 1];
      BOOST_TEST(day.fragments[i].start_us == prev.start_us + prev.duration_us);
    }
    total += day.fragments[i].duration_us;
  }
  BOOST_TEST(std::abs(total - expected) < 200'000);
  BOOST_TEST(std::abs(ffprobe_duration(d.day_dir / "video.mp4") - 10.0) < 0.5);
}

BOOST_AUTO_TEST_CASE(a_corrupt_segment_is_skipped) {
  Day d;
  write_file(d.day_dir / segment_name(36004), std::string(5000, 'x'));
  const ConvertedDay day = value_of(d.convert());
  BOOST_TEST(day.fragments.size() == 5U);
  BOOST_TEST(ts_files(d.day_dir) == 0U);
  BOOST_TEST(value_of(d.catalog.converted_day(d.cam, k_day)).has_value());
}

BOOST_AUTO_TEST_CASE(a_crash_leftover_part_is_removed_and_the_day_converted) {
  Day d(2);
  write_file(d.day_dir / "video.mp4.part", "half a file");
  const ConvertedDay day = value_of(d.convert());
  BOOST_TEST(day.fragments.size() == 2U);
  BOOST_TEST(!fs::exists(d.day_dir / "video.mp4.part"));
}

BOOST_AUTO_TEST_CASE(a_finished_file_the_catalog_missed_is_kept_or_redone) {
  Day done(2);
  value_of(done.convert());
  // Crash after the rename: the same day elsewhere, its file and checksum already there.
  Day d(2);
  fs::copy_file(done.day_dir / "video.mp4", d.day_dir / "video.mp4");
  fs::copy_file(done.day_dir / "video.mp4.sha512sum", d.day_dir / "video.mp4.sha512sum");
  const auto before = fs::last_write_time(d.day_dir / "video.mp4");
  BOOST_TEST(value_of(d.convert()).fragments.size() == 2U);
  BOOST_TEST((fs::last_write_time(d.day_dir / "video.mp4") == before));
  BOOST_TEST(ts_files(d.day_dir) == 0U);
  // A file whose checksum does not match is converted again.
  Day bad(2);
  write_file(bad.day_dir / "video.mp4", "not the file");
  fs::copy_file(done.day_dir / "video.mp4.sha512sum", bad.day_dir / "video.mp4.sha512sum");
  BOOST_TEST(value_of(bad.convert()).fragments.size() == 2U);
  BOOST_TEST(value_of(verify_sha512sum(bad.day_dir / "video.mp4")));
  // A file with a good checksum that is shorter than the day (another day's file, or
  // one made while a segment could not be read) is converted again.
  Day longer(3);
  fs::copy_file(done.day_dir / "video.mp4", longer.day_dir / "video.mp4");
  fs::copy_file(done.day_dir / "video.mp4.sha512sum", longer.day_dir / "video.mp4.sha512sum");
  BOOST_TEST(value_of(longer.convert()).fragments.size() == 3U);
  BOOST_TEST(std::abs(ffprobe_duration(longer.day_dir / "video.mp4") - 6.0) < 1.0);
}

BOOST_AUTO_TEST_CASE(convert_now_on_the_command_line) {
  TempDir dir;
  const fs::path root = dir.path() / "archive";
  const fs::path day_dir = root / "front" / "2026-11-18";
  for (int i = 0; i < 3; ++i) copy_sample(day_dir / segment_name(36000 + 2 * i));
  const fs::path config = dir.path() / "config.json";
  write_file(config, R"({"storageConfig": {"savePath": ")" + root.string() +
                         R"(", "catalogPath": ")" + (dir.path() / "catalog.sqlite").string() +
                         R"("}, "timeZone": "UTC", "conversion": {"preset": "ultrafast"}})");
  auto run_args = [](std::vector<std::string> args) {
    args.insert(args.begin(), "cctv-worker");
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    return worker::run(static_cast<int>(argv.size() - 1), argv.data());
  };
  BOOST_TEST(run_args({"--convert-now", "2026-13-01"}) == 2);
  BOOST_TEST(run_args({"--camera", "front"}) == 2);
  BOOST_TEST(run_args({"--config", config.string(), "--convert-now", "2026-11-17"}) == 1);
  BOOST_TEST(run_args({"--config", config.string(), "--convert-now", "2026-11-18", "--camera",
                       "back"}) == 1);
  BOOST_TEST(run_args({"--config", config.string(), "--convert-now", "2026-11-18", "--camera",
                       "front"}) == 0);
  BOOST_TEST(fs::exists(day_dir / "video.mp4"));
  BOOST_TEST(ts_files(day_dir) == 0U);
  // Converted already: a failure with its reason, the file untouched.
  BOOST_TEST(run_args({"--config", config.string(), "--convert-now", "2026-11-18"}) == 1);
  BOOST_TEST(fs::exists(day_dir / "video.mp4"));
}

BOOST_AUTO_TEST_CASE(aac_audio_is_copied) {
  Day d(0);
  const fs::path sample = d.dir.path() / "av.ts";
  run("ffmpeg -nostdin -v error -y -f lavfi -i testsrc2=size=320x180:rate=10 -f lavfi -i "
      "sine=frequency=440:sample_rate=16000 -t 2 -c:v libx264 -preset ultrafast -g 10 -c:a aac "
      "-f mpegts '" +
      sample.string() + "'");
  for (int i = 0; i < 3; ++i) {
    fs::copy_file(sample, d.day_dir / segment_name(36000 + 2 * i));
  }
  Indexer indexer(make_config(d.root, d.dir.path() / "catalog.sqlite"), d.catalog);
  value_of(indexer.reindex(false));
  d.cam = value_of(d.catalog.find_camera("front"))->id;
  const ConvertedDay day = value_of(d.convert());
  BOOST_TEST(day.fragments.size() == 3U);
  const fs::path video = d.day_dir / "video.mp4";
  BOOST_TEST(run("ffprobe -v error -show_entries stream=codec_name -of csv=p=0 '" + video.string() +
                 "'") == "hevc\naac\n");
  BOOST_TEST(std::abs(ffprobe_duration(video) - 6.0) < 1.0);
  BOOST_TEST(
      std::system(("ffmpeg -nostdin -v error -i '" + video.string() + "' -f null -").c_str()) == 0);
}
