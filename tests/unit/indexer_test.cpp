// Unit tests for worker/indexer: reindexing legacy and multi-camera roots into the
// catalog (days, counts, gaps), incremental reindexing, single-file events, the
// settle rule applied with an injected clock, and days owned by later modules.
#define BOOST_TEST_MODULE indexer
#include <boost/test/unit_test.hpp>

#include "tests/unit/worker_fixture.hpp"
#include "worker/indexer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cmath>

namespace cctv::worker {
inline std::ostream& boost_test_print_type(std::ostream& os, IndexOutcome outcome) {
  return os << "IndexOutcome(" << static_cast<int>(outcome) << ")";
}
}  // namespace cctv::worker

using namespace cctv;
using namespace cctv::test;
using namespace cctv::worker;

namespace {

constexpr UtcMicros k_minute = 60 * k_micros_per_second;
const Date k_day{2026, 11, 20};
const Date k_next{2026, 11, 21};

UtcMicros utc(const Date& d, int h, int mi, int s = 0) {
  return (days_from_civil(d) * 86400 + h * 3600 + mi * 60 + s) * k_micros_per_second;
}

std::int64_t sample_us() {
  static const std::int64_t us = std::llround(ffprobe_duration(sample_ts()) * 1e6);
  return us;
}

struct Archive {
  TempDir dir;
  fs::path root = dir.path() / "archive";
  fs::path catalog_path = dir.path() / "var" / "catalog.sqlite";
  UtcMicros now = utc(Date{2026, 12, 1}, 12, 0);  // long after the test days
  Archive() { fs::create_directories(root); }

  // A segment file with an old mtime (so that its day is quiet).
  fs::path add(const std::string& relative_dir, const std::string& name) {
    const auto path = root / relative_dir / name;
    copy_sample(path);
    set_mtime(path, 1'700'000'000);
    return path;
  }
  Clock clock() {
    return [this] { return now; };
  }
};

DayRow day_of(Catalog& catalog, std::int64_t camera, const Date& date) {
  auto day = value_of(catalog.find_day(camera, date));
  if (!day) throw std::runtime_error("no day " + format_date(date));
  return *day;
}

// Captures what is written to stderr (the log) while it lives.
class StderrCapture {
 public:
  explicit StderrCapture(const fs::path& file) : m_file(file) {
    std::fflush(stderr);
    m_saved = ::dup(2);
    const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(fd, 2);
    ::close(fd);
  }
  ~StderrCapture() { restore(); }
  StderrCapture(const StderrCapture&) = delete;
  StderrCapture& operator=(const StderrCapture&) = delete;
  std::string text() {
    restore();
    std::ifstream in(m_file);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  }

 private:
  void restore() {
    if (m_saved < 0) return;
    std::fflush(stderr);
    ::dup2(m_saved, 2);
    ::close(m_saved);
    m_saved = -1;
  }
  fs::path m_file;
  int m_saved = -1;
};

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) ++n;
  return n;
}

}  // namespace

BOOST_AUTO_TEST_CASE(legacy_root_is_one_camera_with_days_counts_and_gaps) {
  Archive a;
  for (const char* name : {"video_100000.ts", "video_100002.ts", "video_100004.ts",
                           "video_100010.ts"}) {  // 100006 and 100008 are missing
    a.add("2026-11-20", name);
  }
  a.add("2026-11-21", "video_000000.ts");
  auto catalog = open_catalog(a.catalog_path);
  Indexer indexer(make_config(a.root, a.catalog_path), catalog, a.clock());
  const auto stats = value_of(indexer.reindex(false));
  BOOST_TEST(stats.cameras == 1U);
  BOOST_TEST(stats.days == 2U);
  BOOST_TEST(stats.segments == 5U);
  BOOST_TEST(stats.probed == 5U);

  const auto cameras = value_of(catalog.cameras());
  BOOST_REQUIRE(cameras.size() == 1U);
  BOOST_TEST(cameras[0].name == "camera");
  BOOST_TEST(cameras[0].directory == "");
  BOOST_TEST(cameras[0].time_zone == "UTC");

  const auto day = day_of(catalog, cameras[0].id, k_day);
  BOOST_TEST(day.segment_count == 4);
  BOOST_TEST(day.recorded_us == 4 * sample_us());
  BOOST_TEST(day.first_start_us == utc(k_day, 10, 0));
  BOOST_TEST(day.last_end_us == utc(k_day, 10, 0, 10) + sample_us());
  BOOST_TEST(day.gap_count == 1);
  BOOST_TEST(day.gap_us == utc(k_day, 10, 0, 10) - (utc(k_day, 10, 0, 4) + sample_us()));
  BOOST_TEST(day.state == DayState::settled);  // past and quiet: settled at once
  BOOST_TEST(day_of(catalog, cameras[0].id, k_next).segment_count == 1);

  const auto segments = value_of(catalog.segments(cameras[0].id, k_day));
  BOOST_TEST(segments[1].name == "video_100002.ts");
  BOOST_TEST(segments[1].codec == "h264 320x180");
  BOOST_TEST(segments[1].duration_us == sample_us());
}

