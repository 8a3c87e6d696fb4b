// worker/retention.cpp (the pure plan) and worker/retention_module.cpp (a pass over a
// real catalog and archive directory, the two-phase delete and its recovery).
#define BOOST_TEST_MODULE retention
#include <boost/test/unit_test.hpp>

#include "core/catalog.hpp"
#include "tests/unit/temp_dir.hpp"
#include "worker/indexer.hpp"
#include "worker/retention.hpp"
#include "worker/retention_module.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

using namespace cctv;
using namespace cctv::worker;
namespace fs = std::filesystem;

namespace {

constexpr std::int64_t k_mb = 1'000'000;
constexpr std::int64_t k_s = k_micros_per_second;
const Date k_today{2026, 11, 21};

template <typename T>
T must(Result<T> r) {
  if (!r) throw std::runtime_error(r.error().message);
  return std::move(*r);
}
void must(Result<void> r) {
  if (!r) throw std::runtime_error(r.error().message);
}

Date days_before(const Date& date, std::int64_t n) {
  return civil_from_days(days_from_civil(date) - n);
}

RetentionDay day_of(std::string camera, std::int64_t age, std::int64_t size,
                    DayState state = DayState::settled, bool safe = true, int keep = 0) {
  RetentionDay day;
  day.camera_id = camera == "front" ? 1 : 2;
  day.camera = std::move(camera);
  day.date = days_before(k_today, age);
  day.state = state;
  day.size_bytes = size;
  day.age_days = age;
  day.keep_days = keep;
  day.safe = safe;
  return day;
}

RetentionState state_of(std::vector<RetentionDay> days, std::int64_t free_bytes = -1) {
  RetentionState state;
  for (const auto& d : days) state.archive_bytes += d.size_bytes;
  state.days = std::move(days);
  state.free_bytes = free_bytes;
  return state;
}

// "camera date reason[ partial bytes][ LOST]" for each action, in order.
std::vector<std::string> actions_of(const RetentionState& state, const RetentionPlan& plan) {
  std::vector<std::string> out;
  for (const RetentionAction& a : plan.actions) {
    const RetentionDay& d = state.days[a.day];
    std::string text =
        d.camera + " " + format_date(d.date) + " " + std::string(to_string(a.reason));
    if (!a.whole_day) text += " partial " + std::to_string(a.bytes);
    if (a.loses_data) text += " LOST";
    out.push_back(text);
  }
  return out;
}

using Lines = std::vector<std::string>;

}  // namespace

// ---------------------------------------------------------------- the plan

BOOST_AUTO_TEST_CASE(by_days_oldest_first_per_camera_keep) {
  // front keeps 3 days, yard 5: ages 0..6 each.
  std::vector<RetentionDay> days;
  for (int age = 6; age >= 0; --age) {
    days.push_back(day_of("front", age, 10 * k_mb, DayState::settled, true, 3));
    days.push_back(day_of("yard", age, 10 * k_mb, DayState::settled, true, 5));
  }
  const auto state = state_of(days);
  const auto plan = plan_retention(state, RetentionLimits{});
  BOOST_TEST(actions_of(state, plan) ==
                 (Lines{"front 2026-11-15 days", "yard 2026-11-15 days", "front 2026-11-16 days",
                        "yard 2026-11-16 days", "front 2026-11-17 days", "front 2026-11-18 days"}),
             boost::test_tools::per_element());
  BOOST_TEST(plan.archive_bytes_after == state.archive_bytes - 60 * k_mb);
  BOOST_TEST(plan.held_back.empty());
}

BOOST_AUTO_TEST_CASE(keep_zero_is_forever_and_days_to_keep_comes_from_the_camera) {
  const auto state = state_of({day_of("front", 400, k_mb), day_of("front", 1, k_mb)});
  BOOST_TEST(plan_retention(state, RetentionLimits{}).actions.empty());
  Config config;
  config.days_to_keep = 30;
  CameraConfig front;
  front.name = "front";
  front.days_to_keep = 7;
  CameraConfig yard;
  yard.name = "yard";  // -1: the global one
  CameraConfig door;
  door.name = "door";
  door.days_to_keep = 0;  // forever, whatever the global says
  config.cameras = {front, yard, door};
  BOOST_TEST(days_to_keep(config, "front") == 7);
  BOOST_TEST(days_to_keep(config, "yard") == 30);
  BOOST_TEST(days_to_keep(config, "door") == 0);
  BOOST_TEST(days_to_keep(config, "found-on-disk") == 30);
}

