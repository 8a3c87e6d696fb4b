// Unit tests for worker/thumbnailer and the thumbnail pass of worker/thumbnail_module:
// a real segment becomes a JPEG that ffprobe reads as mjpeg of the requested width; a
// corrupt segment is an error and leaves no file; a pass writes one thumbnail per
// segment (the indexer ignores the thumbs directory) and one per fragment of a
// converted day; the converter keeps them.
#define BOOST_TEST_MODULE thumbnailer
#include <boost/test/unit_test.hpp>

#include "core/layout.hpp"
#include "tests/unit/worker_fixture.hpp"
#include "worker/converter.hpp"
#include "worker/indexer.hpp"
#include "worker/thumbnail_module.hpp"
#include "worker/thumbnailer.hpp"

#include <filesystem>
#include <string>
#include <vector>

using namespace cctv;
using namespace cctv::test;
using namespace cctv::worker;

namespace {

const Date k_day{2026, 11, 18};

// "mjpeg,160,90" for a JPEG file.
std::string probe_jpeg(const fs::path& path) {
  std::string out =
      run("ffprobe -v error -select_streams v:0 -show_entries "
          "stream=codec_name,width,height -of csv=p=0 '" +
          path.string() + "'");
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

std::size_t files_in(const fs::path& dir) {
  std::size_t n = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.is_regular_file()) ++n;
  }
  return n;
}

struct Day {
  TempDir dir;
  fs::path root = dir.path() / "archive";
  fs::path day_dir = root / "front" / "2026-11-18";
  Config config;
  Catalog catalog = open_catalog(dir.path() / "catalog.sqlite");
  std::unique_ptr<Indexer> indexer;

  explicit Day(int segments) : config(make_config(root, dir.path() / "catalog.sqlite")) {
    fs::create_directories(day_dir);
    for (int i = 0; i < segments; ++i) copy_sample(day_dir / segment_name(36000 + 2 * i));
    indexer = std::make_unique<Indexer>(config, catalog);
    value_of(indexer->reindex(false));
  }
  std::int64_t cam() { return value_of(catalog.find_camera("front"))->id; }
};

}  // namespace

BOOST_AUTO_TEST_CASE(names_follow_the_segment) {
  BOOST_TEST(thumbnail_name("video_101500.ts") == "video_101500.jpg");
  BOOST_TEST(thumbnail_name("video.mp4").empty());
  BOOST_TEST(thumbnail_name("video_101500.ts.part").empty());
  BOOST_TEST(thumbnail_name_at(36900) == "video_101500.jpg");
  BOOST_TEST(thumbnail_path("/a/2026-11-18", "video_101500.jpg").string() ==
             "/a/2026-11-18/thumbs/video_101500.jpg");
}

BOOST_AUTO_TEST_CASE(a_segment_becomes_a_small_jpeg) {
  TempDir dir;
  const fs::path out = dir.path() / "thumbs" / "video_100000.jpg";
  auto jpeg = make_thumbnail(sample_ts());  // 320x180
  BOOST_REQUIRE(jpeg.has_value());
  BOOST_TEST(jpeg->substr(0, 2) == std::string("\xFF\xD8"));
  check(write_file_atomically(out, *jpeg));
  BOOST_TEST(probe_jpeg(out) == "mjpeg,160,90");
  BOOST_TEST(!fs::exists(out.string() + ".part"));

  ThumbnailOptions wide;
  wide.width = 240;
  const fs::path out2 = dir.path() / "wide.jpg";
  check(write_file_atomically(out2, value_of(make_thumbnail(sample_ts(), wide))));
  BOOST_TEST(probe_jpeg(out2) == "mjpeg,240,136");  // 135 rounded to even
}