BOOST_AUTO_TEST_CASE(multi_camera_root_discovers_cameras_with_the_global_zone) {
  Archive a;
  a.add("front/2026-11-20", "video_101500.ts");
  a.add("front/2026-11-20", "video_101502.ts");
  a.add("back/2026-11-20", "video_000000.ts");
  a.add("back/2026-11-21", "video_000000.ts");
  fs::create_directories(a.root / "not a camera!");
  write_file(a.root / "README", "x");
  write_file(a.root / "front" / "2026-11-20" / "video_101504.ts.part", "being written");
  write_file(a.root / "front" / "2026-11-20" / "notes.txt", "x");
  auto catalog = open_catalog(a.catalog_path);
  Indexer indexer(make_config(a.root, a.catalog_path, "Europe/Berlin"), catalog, a.clock());
  const auto stats = value_of(indexer.reindex(false));
  BOOST_TEST(stats.cameras == 2U);
  BOOST_TEST(stats.days == 3U);
  BOOST_TEST(stats.segments == 4U);

  const auto front = value_of(catalog.find_camera("front"));
  const auto back = value_of(catalog.find_camera("back"));
  BOOST_REQUIRE((front && back));
  BOOST_TEST(front->directory == "front");
  BOOST_TEST(front->time_zone == "Europe/Berlin");
  const auto day = day_of(catalog, front->id, k_day);
  BOOST_TEST(day.segment_count == 2);
  BOOST_TEST(day.gap_count == 0);
  BOOST_TEST(day.first_start_us == utc(k_day, 9, 15));  // 10:15 CET
  BOOST_TEST(value_of(catalog.days(back->id)).size() == 2U);
}

BOOST_AUTO_TEST_CASE(configured_cameras_only_with_their_own_zone) {
  Archive a;
  a.add("gate/2026-11-20", "video_120000.ts");
  a.add("other/2026-11-20", "video_120000.ts");
  Config config = make_config(a.root, a.catalog_path, "Europe/Berlin");
  CameraConfig gate;
  gate.name = "gate";
  gate.directory = "gate";
  gate.time_zone = "America/New_York";
  config.cameras.push_back(gate);
  auto catalog = open_catalog(a.catalog_path);
  Indexer indexer(config, catalog, a.clock());
  BOOST_TEST(value_of(indexer.reindex(false)).segments == 1U);
  const auto cameras = value_of(catalog.cameras());
  BOOST_REQUIRE(cameras.size() == 1U);
  BOOST_TEST(cameras[0].time_zone == "America/New_York");
  BOOST_TEST(day_of(catalog, cameras[0].id, k_day).first_start_us == utc(k_day, 17, 0));
}