BOOST_AUTO_TEST_CASE(limits_are_gb_of_2_30_bytes) {
  Config config;
  config.clear_when_path_reach_gb = 1.5;
  config.min_free_gb = 0.25;
  const auto limits = retention_limits(config);
  BOOST_TEST(limits.max_archive_bytes == 1610612736);
  BOOST_TEST(limits.min_free_bytes == 268435456);
  config.clear_when_path_reach_gb = 0;
  config.min_free_gb = 0;
  BOOST_TEST(retention_limits(config).max_archive_bytes == 0);
  BOOST_TEST(retention_limits(config).min_free_bytes == 0);
}

BOOST_AUTO_TEST_CASE(by_size_oldest_first_across_cameras_until_under_the_cap) {
  const auto state = state_of({day_of("front", 0, 30 * k_mb), day_of("yard", 0, 30 * k_mb),
                               day_of("front", 1, 30 * k_mb), day_of("yard", 2, 30 * k_mb),
                               day_of("front", 3, 30 * k_mb), day_of("yard", 3, 30 * k_mb)});
  // 180 MB, cap 100 MB: 80 MB must go = three days, oldest first (front before yard).
  const auto plan = plan_retention(state, RetentionLimits{100 * k_mb, 0});
  BOOST_TEST(actions_of(state, plan) ==
                 (Lines{"front 2026-11-18 size", "yard 2026-11-18 size", "yard 2026-11-19 size"}),
             boost::test_tools::per_element());
  BOOST_TEST(plan.archive_bytes_after == 90 * k_mb);
  BOOST_TEST(plan.size_ok);
}

BOOST_AUTO_TEST_CASE(by_free_space_oldest_first_until_the_floor_holds) {
  const auto state = state_of({day_of("front", 3, 20 * k_mb), day_of("front", 2, 20 * k_mb),
                               day_of("front", 1, 20 * k_mb), day_of("front", 0, 20 * k_mb)},
                              15 * k_mb);
  // 15 MB free, floor 50 MB: two days (40 MB) give 55 MB.
  const auto plan = plan_retention(state, RetentionLimits{0, 50 * k_mb});
  BOOST_TEST(actions_of(state, plan) ==
                 (Lines{"front 2026-11-18 free space", "front 2026-11-19 free space"}),
             boost::test_tools::per_element());
  BOOST_TEST(plan.free_bytes_after == 55 * k_mb);
  BOOST_TEST(plan.free_ok);
  // Free space unknown: the floor is not checked.
  BOOST_TEST(
      plan_retention(state_of(state.days, -1), RetentionLimits{0, 50 * k_mb}).actions.empty());
}

BOOST_AUTO_TEST_CASE(not_uploaded_days_are_kept_unless_the_free_space_floor_demands) {
  // With S3 on: the two oldest days are not uploaded yet.
  const auto state = state_of({day_of("front", 5, 10 * k_mb, DayState::settled, false, 2),
                               day_of("front", 4, 10 * k_mb, DayState::converted, false, 2),
                               day_of("front", 3, 10 * k_mb, DayState::settled, true, 2),
                               day_of("front", 2, 10 * k_mb, DayState::settled, true, 2),
                               day_of("front", 1, 10 * k_mb, DayState::settled, true, 2),
                               day_of("front", 0, 10 * k_mb, DayState::recording, true, 2)},
                              100 * k_mb);
  // Days and size: only uploaded days go; the others are held back, not lost.
  auto plan = plan_retention(state, RetentionLimits{20 * k_mb, 0});
  BOOST_TEST(actions_of(state, plan) ==
                 (Lines{"front 2026-11-18 days", "front 2026-11-19 days", "front 2026-11-20 size"}),
             boost::test_tools::per_element());
  BOOST_TEST(plan.held_back.size() == 2u);
  BOOST_TEST(!plan.size_ok);  // 30 MB left: 20 not uploaded, 10 being recorded
  // The free-space floor: uploaded days first, then what is not uploaded (lost).
  plan = plan_retention(state, RetentionLimits{0, 135 * k_mb});
  BOOST_TEST(actions_of(state, plan) ==
                 (Lines{"front 2026-11-18 days", "front 2026-11-19 days",
                        "front 2026-11-20 free space", "front 2026-11-16 free space LOST"}),
             boost::test_tools::per_element());
  // The older day not uploaded went (lost); the younger one is still held back.
  BOOST_TEST_REQUIRE(plan.held_back.size() == 1u);
  BOOST_TEST(format_date(state.days[plan.held_back[0]].date) == "2026-11-17");
}