BOOST_AUTO_TEST_CASE(a_corrupt_or_missing_segment_is_an_error_and_no_file) {
  TempDir dir;
  const fs::path bad = dir.path() / "video_100000.ts";
  std::string junk(64 * 1024, '\0');
  for (std::size_t i = 0; i < junk.size(); ++i) junk[i] = static_cast<char>((i * 7919) % 251);
  write_file(bad, junk);
  auto jpeg = make_thumbnail(bad);
  BOOST_REQUIRE(!jpeg.has_value());
  BOOST_TEST(jpeg.error().kind == ErrorKind::data_loss);

  // TS packets with nothing in them.
  write_file(bad, std::string(188 * 4, '\x47'));
  BOOST_TEST(!make_thumbnail(bad).has_value());
  BOOST_TEST(!fs::exists(dir.path() / "thumbs"));

  auto missing = make_thumbnail(dir.path() / "nothing.ts");
  BOOST_REQUIRE(!missing.has_value());
  BOOST_TEST(missing.error().kind == ErrorKind::not_found);

  // The pass makes nothing for it and goes on with the others.
  Day day(2);
  // A segment cut after three TS packets: no picture in it.
  copy_sample(day.day_dir / "video_100100.ts");
  fs::resize_file(day.day_dir / "video_100100.ts", 188 * 3);
  value_of(day.indexer->reindex(false));
  ThumbnailPass pass(day.indexer->cameras());
  const auto stats = value_of(pass.run(day.catalog));
  BOOST_TEST(stats.written == 2);
  BOOST_TEST(!fs::exists(thumbnail_path(day.day_dir, "video_100100.jpg")));
  BOOST_TEST(files_in(day.day_dir / "thumbs") == 2U);  // no .part left
}

BOOST_AUTO_TEST_CASE(a_pass_writes_one_thumbnail_per_segment_and_the_indexer_ignores_them) {
  Day day(3);
  ThumbnailPass pass(day.indexer->cameras());
  auto stats = value_of(pass.run(day.catalog));
  BOOST_TEST(stats.written == 3);
  BOOST_TEST(stats.failed == 0);
  for (const Segment& s : value_of(day.catalog.segments(day.cam(), k_day))) {
    BOOST_TEST(probe_jpeg(thumbnail_path(day.day_dir, thumbnail_name(s.name))) == "mjpeg,160,90");
  }
  // Nothing again: the day did not change.
  BOOST_TEST(value_of(pass.run(day.catalog)).written == 0);
  // A new segment: only its thumbnail.
  copy_sample(day.day_dir / segment_name(36010));
  value_of(day.indexer->reindex(false));
  BOOST_TEST(value_of(pass.run(day.catalog)).written == 1);
  // The thumbs directory is not a segment, nor a day.
  BOOST_TEST(value_of(day.catalog.segments(day.cam(), k_day)).size() == 4U);
  BOOST_TEST(value_of(day.catalog.days(day.cam())).size() == 1U);

  // A stop request ends the pass early.
  fs::remove_all(day.day_dir / "thumbs");
  ThumbnailPass again(day.indexer->cameras());
  std::atomic<bool> stop{true};
  BOOST_TEST(value_of(again.run(day.catalog, &stop)).stopped);
  BOOST_TEST(!fs::exists(day.day_dir / "thumbs"));
}

BOOST_AUTO_TEST_CASE(a_converted_day_keeps_its_thumbnails_and_fragments_get_their_own) {
  Day day(3);
  ThumbnailPass pass(day.indexer->cameras());
  BOOST_TEST(value_of(pass.run(day.catalog)).written == 3);
  ConvertOptions options;
  options.preset = "ultrafast";
  const auto converted = value_of(convert_day(day.catalog, day.cam(), day.day_dir, k_day, options));
  BOOST_REQUIRE(converted.fragments.size() >= 1U);
  BOOST_TEST(files_in(day.day_dir / "thumbs") == 3U);  // kept by the converter

  // Without them, the pass makes one per fragment, from video.mp4's byte ranges.
  fs::remove_all(day.day_dir / "thumbs");
  const auto stats = value_of(pass.run(day.catalog));
  BOOST_TEST(stats.written == static_cast<std::int64_t>(converted.fragments.size()));
  BOOST_TEST(stats.failed == 0);
  BOOST_TEST(probe_jpeg(thumbnail_path(day.day_dir, "video_100000.jpg")) == "mjpeg,160,90");
}