BOOST_AUTO_TEST_CASE(dst_spring_forward_segment_gets_a_sane_utc_time) {
  Archive a;
  a.add("2026-03-08", "video_013000.ts");
  a.add("2026-03-08", "video_023000.ts");  // does not exist in New York that night
  a.add("2026-03-08", "video_033000.ts");
  auto catalog = open_catalog(a.catalog_path);
  Indexer indexer(make_config(a.root, a.catalog_path, "America/New_York"), catalog, a.clock());
  value_of(indexer.reindex(false));
  const auto camera = value_of(catalog.find_camera("camera"));
  const auto segments = value_of(catalog.segments(camera->id, Date{2026, 3, 8}));
  BOOST_REQUIRE(segments.size() == 3U);
  BOOST_TEST(segments[0].start_us == utc(Date{2026, 3, 8}, 6, 30));  // 01:30 EST
  BOOST_TEST(segments[1].start_us == utc(Date{2026, 3, 8}, 7, 30));  // read as 03:30 EDT
  BOOST_TEST(segments[2].start_us == utc(Date{2026, 3, 8}, 7, 30));  // 03:30 EDT
}

BOOST_AUTO_TEST_CASE(incremental_reindex_skips_unchanged_and_removes_vanished) {
  Archive a;
  a.add("cam1/2026-11-20", "video_100000.ts");
  a.add("cam1/2026-11-20", "video_100002.ts");
  a.add("cam1/2026-11-20", "video_100004.ts");
  a.add("cam1/2026-11-21", "video_000000.ts");
  auto catalog = open_catalog(a.catalog_path);
  Indexer indexer(make_config(a.root, a.catalog_path), catalog, a.clock());
  value_of(indexer.reindex(false));

  auto again = value_of(indexer.reindex(false));
  BOOST_TEST(again.segments == 4U);
  BOOST_TEST(again.probed == 0U);  // size and mtime match: nothing probed

  fs::remove(a.root / "cam1/2026-11-20/video_100002.ts");
  fs::remove_all(a.root / "cam1/2026-11-21");
  make_ts(a.root / "cam1/2026-11-20/video_100004.ts", 3);  // replaced: new content
  auto after = value_of(indexer.reindex(false));
  BOOST_TEST(after.removed == 1U);
  BOOST_TEST(after.probed == 1U);
  const auto camera = value_of(catalog.find_camera("cam1"));
  const auto segments = value_of(catalog.segments(camera->id, k_day));
  BOOST_REQUIRE(segments.size() == 2U);
  BOOST_TEST(segments[1].duration_us ==
             std::llround(ffprobe_duration(a.root / "cam1/2026-11-20/video_100004.ts") * 1e6));
  BOOST_TEST(!value_of(catalog.find_day(camera->id, k_next)));

  const auto full = value_of(indexer.reindex(true));
  BOOST_TEST(full.probed == 2U);  // --reindex probes everything again
}

BOOST_AUTO_TEST_CASE(unreadable_files_are_skipped_and_logged_once) {
  Archive a;
  a.add("2026-11-20", "video_100000.ts");
  write_file(a.root / "2026-11-20/video_100002.ts", "garbage");
  write_file(a.root / "2026-11-20/video_100004.ts", "");
  auto catalog = open_catalog(a.catalog_path);
  Indexer indexer(make_config(a.root, a.catalog_path), catalog, a.clock());
  StderrCapture log(a.dir.path() / "log.txt");
  const auto first = value_of(indexer.reindex(false));
  const auto second = value_of(indexer.reindex(false));
  const std::string text = log.text();
  BOOST_TEST(first.failed == 2U);
  BOOST_TEST(first.segments == 1U);
  BOOST_TEST(second.segments == 1U);
  BOOST_TEST(count(text, "skipped 2026-11-20/video_100002.ts") == 1U);
  BOOST_TEST(count(text, "skipped 2026-11-20/video_100004.ts") == 1U);
  BOOST_TEST(count(text, "<4>") == 2U);
}