BOOST_AUTO_TEST_CASE(today_is_never_deleted_whole_and_only_the_floor_takes_its_oldest_files) {
  const auto state = state_of({day_of("front", 0, 50 * k_mb, DayState::recording, true, 1),
                               day_of("front", -1, 5 * k_mb, DayState::recording, true, 1)},
                              10 * k_mb);
  // Days (keep 1 = today only) and size: nothing.
  BOOST_TEST(plan_retention(state, RetentionLimits{1, 0}).actions.empty());
  // The floor: only the bytes it needs, from today's oldest files.
  const auto plan = plan_retention(state, RetentionLimits{1, 30 * k_mb});
  BOOST_TEST(actions_of(state, plan) == (Lines{"front 2026-11-21 free space partial 20000000"}),
             boost::test_tools::per_element());
  BOOST_TEST(plan.free_ok);
  // Not uploaded: the same, said loudly.
  auto unsafe = state;
  unsafe.days[0].safe = false;
  BOOST_TEST(actions_of(unsafe, plan_retention(unsafe, RetentionLimits{0, 30 * k_mb})) ==
                 (Lines{"front 2026-11-21 free space partial 20000000 LOST"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(converting_and_archived_days_are_never_touched) {
  const auto state = state_of({day_of("front", 9, 50 * k_mb, DayState::converting, true, 1),
                               day_of("front", 8, 50 * k_mb, DayState::archived, true, 1),
                               day_of("front", 7, 10 * k_mb, DayState::settled, true, 1)},
                              0);
  const auto plan = plan_retention(state, RetentionLimits{1, 1000 * k_mb});
  BOOST_TEST(actions_of(state, plan) == (Lines{"front 2026-11-14 days"}),
             boost::test_tools::per_element());
  BOOST_TEST(!plan.free_ok);
  BOOST_TEST(!plan.size_ok);
}

// ---------------------------------------------------------------- a pass on disk

namespace {

// An archive with camera "front" (UTC), a catalog and fake segment files: retention
// never reads them, it only deletes them.
struct Archive {
  test::TempDir dir;
  fs::path root = dir.path() / "archive";
  Config config;
  Catalog catalog;
  std::int64_t cam = 0;
  std::atomic<std::int64_t> free_bytes = 1'000'000 * k_mb;     // read by the module's thread
  std::map<std::pair<std::int64_t, std::int64_t>, bool> safe;  // camera, day -> uploaded
  UtcMicros now = must(TimeZone::load("UTC")).day_start(k_today) + 12 * 3600 * k_s;

  Archive()
      : config(make_config(root, dir.path())),
        catalog(must(Catalog::open_writable(config.catalog_path))) {
    cam = must(catalog.ensure_camera("front", "front", "UTC"));
  }

  static Config make_config(const fs::path& root, const fs::path& base) {
    fs::create_directories(root);
    Config c;
    c.save_path = root;
    c.catalog_path = base / "catalog.sqlite";
    c.time_zone = "UTC";
    c.min_free_gb = 0;
    CameraConfig front;
    front.name = "front";
    front.directory = "front";
    front.time_zone = "UTC";
    c.cameras = {front};
    return c;
  }

  fs::path day_dir(const Date& date) const { return root / "front" / format_date(date); }

  // `count` segments of `size` bytes from 00:00:00, with a sidecar on the first.
  void add_day(const Date& date, int count, std::int64_t size) {
    const UtcMicros start = must(TimeZone::load("UTC")).day_start(date);
    for (int i = 0; i < count; ++i) {
      std::array<char, 32> buf{};
      (void)std::snprintf(buf.data(), buf.size(), "video_%02d%02d%02d.ts", i * 10 / 3600,
                          i * 10 / 60 % 60, i * 10 % 60);
      const std::string name = buf.data();
      fs::create_directories(day_dir(date));
      std::ofstream(day_dir(date) / name, std::ios::binary) << std::string(size, 'x');
      if (i == 0) std::ofstream(day_dir(date) / (name + ".duration")) << "10.0\n";
      Segment seg;
      seg.date = date;
      seg.name = name;
      seg.start_us = start + i * 10 * k_s;
      seg.duration_us = 10 * k_s;
      seg.size_bytes = size;
      seg.mtime_ns = 1;
      must(catalog.put_segment(cam, seg));
    }
    must(catalog.set_day_state(cam, date, DayState::settled));
  }

  std::vector<Camera> cameras() const {
    return {Camera{cam, "front", "front", must(TimeZone::load("UTC")), root / "front", false}};
  }

  Retention retention() { return Retention(config, cameras(), seams()); }

  RetentionSeams seams() {
    RetentionSeams seams;
    seams.safe = [this](Catalog&, std::int64_t camera_id, const Date& date) {
      auto it = safe.find({camera_id, days_from_civil(date)});
      return it == safe.end() || it->second;
    };
    seams.free_space = [this](const fs::path&) -> Result<std::int64_t> {
      return free_bytes.load();
    };
    seams.clock = [this] { return now; };
    return seams;
  }

  bool has_day(const Date& date) { return must(catalog.find_day(cam, date)).has_value(); }
};

}  // namespace

BOOST_AUTO_TEST_CASE(a_pass_deletes_whole_days_files_and_rows) {
  Archive a;
  for (int age = 4; age >= 0; --age) a.add_day(days_before(k_today, age), 3, 1000);
  fs::create_directories(a.day_dir(days_before(k_today, 4)) / "thumbs");
  std::ofstream(a.day_dir(days_before(k_today, 4)) / "thumbs" / "a.jpg") << "jpg";
  std::ofstream(a.day_dir(days_before(k_today, 3)) / "video.mp4.sha512sum") << "x  video.mp4\n";
  a.config.days_to_keep = 3;
  const auto report = must(a.retention().run_pass(a.catalog));
  BOOST_TEST(report.days == 2u);
  BOOST_TEST(report.files == 3u + 1 + 1 + 3 + 1 + 1);  // segments, sidecars, jpg, checksum
  BOOST_TEST(report.lost_days == 0u);
  for (int age : {4, 3}) {
    BOOST_TEST(!fs::exists(a.day_dir(days_before(k_today, age))));
    BOOST_TEST(!a.has_day(days_before(k_today, age)));
    BOOST_TEST(must(a.catalog.segments(a.cam, days_before(k_today, age))).empty());
  }
  for (int age : {2, 1, 0}) {
    BOOST_TEST(fs::exists(a.day_dir(days_before(k_today, age)) / "video_000000.ts"));
    BOOST_TEST(a.has_day(days_before(k_today, age)));
  }
  BOOST_TEST(fs::exists(a.root / "front"));
  BOOST_TEST(must(a.catalog.marked_days()).empty());
}

BOOST_AUTO_TEST_CASE(a_pass_by_size_and_by_free_space_with_s3_protection) {
  Archive a;
  for (int age = 4; age >= 0; --age) a.add_day(days_before(k_today, age), 2, 1000);
  a.safe[{a.cam, days_from_civil(days_before(k_today, 4))}] = false;  // not uploaded yet
  // 10000 bytes; a cap (in GB) of 3000 bytes: the oldest uploaded days go.
  a.config.clear_when_path_reach_gb = 3000.0 / static_cast<double>(k_bytes_per_gb);
  auto report = must(a.retention().run_pass(a.catalog));
  BOOST_TEST(report.days == 3u);  // ages 3, 2, 1
  BOOST_TEST(report.held_back == 1u);
  BOOST_TEST(!report.size_ok);  // 4000 bytes left: not uploaded and today
  BOOST_TEST(a.has_day(days_before(k_today, 4)));
  BOOST_TEST(!a.has_day(days_before(k_today, 1)));
  BOOST_TEST(a.has_day(k_today));
  // The free-space floor takes what is not uploaded, then today's oldest file.
  a.config.clear_when_path_reach_gb = 0;
  a.config.min_free_gb = 10'000.0 / static_cast<double>(k_bytes_per_gb);
  a.free_bytes = 7500;
  report = must(a.retention().run_pass(a.catalog));
  BOOST_TEST(report.lost_days == 1u);  // today's oldest file is uploaded
  BOOST_TEST(!a.has_day(days_before(k_today, 4)));
  BOOST_TEST(!fs::exists(a.day_dir(days_before(k_today, 4))));
  const auto today = must(a.catalog.segments(a.cam, k_today));
  BOOST_TEST_REQUIRE(today.size() == 1u);
  BOOST_TEST(today[0].name == "video_000010.ts");
  BOOST_TEST(!fs::exists(a.day_dir(k_today) / "video_000000.ts"));
  BOOST_TEST(!fs::exists(a.day_dir(k_today) / "video_000000.ts.duration"));
  BOOST_TEST(fs::exists(a.day_dir(k_today) / "video_000010.ts"));
}

BOOST_AUTO_TEST_CASE(a_converting_day_is_kept) {
  Archive a;
  a.add_day(days_before(k_today, 5), 2, 1000);
  must(a.catalog.set_day_state(a.cam, days_before(k_today, 5), DayState::converting));
  a.config.days_to_keep = 1;
  a.config.min_free_gb = 1;
  a.free_bytes = 0;
  const auto report = must(a.retention().run_pass(a.catalog));
  BOOST_TEST(report.days == 0u);
  BOOST_TEST(!report.free_ok);
  BOOST_TEST(fs::exists(a.day_dir(days_before(k_today, 5)) / "video_000000.ts"));
}

BOOST_AUTO_TEST_CASE(a_crash_between_mark_and_delete_is_finished_on_restart) {
  Archive a;
  const Date old_day = days_before(k_today, 9);
  const Date gone_day = days_before(k_today, 8);
  a.add_day(old_day, 3, 1000);
  a.add_day(gone_day, 3, 1000);
  // The crash: both marked; one day's files partly deleted, the other's all gone.
  BOOST_TEST(must(a.catalog.mark_day_deleting(a.cam, old_day, "days")));
  BOOST_TEST(must(a.catalog.mark_day_deleting(a.cam, gone_day, "size")));
  fs::remove(a.day_dir(old_day) / "video_000000.ts");
  fs::remove_all(a.day_dir(gone_day));
  // The indexer leaves marked days alone: it neither forgets nor re-adds their rows.
  Indexer indexer(a.config, a.catalog, [&a] { return a.now; });
  must(indexer.reindex(false));
  BOOST_TEST(must(a.catalog.segments(a.cam, old_day)).size() == 3u);
  BOOST_TEST(must(a.catalog.delete_mark(a.cam, old_day)).value_or("") == "days");
  BOOST_TEST(must(a.catalog.delete_mark(a.cam, gone_day)).value_or("") == "size");
  // Restart: finished, whatever the rules say (all off here).
  BOOST_TEST(must(a.retention().finish_marked(a.catalog)) == 2u);
  BOOST_TEST(!a.has_day(old_day));
  BOOST_TEST(!a.has_day(gone_day));
  BOOST_TEST(!fs::exists(a.day_dir(old_day)));
  BOOST_TEST(must(a.catalog.marked_days()).empty());
}

BOOST_AUTO_TEST_CASE(the_module_runs_a_pass_at_start_and_at_once_when_the_disk_fills) {
  Archive a;
  for (int age = 3; age >= 0; --age) a.add_day(days_before(k_today, age), 2, 1000);
  a.config.days_to_keep = 3;  // the oldest day goes at start
  a.config.min_free_gb = 10'000.0 / static_cast<double>(k_bytes_per_gb);
  const auto wait_for = [](const std::function<bool()>& done) {
    for (int i = 0; i < 200 && !done(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    return done();
  };
  const Date oldest = days_before(k_today, 3);
  const Date next = days_before(k_today, 2);
  auto module = must(RetentionModule::create(a.config, a.cameras(), a.seams()));
  BOOST_TEST(wait_for([&] { return !fs::exists(a.day_dir(oldest)); }));
  BOOST_TEST(fs::exists(a.day_dir(next)));
  // The disk fills: the next check (every 5 s) runs a pass without waiting for the minute.
  a.free_bytes = 9000;
  BOOST_TEST(wait_for([&] { return !fs::exists(a.day_dir(next)); }));
  module->stop();
  BOOST_TEST(module->status().find("retention deleted 2 days") == 0, module->status());
  BOOST_TEST(!a.has_day(oldest));
  BOOST_TEST(!a.has_day(next));
  BOOST_TEST(a.has_day(k_today));
}
