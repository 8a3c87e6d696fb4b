// Unit tests for worker/timelapse and the pass of worker/timelapse_module: the picking
// rule (slots over the recorded time, gaps skipped), real days of ffmpeg-made segments
// and a converted day becoming an H.264 MP4 of the requested length in which only the
// picked keyframes were decoded; a corrupt or missing segment is skipped, a leftover
// .part removed, a failure leaves nothing; which days the pass takes, and its retries.
#define BOOST_TEST_MODULE timelapse
#include <boost/test/unit_test.hpp>

#include "core/av.hpp"
#include "core/files.hpp"
#include "core/layout.hpp"
#include "core/unique_fd.hpp"
#include "tests/unit/worker_fixture.hpp"
#include "worker/app.hpp"
#include "worker/converter.hpp"
#include "worker/indexer.hpp"
#include "worker/retention_module.hpp"
#include "worker/timelapse.hpp"
#include "worker/timelapse_module.hpp"

#include <fcntl.h>
#include <sys/file.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <vector>

using namespace cctv;
using namespace cctv::test;
using namespace cctv::worker;

namespace {

const Date k_day{2026, 11, 18};
constexpr std::int64_t k_s = 1'000'000;
constexpr std::int64_t k_old_mtime = 1'763'400'000;  // 2025-11-17

// What libavformat reads back from an MP4: its video codec, size and duration.
struct Probe {
  std::string codec;
  int width = 0;
  int height = 0;
  double seconds = 0;
  std::int64_t frames = 0;
};

Probe probe(const fs::path& file) {
  auto input = av::open_input(file.string());
  if (!input) throw std::runtime_error(input.error().message);
  const int index = av_find_best_stream(input->get(), AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  if (index < 0) throw std::runtime_error("no video in " + file.string());
  const AVStream* stream = (*input)->streams[index];
  Probe p;
  p.codec = avcodec_get_name(stream->codecpar->codec_id);
  p.width = stream->codecpar->width;
  p.height = stream->codecpar->height;
  p.seconds = static_cast<double>((*input)->duration) / AV_TIME_BASE;
  p.frames = stream->nb_frames;
  return p;
}

// An H.264 segment of `seconds` at 10 fps with a keyframe every `gop` frames.
void make_segment(const fs::path& path, int seconds, int gop, const std::string& size = "320x180") {
  fs::create_directories(path.parent_path());
  run("ffmpeg -nostdin -v error -y -f lavfi -i testsrc2=size=" + size + ":rate=10 -t " +
      std::to_string(seconds) + " -c:v libx264 -preset ultrafast -pix_fmt yuv420p -g " +
      std::to_string(gop) + " -keyint_min " + std::to_string(gop) + " -sc_threshold 0 -f mpegts '" +
      path.string() + "'");
}

// A 10 s segment with a keyframe every 0.5 s, made once per test program.
const fs::path& dense_segment() {
  static TempDir dir;
  static const fs::path path = [] {
    const fs::path p = dir.path() / "dense.ts";
    make_segment(p, 10, 5);
    return p;
  }();
  return path;
}

void write_junk(const fs::path& path) {
  std::string junk(64 * 1024, '\0');
  for (std::size_t i = 0; i < junk.size(); ++i) junk[i] = static_cast<char>((i * 7919) % 251);
  write_file(path, junk);
}

struct Day {
  TempDir dir;
  fs::path root = dir.path() / "archive";
  fs::path day_dir = root / "front" / "2026-11-18";
  fs::path output = day_dir / "timelapse.mp4";
  Config config;
  Catalog catalog = open_catalog(dir.path() / "catalog.sqlite");
  std::unique_ptr<Indexer> indexer;

  // `segments` copies of the 2 s sample (keyframe every second), `spacing` s apart.
  explicit Day(int segments = 6, int spacing = 2)
      : config(make_config(root, dir.path() / "catalog.sqlite")) {
    fs::create_directories(day_dir);
    for (int i = 0; i < segments; ++i) copy_sample(day_dir / segment_name(36000 + spacing * i));
    reindex();
  }
  // Old files: the reindex settles the (past) day. Files already old are not touched
  // (that would give them a new ctime).
  void reindex() {
    for (const auto& entry : fs::directory_iterator(day_dir)) {
      if (entry.path().extension() == ".ts" &&
          file_mtime_ns(entry.path()) != k_old_mtime * 1'000'000'000) {
        set_mtime(entry.path(), k_old_mtime);
      }
    }
    indexer = std::make_unique<Indexer>(config, catalog);
    value_of(indexer->reindex(false));
  }
  std::int64_t cam() { return value_of(catalog.find_camera("front"))->id; }
  DayRow row() { return *value_of(catalog.find_day(cam(), k_day)); }
  std::vector<TimelapseInput> inputs() {
    return *value_of(timelapse_inputs(catalog, cam(), row(), day_dir));
  }
};

}  // namespace

BOOST_AUTO_TEST_CASE(slots_are_taken_by_the_first_keyframe_that_reaches_them) {
  // 100 s recorded, 10 slots: one every 10 s. Keyframes every second: those at 0, 10,
  // 20 ... 90 s are picked, nothing else.
  SlotPicker dense(100 * k_s, 10);
  std::vector<std::int64_t> picked;
  for (std::int64_t t = 0; t < 100; ++t) {
    if (auto slot = dense.due(t * k_s)) {
      BOOST_TEST(*slot == static_cast<std::int64_t>(picked.size()));
      picked.push_back(t);
      dense.take(t * k_s);
    }
  }
  BOOST_TEST(picked == (std::vector<std::int64_t>{0, 10, 20, 30, 40, 50, 60, 70, 80, 90}));
  BOOST_TEST(dense.next() == 10);
  BOOST_TEST(!dense.due(1000 * k_s));  // every slot taken

  // Not exactly on a slot: the first keyframe at or after it. 10 s, 4 slots (0, 2.5, 5,
  // 7.5 s), keyframes every 1.5 s: 0, 3 (2.5), 6 (5), 7.5 (7.5); 1.5, 4.5 and 9 are not.
  SlotPicker odd(10 * k_s, 4);
  picked.clear();
  for (std::int64_t t = 0; t < 10 * k_s; t += 1'500'000) {
    if (odd.due(t)) {
      picked.push_back(t);
      odd.take(t);
    }
  }
  BOOST_TEST(picked == (std::vector<std::int64_t>{0, 3'000'000, 6'000'000, 7'500'000}));

  // Sparser keyframes than slots: each covers the slots up to its place. 10 s, 100
  // slots (0.1 s), keyframes at 0, 1 and 5 s: slots 0, 1..10, 11..50 and the rest.
  SlotPicker sparse(10 * k_s, 100);
  BOOST_TEST(*sparse.due(0) == 0);
  sparse.take(0);
  BOOST_TEST(sparse.next() == 1);
  BOOST_TEST(*sparse.due(1 * k_s) == 1);
  sparse.take(1 * k_s);
  BOOST_TEST(sparse.next() == 11);
  BOOST_TEST(*sparse.due(5 * k_s) == 11);
  sparse.take(5 * k_s);
  BOOST_TEST(sparse.next() == 51);
  // A keyframe that failed to decode takes nothing: the next one gets the slot.
  BOOST_TEST(*sparse.due(6 * k_s) == 51);
  BOOST_TEST(*sparse.due(7 * k_s) == 51);

  // Nothing recorded (a day of zero-length segments): the first keyframe is the only
  // one picked (the encoder makes it last every slot).
  SlotPicker empty(0, 1500);
  BOOST_TEST(*empty.due(0) == 0);
  empty.take(0);
  BOOST_TEST(!empty.due(0));
}

BOOST_AUTO_TEST_CASE(recorded_time_skips_the_gaps_of_a_converted_day) {
  ConvertedDay day;
  // Three 10 s fragments at 0, 100 and 110 s of the day (a gap of 90 s).
  day.fragments = {Fragment{0, 0, 1000 * k_s, 10 * k_s}, Fragment{0, 0, 1100 * k_s, 10 * k_s},
                   Fragment{0, 0, 1110 * k_s, 10 * k_s}};
  const TimelapseInput input = converted_input("video.mp4", day);
  BOOST_TEST(input.spans.size() == 3U);
  BOOST_TEST(recorded_us({input}) == 30 * k_s);
  BOOST_TEST(recorded_position(input, 0, 0) == 0);
  BOOST_TEST(recorded_position(input, 0, 5 * k_s) == 5 * k_s);
  BOOST_TEST(recorded_position(input, 0, 50 * k_s) == 10 * k_s);  // in the gap
  BOOST_TEST(recorded_position(input, 0, 100 * k_s) == 10 * k_s);
  BOOST_TEST(recorded_position(input, 0, 112 * k_s) == 22 * k_s);
  BOOST_TEST(recorded_position(input, 7 * k_s, 500 * k_s) == 37 * k_s);  // past the end
  const TimelapseInput seg = segment_input("video_100000.ts", 2 * k_s);
  BOOST_TEST(recorded_position(seg, 4 * k_s, 1 * k_s) == 5 * k_s);
  BOOST_TEST(recorded_position(seg, 4 * k_s, 3 * k_s) == 6 * k_s);
}

BOOST_AUTO_TEST_CASE(a_short_day_lasts_a_minute_all_keyframes_used) {
  // 6 segments of 2 s, a keyframe every second: 12 keyframes for 1500 slots.
  Day day(6);
  const TimelapseStats stats = value_of(make_timelapse(day.inputs(), day.output));
  BOOST_TEST(stats.recorded_us == 12 * k_s);
  BOOST_TEST(stats.slots == 1500);
  BOOST_TEST(stats.packets == 120);
  BOOST_TEST(stats.keyframes == 12);
  BOOST_TEST(stats.decoded == 12);
  BOOST_TEST(stats.frames == 12);
  BOOST_TEST(stats.skipped_inputs == 0);
  const Probe p = probe(day.output);
  BOOST_TEST(p.codec == "h264");
  BOOST_TEST((p.width == 320 && p.height == 180));
  BOOST_TEST(p.seconds >= 50.0);
  BOOST_TEST(p.seconds <= 70.0);
  BOOST_TEST(std::abs(p.seconds - 60.0) < 0.5, p.seconds);
  BOOST_TEST(p.frames == 1500);  // each picture 125 times (5 s), 25 fps
  BOOST_TEST(!fs::exists(day.output.string() + ".part"));
  // faststart: the index (moov) comes before the pictures (mdat).
  const std::string head =
      run("head -c 200000 '" + day.output.string() + "' | grep -c moov || true");
  BOOST_TEST(head.substr(0, 1) != "0");
  // ffmpeg decodes it without complaint, 25 fps.
  BOOST_TEST(run("ffprobe -v error -select_streams v:0 -show_entries stream=pix_fmt,r_frame_rate "
                 "-of csv=p=0 '" +
                 day.output.string() + "'") == "yuv420p,25/1\n");
}

BOOST_AUTO_TEST_CASE(only_the_picked_keyframes_are_decoded) {
  // 3 x 10 s with a keyframe every 0.5 s: 60 keyframes; 2 s of output = 50 slots, one
  // every 0.6 s: each slot gets its own keyframe, the others are not decoded.
  Day day(0);
  for (int i = 0; i < 3; ++i)
    fs::copy_file(dense_segment(), day.day_dir / segment_name(36000 + 10 * i));
  day.reindex();
  TimelapseOptions options;
  options.seconds = 2;
  const TimelapseStats stats = value_of(make_timelapse(day.inputs(), day.output, options));
  BOOST_TEST(stats.recorded_us == 30 * k_s);
  BOOST_TEST(stats.packets == 300);
  BOOST_TEST(stats.keyframes == 60);
  BOOST_TEST(stats.decoded == 50);
  BOOST_TEST(stats.frames == 50);
  const Probe p = probe(day.output);
  BOOST_TEST(std::abs(p.seconds - 2.0) < 0.1, p.seconds);
  BOOST_TEST(p.frames == 50);  // one per slot

  // Fewer slots than files: still one decode per slot.
  options.seconds = 1;
  options.fps = 2;
  const TimelapseStats two = value_of(make_timelapse(day.inputs(), day.output, options));
  BOOST_TEST(two.keyframes == 60);
  BOOST_TEST(two.decoded == 2);
  BOOST_TEST(two.frames == 2);
}

BOOST_AUTO_TEST_CASE(wide_pictures_are_scaled_to_1280_and_small_ones_kept) {
  TempDir dir;
  make_segment(dir.path() / "day" / "video_100000.ts", 2, 10, "1920x1080");
  const std::vector<TimelapseInput> inputs{
      segment_input(dir.path() / "day" / "video_100000.ts", 2 * k_s)};
  TimelapseOptions options;
  options.seconds = 1;
  const fs::path out = dir.path() / "day" / "timelapse.mp4";
  const TimelapseStats stats = value_of(make_timelapse(inputs, out, options));
  BOOST_TEST((stats.width == 1280 && stats.height == 720));
  const Probe p = probe(out);
  BOOST_TEST((p.width == 1280 && p.height == 720));

  // A day whose resolution changes keeps its first picture's size.
  Day day(2);
  make_segment(day.day_dir / segment_name(36010), 2, 10, "640x360");
  day.reindex();
  const TimelapseStats mixed = value_of(make_timelapse(day.inputs(), day.output, options));
  BOOST_TEST(mixed.frames == 6);
  const Probe q = probe(day.output);
  BOOST_TEST((q.width == 320 && q.height == 180));
}

BOOST_AUTO_TEST_CASE(a_corrupt_or_missing_segment_is_skipped_with_a_warning) {
  Day day(4);
  write_junk(day.day_dir / segment_name(36002));  // indexed before it went bad
  std::vector<TimelapseInput> inputs = day.inputs();
  inputs.push_back(segment_input(day.day_dir / "video_235959.ts", 2 * k_s));  // not there
  const TimelapseStats stats = value_of(make_timelapse(inputs, day.output));
  BOOST_TEST(stats.skipped_inputs == 1);
  BOOST_TEST(stats.missing_inputs == 1);
  BOOST_TEST(stats.keyframes == 6);
  BOOST_TEST(stats.frames == 6);
  BOOST_TEST(std::abs(probe(day.output).seconds - 60.0) < 0.5);

  // The daemon's way: a missing file is an error (the day changed), and nothing is
  // written over the timelapse that is there.
  const auto before = fs::file_size(day.output);
  TimelapseOptions strict;
  strict.missing_is_error = true;
  auto refused = make_timelapse(inputs, day.output, strict);
  BOOST_REQUIRE(!refused.has_value());
  BOOST_TEST(refused.error().kind == ErrorKind::not_found);
  BOOST_TEST(fs::file_size(day.output) == before);
  BOOST_TEST(!fs::exists(day.output.string() + ".part"));
}

BOOST_AUTO_TEST_CASE(nothing_readable_is_an_error_and_leaves_no_file) {
  Day day(2);
  for (const TimelapseInput& input : day.inputs()) write_junk(input.path);
  auto bad = make_timelapse(day.inputs(), day.output);
  BOOST_REQUIRE(!bad.has_value());
  BOOST_TEST(bad.error().kind == ErrorKind::data_loss);
  BOOST_TEST(bad.error().message.find("timelapse.mp4") != std::string::npos, bad.error().message);
  BOOST_TEST(!fs::exists(day.output));
  BOOST_TEST(!fs::exists(day.output.string() + ".part"));

  for (const TimelapseInput& input : day.inputs()) fs::remove(input.path);
  auto none = make_timelapse(day.inputs(), day.output);
  BOOST_REQUIRE(!none.has_value());
  BOOST_TEST(none.error().kind == ErrorKind::not_found);
}

BOOST_AUTO_TEST_CASE(a_leftover_part_is_removed_and_a_stop_leaves_nothing) {
  Day day(3);
  const fs::path part = day.output.string() + ".part";
  write_file(part, "half a file left by kill -9");
  std::atomic<bool> stop{true};
  TimelapseOptions options;
  options.stop = &stop;
  auto stopped = make_timelapse(day.inputs(), day.output, options);
  BOOST_REQUIRE(!stopped.has_value());
  BOOST_TEST(stopped.error().kind == ErrorKind::unavailable);
  BOOST_TEST(!fs::exists(part));
  BOOST_TEST(!fs::exists(day.output));

  write_file(part, "half a file left by kill -9");
  value_of(make_timelapse(day.inputs(), day.output));
  BOOST_TEST(!fs::exists(part));
  BOOST_TEST(probe(day.output).codec == "h264");

  // A .part another process is writing (it holds its lock) is left alone.
  write_file(part, "being written");
  {
    const UniqueFd other(::open(part.c_str(), O_RDONLY | O_CLOEXEC));
    BOOST_REQUIRE(other.valid());
    BOOST_REQUIRE(::flock(other.get(), LOCK_EX | LOCK_NB) == 0);
    auto busy = make_timelapse(day.inputs(), day.output);
    BOOST_REQUIRE(!busy.has_value());
    BOOST_TEST(busy.error().kind == ErrorKind::unavailable);
    BOOST_TEST(busy.error().message.find("another process") != std::string::npos);
    BOOST_TEST(fs::file_size(part) == 13U);
    BOOST_TEST(probe(day.output).codec == "h264");  // the one before, untouched
  }
  value_of(make_timelapse(day.inputs(), day.output));  // released: a leftover now
  BOOST_TEST(!fs::exists(part));
}

BOOST_AUTO_TEST_CASE(a_converted_day_is_made_from_its_video_mp4) {
  // Three 2 s segments 100 s apart: 6 s recorded in a file that spans 202 s.
  Day day(3, 100);
  ConvertOptions convert;
  convert.preset = "ultrafast";
  const ConvertedDay converted =
      value_of(convert_day(day.catalog, day.cam(), day.day_dir, k_day, convert));
  BOOST_TEST(converted.fragments.size() == 3U);
  const DayRow row = day.row();
  BOOST_TEST(row.state == DayState::converted);
  const auto inputs = day.inputs();
  BOOST_REQUIRE(inputs.size() == 1U);
  BOOST_TEST(inputs[0].path == day.day_dir / "video.mp4");
  BOOST_TEST(recorded_us(inputs) == row.recorded_us);
  const TimelapseStats stats = value_of(make_timelapse(inputs, day.output));
  BOOST_TEST(stats.keyframes == 3);  // one per fragment
  BOOST_TEST(stats.decoded == 3);
  BOOST_TEST(stats.frames == 3);
  const Probe p = probe(day.output);
  BOOST_TEST(p.codec == "h264");
  BOOST_TEST(std::abs(p.seconds - 60.0) < 0.5, p.seconds);
  // The converter deletes the segments, not the timelapse (made before it here).
  BOOST_TEST(fs::exists(day.output));
}

BOOST_AUTO_TEST_CASE(the_converter_keeps_the_timelapse) {
  Day day(3);
  value_of(make_timelapse(day.inputs(), day.output));
  ConvertOptions convert;
  convert.preset = "ultrafast";
  value_of(convert_day(day.catalog, day.cam(), day.day_dir, k_day, convert));
  BOOST_TEST(fs::exists(day.output));
  BOOST_TEST(!fs::exists(day.day_dir / segment_name(36000)));
}

BOOST_AUTO_TEST_CASE(retention_deletes_the_timelapse_with_its_day) {
  Day day(2);
  value_of(make_timelapse(day.inputs(), day.output));
  Config config = day.config;
  config.days_to_keep = 1;  // 2026-11-18 is long gone
  config.min_free_gb = 0;
  Retention retention(config, day.indexer->cameras());
  const RetentionReport report = value_of(retention.run_pass(day.catalog));
  BOOST_TEST(report.days == 1U);
  BOOST_TEST(report.files == 3U);  // two segments and the timelapse
  BOOST_TEST(!fs::exists(day.day_dir));
}

BOOST_AUTO_TEST_CASE(which_days_and_when_again) {
  BOOST_TEST(is_timelapse_state(DayState::settled));
  BOOST_TEST(is_timelapse_state(DayState::converting));
  BOOST_TEST(is_timelapse_state(DayState::converted));
  BOOST_TEST(!is_timelapse_state(DayState::recording));
  BOOST_TEST(!is_timelapse_state(DayState::archived));
  BOOST_TEST(is_timelapse_stale(DayState::settled, std::nullopt, 5));
  BOOST_TEST(is_timelapse_stale(DayState::converted, std::nullopt, 0));
  BOOST_TEST(is_timelapse_stale(DayState::settled, 100, 101));  // a late upload
  BOOST_TEST(!is_timelapse_stale(DayState::settled, 100, 100));
  BOOST_TEST(!is_timelapse_stale(DayState::converted, 100, 101));
  BOOST_TEST(timelapse_retry_delay_us(1) == 60 * k_s);
  BOOST_TEST(timelapse_retry_delay_us(3) == 240 * k_s);
  BOOST_TEST(timelapse_retry_delay_us(100) == 6 * 3600 * k_s);

  // An archived day's files are only in S3: no inputs.
  Day day(2);
  DayRow archived = day.row();
  archived.state = DayState::archived;
  BOOST_TEST(!value_of(timelapse_inputs(day.catalog, day.cam(), archived, day.day_dir)));
}

BOOST_AUTO_TEST_CASE(a_pass_makes_each_closed_day_once_and_again_after_a_late_segment) {
  Day day(3);
  BOOST_TEST(day.row().state == DayState::settled);  // a past, quiet day
  TimelapsePass pass(day.indexer->cameras(), TimelapseOptions{});
  const UtcMicros now = 1'800'000'000 * k_s;
  auto stats = value_of(pass.run(day.catalog, now));
  BOOST_TEST(stats.made == 1);
  BOOST_TEST(fs::exists(day.output));
  BOOST_TEST(value_of(pass.run(day.catalog, now)).made == 0);
  // The timelapse is not a segment, nor is its .part.
  write_file(day.output.string() + ".part", "x");
  day.reindex();
  BOOST_TEST(value_of(day.catalog.segments(day.cam(), k_day)).size() == 3U);
  fs::remove(day.output.string() + ".part");

  // A fresh pass (a restart) finds it current; one whose segments are newer is made again.
  TimelapsePass restarted(day.indexer->cameras(), TimelapseOptions{});
  BOOST_TEST(value_of(restarted.run(day.catalog, now)).made == 0);
  set_mtime(day.output, 1000);
  TimelapsePass again(day.indexer->cameras(), TimelapseOptions{});
  BOOST_TEST(value_of(again.run(day.catalog, now)).made == 1);

  // Removed by hand: made again at the next pass.
  fs::remove(day.output);
  BOOST_TEST(value_of(again.run(day.catalog, now)).made == 1);

  // A late segment copied with its old mtime kept (cp -p) is still newer, by its ctime:
  // in the running pass (the day's version changed) and after a restart.
  const fs::path late = day.day_dir / segment_name(36000 + 2 * 3);
  copy_sample(late);
  set_mtime(late, k_old_mtime);
  day.reindex();
  BOOST_TEST(value_of(again.run(day.catalog, now)).made == 1);
  BOOST_TEST(value_of(again.run(day.catalog, now)).made == 0);
  copy_sample(day.day_dir / segment_name(36000 + 2 * 4));
  day.reindex();
  TimelapsePass after_restart(day.indexer->cameras(), TimelapseOptions{});
  BOOST_TEST(value_of(after_restart.run(day.catalog, now)).made == 1);
  BOOST_TEST(
      value_of(TimelapsePass(day.indexer->cameras(), TimelapseOptions{}).run(day.catalog, now))
          .made == 0);

  // A stop request ends the pass before it makes anything.
  fs::remove(day.output);
  std::atomic<bool> stop{true};
  BOOST_TEST(value_of(again.run(day.catalog, now, &stop)).stopped);
  BOOST_TEST(!fs::exists(day.output));
}

BOOST_AUTO_TEST_CASE(a_failed_day_is_retried_after_a_delay) {
  Day day(2);
  for (const TimelapseInput& input : day.inputs()) write_junk(input.path);
  TimelapsePass pass(day.indexer->cameras(), TimelapseOptions{});
  const UtcMicros now = 1'800'000'000 * k_s;
  BOOST_TEST(value_of(pass.run(day.catalog, now)).failed == 1);
  BOOST_TEST(value_of(pass.run(day.catalog, now + 30 * k_s)).failed == 0);  // waiting
  BOOST_TEST(value_of(pass.run(day.catalog, now + 61 * k_s)).failed == 1);
  // The second failure waits 2 minutes.
  BOOST_TEST(value_of(pass.run(day.catalog, now + 121 * k_s)).failed == 0);
  BOOST_TEST(value_of(pass.run(day.catalog, now + 182 * k_s)).failed == 1);
  BOOST_TEST(!fs::exists(day.output));
}

BOOST_AUTO_TEST_CASE(timelapse_now_on_the_command_line) {
  Day day(3);
  const fs::path config = day.dir.path() / "config.json";
  write_file(config, R"({"storageConfig": {"savePath": ")" + day.root.string() +
                         R"(", "catalogPath": ")" + (day.dir.path() / "catalog.sqlite").string() +
                         R"("}, "timeZone": "UTC", "timelapse": {"seconds": 10}})");
  auto run_args = [](std::vector<std::string> args) {
    args.insert(args.begin(), "cctv-worker");
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    return worker::run(static_cast<int>(argv.size() - 1), argv.data());
  };
  BOOST_TEST(run_args({"--timelapse-now", "2026-13-01"}) == 2);
  BOOST_TEST(run_args({"--config", config.string(), "--timelapse-now", "2026-11-17"}) == 1);
  BOOST_TEST(run_args({"--config", config.string(), "--timelapse-now", "2026-11-18", "--camera",
                       "back"}) == 1);
  BOOST_TEST(!fs::exists(day.output));
  BOOST_TEST(run_args({"--config", config.string(), "--timelapse-now", "2026-11-18", "--camera",
                       "front"}) == 0);
  BOOST_TEST(std::abs(probe(day.output).seconds - 10.0) < 0.5);  // timelapse.seconds
}