BOOST_AUTO_TEST_CASE(index_file_adds_replaces_and_forgets) {
  Archive a;
  a.add("cam/2026-11-20", "video_100000.ts");
  auto catalog = open_catalog(a.catalog_path);
  Indexer indexer(make_config(a.root, a.catalog_path), catalog, a.clock());
  value_of(indexer.reindex(false));
  const auto id = indexer.cameras().at(0).id;

  a.add("cam/2026-11-20", "video_100002.ts");
  BOOST_TEST(value_of(indexer.index_file(0, k_day, "video_100002.ts", false)) ==
             IndexOutcome::indexed);
  BOOST_TEST(value_of(indexer.index_file(0, k_day, "video_100002.ts", false)) ==
             IndexOutcome::unchanged);
  BOOST_TEST(day_of(catalog, id, k_day).segment_count == 2);

  write_file(a.root / "cam/2026-11-20/video_100002.ts.duration", "7.5");
  BOOST_TEST(value_of(indexer.index_file(0, k_day, "video_100002.ts", true)) ==
             IndexOutcome::indexed);
  BOOST_TEST(value_of(catalog.segments(id, k_day))[1].duration_us == 7'500'000);

  write_file(a.root / "cam/2026-11-20/video_100002.ts", "replaced by garbage");
  BOOST_TEST(value_of(indexer.index_file(0, k_day, "video_100002.ts", false)) ==
             IndexOutcome::failed);
  BOOST_TEST(day_of(catalog, id, k_day).segment_count == 1);

  fs::remove(a.root / "cam/2026-11-20/video_100000.ts");
  BOOST_TEST(value_of(indexer.index_file(0, k_day, "video_100000.ts", false)) ==
             IndexOutcome::removed);
  BOOST_TEST(!value_of(catalog.find_day(id, k_day)));  // its last segment went
}

BOOST_AUTO_TEST_CASE(days_settle_by_the_rule_and_reopen_on_a_late_segment) {
  Archive a;
  a.now = utc(k_day, 12, 0);  // during the day
  a.add("cam/2026-11-20", "video_100000.ts");
  auto catalog = open_catalog(a.catalog_path);
  Indexer indexer(make_config(a.root, a.catalog_path), catalog, a.clock());
  value_of(indexer.reindex(false));
  const auto id = indexer.cameras().at(0).id;
  BOOST_TEST(day_of(catalog, id, k_day).state == DayState::recording);  // today

  a.now = utc(k_next, 0, 9, 59);
  BOOST_TEST(value_of(indexer.settle_days()) == 0U);
  a.now = utc(k_next, 0, 10);
  BOOST_TEST(value_of(indexer.settle_days()) == 1U);
  BOOST_TEST(day_of(catalog, id, k_day).state == DayState::settled);

  a.now = utc(k_next, 0, 20);  // a late upload for the settled day
  a.add("cam/2026-11-20", "video_235950.ts");
  value_of(indexer.index_file(0, k_day, "video_235950.ts", false));
  BOOST_TEST(day_of(catalog, id, k_day).state == DayState::recording);
  a.now = utc(k_next, 0, 29);
  BOOST_TEST(value_of(indexer.settle_days()) == 0U);
  a.now = utc(k_next, 0, 30);
  BOOST_TEST(value_of(indexer.settle_days()) == 1U);
  BOOST_TEST(day_of(catalog, id, k_day).state == DayState::settled);
}

BOOST_AUTO_TEST_CASE(recently_written_past_day_waits_for_the_settle_period) {
  Archive a;
  a.now = utc(k_next, 12, 0);
  const auto file = a.add("cam/2026-11-20", "video_100000.ts");
  set_mtime(file, a.now / k_micros_per_second - 60);  // uploaded a minute ago
  auto catalog = open_catalog(a.catalog_path);
  Indexer indexer(make_config(a.root, a.catalog_path), catalog, a.clock());
  value_of(indexer.reindex(false));
  const auto id = indexer.cameras().at(0).id;
  BOOST_TEST(day_of(catalog, id, k_day).state == DayState::recording);
  a.now += 9 * k_minute;
  BOOST_TEST(value_of(indexer.settle_days()) == 1U);
}

BOOST_AUTO_TEST_CASE(days_of_later_states_are_left_to_their_modules) {
  Archive a;
  a.add("cam/2026-11-20", "video_100000.ts");
  auto catalog = open_catalog(a.catalog_path);
  Indexer indexer(make_config(a.root, a.catalog_path), catalog, a.clock());
  value_of(indexer.reindex(false));
  const auto id = indexer.cameras().at(0).id;
  check(catalog.set_day_state(id, k_day, DayState::converted));

  fs::remove_all(a.root / "cam/2026-11-20");  // e.g. archived to S3 and cleared
  value_of(indexer.reindex(false));
  BOOST_TEST(day_of(catalog, id, k_day).state == DayState::converted);
  BOOST_TEST(day_of(catalog, id, k_day).segment_count == 1);

  a.add("cam/2026-11-20", "video_100002.ts");
  BOOST_TEST(value_of(indexer.index_file(0, k_day, "video_100002.ts", false)) ==
             IndexOutcome::ignored);
  check(indexer.forget_day(0, k_day));
  BOOST_TEST(day_of(catalog, id, k_day).segment_count == 1);
}

BOOST_AUTO_TEST_CASE(new_camera_directories_are_discovered) {
  Archive a;
  a.add("front/2026-11-20", "video_100000.ts");
  auto catalog = open_catalog(a.catalog_path);
  Indexer indexer(make_config(a.root, a.catalog_path), catalog, a.clock());
  BOOST_TEST(value_of(indexer.load_cameras()).size() == 1U);
  BOOST_TEST(value_of(indexer.load_cameras()).empty());
  fs::create_directories(a.root / "yard");
  const auto added = value_of(indexer.load_cameras());
  BOOST_REQUIRE(added.size() == 1U);
  BOOST_TEST(indexer.cameras().at(added[0]).name == "yard");
  BOOST_TEST(indexer.camera_at("yard").value_or(99) == added[0]);
  BOOST_TEST(value_of(indexer.segment_count()) == 0);
  value_of(indexer.reindex(false));
  BOOST_TEST(value_of(indexer.segment_count()) == 1);
}

BOOST_AUTO_TEST_CASE(progress_hook_can_interrupt_a_reindex_between_files) {
  Archive a;
  a.add("cam/2026-11-20", "video_100000.ts");
  a.add("cam/2026-11-21", "video_100000.ts");
  a.add("cam/2026-11-21", "video_100002.ts");
  auto catalog = open_catalog(a.catalog_path);
  Indexer indexer(make_config(a.root, a.catalog_path), catalog, a.clock());
  int calls = 0;
  indexer.set_progress([&calls] { return ++calls < 3; });  // file, day, then stop
  auto stats = indexer.reindex(false);
  BOOST_REQUIRE(!stats);
  BOOST_TEST(stats.error().kind == ErrorKind::unavailable);
  const auto id = indexer.cameras().at(0).id;
  BOOST_TEST(day_of(catalog, id, k_day).segment_count == 1);  // the first day is committed
  BOOST_TEST(!value_of(catalog.find_day(id, k_next)));        // the second was not
  indexer.set_progress(nullptr);
  BOOST_TEST(value_of(indexer.reindex(false)).segments == 3U);
}

BOOST_AUTO_TEST_CASE(a_changed_time_zone_reads_every_segment_again) {
  Archive a;
  a.add("cam/2026-11-20", "video_100000.ts");
  auto catalog = open_catalog(a.catalog_path);
  {
    Indexer indexer(make_config(a.root, a.catalog_path, "UTC"), catalog, a.clock());
    value_of(indexer.reindex(false));
  }
  const auto id = value_of(catalog.find_camera("cam"))->id;
  BOOST_TEST(value_of(catalog.segments(id, k_day))[0].start_us == utc(k_day, 10, 0));
  Indexer indexer(make_config(a.root, a.catalog_path, "Europe/Berlin"), catalog, a.clock());
  const auto stats = value_of(indexer.reindex(false));
  BOOST_TEST(stats.probed == 1U);  // unchanged file, but its start time moved
  BOOST_TEST(value_of(catalog.segments(id, k_day))[0].start_us == utc(k_day, 9, 0));
  BOOST_TEST(value_of(catalog.find_camera("cam"))->time_zone == "Europe/Berlin");
  BOOST_TEST(value_of(indexer.reindex(false)).probed == 0U);
}
