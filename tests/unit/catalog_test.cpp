// Unit tests for core/catalog: schema creation, read-only access, cameras, the
// per-day aggregates (gaps against the 1.5 s tolerance), versions and states, the
// schema upgrade. Camera status rows are in catalog_status_test.cpp, converted days and
// retention's marks in catalog_converted_test.cpp.
#define BOOST_TEST_MODULE catalog
#include <boost/test/unit_test.hpp>

#include "core/catalog.hpp"
#include "tests/unit/catalog_fixture.hpp"

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

using namespace cctv;
using namespace cctv::test;

// ---------------------------------------------------------------- opening

BOOST_AUTO_TEST_CASE(open_writable_creates_directory_schema_and_wal) {
  TempDir dir;
  const fs::path file = dir.path() / "a" / "b" / "catalog.sqlite";
  {
    auto catalog = Catalog::open_writable(file);
    BOOST_TEST_REQUIRE(catalog.has_value(), (catalog ? "" : catalog.error().message));
  }
  BOOST_TEST(fs::exists(file));
  BOOST_TEST(pragma(file, "PRAGMA user_version") == std::to_string(Catalog::k_schema_version));
  BOOST_TEST(Catalog::k_schema_version >= 4);  // 4: retention
  BOOST_TEST(pragma(file, "PRAGMA journal_mode") == "wal");
  for (const char* table :
       {"camera", "day", "segment", "camera_status", "converted_day", "fragment"}) {
    const std::string sql =
        std::string("SELECT name FROM sqlite_master WHERE type = 'table' AND name = '") + table +
        "'";
    BOOST_TEST(pragma(file, sql.c_str()) == table);
  }
}

BOOST_AUTO_TEST_CASE(open_writable_twice_keeps_the_data) {
  TempDir dir;
  const fs::path file = dir.path() / "catalog.sqlite";
  {
    Catalog c = must(Catalog::open_writable(file));
    must(c.ensure_camera("front", "front", "UTC"));
  }
  Catalog c = must(Catalog::open_writable(file));
  auto cameras = must(c.cameras());
  BOOST_TEST_REQUIRE(cameras.size() == 1u);
  BOOST_TEST(cameras[0].name == "front");
}

BOOST_AUTO_TEST_CASE(open_writable_refuses_a_newer_schema) {
  TempDir dir;
  const fs::path file = dir.path() / "catalog.sqlite";
  {
    auto db = must(sqlite::Database::open(file, sqlite::Database::Mode::read_write_create));
    must(db.exec("PRAGMA user_version = 99"));
  }
  auto c = Catalog::open_writable(file);
  BOOST_TEST_REQUIRE(!c.has_value());
  BOOST_TEST(c.error().message.find("newer") != std::string::npos, c.error().message);
}

BOOST_AUTO_TEST_CASE(open_read_only_of_a_missing_catalog_fails_clearly) {
  TempDir dir;
  const fs::path file = dir.path() / "missing.sqlite";
  auto c = Catalog::open_read_only(file);
  BOOST_TEST_REQUIRE(!c.has_value());
  BOOST_TEST(c.error().kind == ErrorKind::unavailable);
  BOOST_TEST(c.error().message.find(file.string()) != std::string::npos, c.error().message);
  BOOST_TEST(c.error().message.find("does not exist") != std::string::npos, c.error().message);
  BOOST_TEST(!fs::exists(file));  // and it did not create it
}

BOOST_AUTO_TEST_CASE(open_read_only_refuses_a_database_without_the_schema) {
  TempDir dir;
  const fs::path file = dir.path() / "empty.sqlite";
  {
    auto db = must(sqlite::Database::open(file, sqlite::Database::Mode::read_write_create));
    must(db.exec("CREATE TABLE x (y)"));
  }
  auto c = Catalog::open_read_only(file);
  BOOST_TEST_REQUIRE(!c.has_value());
  BOOST_TEST(c.error().message.find("schema version 0") != std::string::npos, c.error().message);
}

BOOST_AUTO_TEST_CASE(open_read_only_of_a_file_that_is_not_a_database_is_data_loss) {
  TempDir dir;
  const fs::path file = dir.path() / "junk.sqlite";
  {
    std::ofstream out(file, std::ios::binary);
    for (int i = 0; i < 512; ++i) out << "not a database ";
  }
  auto c = Catalog::open_read_only(file);
  BOOST_TEST_REQUIRE(!c.has_value());
  BOOST_TEST(c.error().kind == ErrorKind::data_loss, c.error().message);
  auto w = Catalog::open_writable(file);
  BOOST_TEST_REQUIRE(!w.has_value());
  BOOST_TEST(w.error().kind == ErrorKind::data_loss, w.error().message);
}

BOOST_FIXTURE_TEST_CASE(read_only_catalog_cannot_write, Fixture) {
  must(catalog.put_segment(cam, seg(k_day, "video_101500.ts", k_t0, 10 * k_s)));
  Catalog ro = must(Catalog::open_read_only(file));
  BOOST_TEST(!ro.ensure_camera("back", "back", "UTC").has_value());
  BOOST_TEST(
      !ro.put_segment(cam, seg(k_day, "video_101510.ts", k_t0 + 10 * k_s, 10 * k_s)).has_value());
  BOOST_TEST(!ro.remove_day(cam, k_day).has_value());
  BOOST_TEST(!ro.set_day_state(cam, k_day, DayState::settled).has_value());
  BOOST_TEST(must(catalog.cameras()).size() == 1u);
  BOOST_TEST(must(catalog.segments(cam, k_day)).size() == 1u);
  BOOST_TEST(day().state == DayState::recording);
}

BOOST_FIXTURE_TEST_CASE(read_only_catalog_sees_the_writers_commits, Fixture) {
  Catalog ro = must(Catalog::open_read_only(file));
  BOOST_TEST(must(ro.days(cam)).empty());
  must(catalog.put_segment(cam, seg(k_day, "video_101500.ts", k_t0, 10 * k_s)));
  auto days = must(ro.days(cam));
  BOOST_TEST_REQUIRE(days.size() == 1u);
  BOOST_TEST(days[0].segment_count == 1);
  must(catalog.put_segment(cam, seg(k_day, "video_101510.ts", k_t0 + 10 * k_s, 10 * k_s)));
  BOOST_TEST(must(ro.find_day(cam, k_day))->segment_count == 2);
  BOOST_TEST(must(ro.segments(cam, k_day)).size() == 2u);
  // Uncommitted writes stay invisible.
  {
    auto tx = must(catalog.transaction());
    must(catalog.put_segment(cam, seg(k_day, "video_101520.ts", k_t0 + 20 * k_s, 10 * k_s)));
    BOOST_TEST(must(ro.segments(cam, k_day)).size() == 2u);
  }
  BOOST_TEST(must(ro.segments(cam, k_day)).size() == 2u);
}

BOOST_FIXTURE_TEST_CASE(read_only_catalog_is_not_pinned_to_an_old_snapshot_by_a_lookup, Fixture) {
  // A long-running web program looks a camera up, then serves later requests:
  // no single-row read may leave its statement open and hold an old snapshot.
  Catalog ro = must(Catalog::open_read_only(file));
  auto found = must(ro.find_camera("front"));
  BOOST_TEST_REQUIRE(found.has_value());
  BOOST_TEST(must(ro.find_day(cam, k_day)).has_value() == false);
  must(catalog.put_segment(cam, seg(k_day, "video_101500.ts", k_t0, 10 * k_s)));
  BOOST_TEST(must(ro.days(cam)).size() == 1u);
  BOOST_TEST(must(ro.find_day(cam, k_day)).has_value());
  must(catalog.ensure_camera("back", "back", "UTC"));
  BOOST_TEST(must(ro.cameras()).size() == 2u);
}

// ---------------------------------------------------------------- cameras

BOOST_FIXTURE_TEST_CASE(ensure_camera_is_idempotent_and_updates_details, Fixture) {
  BOOST_TEST(must(catalog.ensure_camera("front", "front", "UTC")) == cam);
  const std::int64_t back = must(catalog.ensure_camera("back", "", "Europe/Berlin"));
  BOOST_TEST(back != cam);
  BOOST_TEST(must(catalog.ensure_camera("front", "elsewhere", "America/New_York")) == cam);
  auto cameras = must(catalog.cameras());
  BOOST_TEST_REQUIRE(cameras.size() == 2u);
  BOOST_TEST(cameras[0].name == "back");  // sorted by name
  BOOST_TEST(cameras[0].directory == "");
  BOOST_TEST(cameras[0].time_zone == "Europe/Berlin");
  BOOST_TEST(cameras[1].name == "front");
  BOOST_TEST(cameras[1].id == cam);
  BOOST_TEST(cameras[1].directory == "elsewhere");
  BOOST_TEST(cameras[1].time_zone == "America/New_York");
}

BOOST_FIXTURE_TEST_CASE(find_camera_by_name, Fixture) {
  auto found = must(catalog.find_camera("front"));
  BOOST_TEST_REQUIRE(found.has_value());
  BOOST_TEST(found->id == cam);
  BOOST_TEST(found->time_zone == "UTC");
  BOOST_TEST(!must(catalog.find_camera("nope")).has_value());
  BOOST_TEST(!must(catalog.find_camera("FRONT")).has_value());
}

// ---------------------------------------------------------------- segments and days

BOOST_FIXTURE_TEST_CASE(segments_round_trip_in_time_order, Fixture) {
  must(catalog.put_segment(
      cam, seg(k_day, "video_101510.ts", k_t0 + 10 * k_s, 10'040'000, 222, "h265 640x360")));
  must(catalog.put_segment(cam, seg(k_day, "video_101500.ts", k_t0, 10 * k_s, 111)));
  auto segs = must(catalog.segments(cam, k_day));
  BOOST_TEST_REQUIRE(segs.size() == 2u);
  BOOST_TEST(segs[0].name == "video_101500.ts");
  BOOST_TEST(segs[0].start_us == k_t0);
  BOOST_TEST(segs[0].duration_us == 10 * k_s);
  BOOST_TEST(segs[0].size_bytes == 111);
  BOOST_TEST(segs[0].codec == "h264 1920x1080");
  BOOST_TEST(segs[0].mtime_ns == 1'700'000'000'000'000'000 + k_t0);
  BOOST_TEST(segs[0].date == k_day);
  BOOST_TEST(segs[0].id > 0);
  BOOST_TEST(segs[1].name == "video_101510.ts");
  BOOST_TEST(segs[1].duration_us == 10'040'000);
  BOOST_TEST(segs[1].codec == "h265 640x360");
  BOOST_TEST(must(catalog.segments(cam, Date{2026, 11, 21})).empty());
}

BOOST_FIXTURE_TEST_CASE(day_aggregates_count_gaps_beyond_the_tolerance_only, Fixture) {
  // s1 [0, 10) s2 starts 0.5 s late, s3 starts 1.4 s late (jitter, not gaps),
  // s4 starts 30 s late (a gap), s5 starts 1.6 s late (a gap: > 1.5 s).
  const UtcMicros s1 = k_t0;
  const UtcMicros s2 = s1 + 10 * k_s + 500'000;
  const UtcMicros s3 = s2 + 10'040'000 + 1'400'000;
  const UtcMicros s4 = s3 + 9 * k_s + 30 * k_s;
  const UtcMicros s5 = s4 + 10 * k_s + 1'600'000;
  must(catalog.put_segment(cam, seg(k_day, "a.ts", s1, 10 * k_s, 1000)));
  must(catalog.put_segment(cam, seg(k_day, "b.ts", s2, 10'040'000, 2000)));
  must(catalog.put_segment(cam, seg(k_day, "c.ts", s3, 9 * k_s, 3000)));
  must(catalog.put_segment(cam, seg(k_day, "d.ts", s4, 10 * k_s, 4000)));
  must(catalog.put_segment(cam, seg(k_day, "e.ts", s5, 7'500'000, 5000)));
  const DayRow d = day();
  BOOST_TEST(d.camera_id == cam);
  BOOST_TEST(d.date == k_day);
  BOOST_TEST(d.segment_count == 5);
  BOOST_TEST(d.recorded_us == 10 * k_s + 10'040'000 + 9 * k_s + 10 * k_s + 7'500'000);
  BOOST_TEST(d.size_bytes == 15000);
  BOOST_TEST(d.first_start_us == s1);
  BOOST_TEST(d.last_end_us == s5 + 7'500'000);
  BOOST_TEST(d.gap_count == 2);
  BOOST_TEST(d.gap_us == 30 * k_s + 1'600'000);
  BOOST_TEST(d.state == DayState::recording);
}

BOOST_FIXTURE_TEST_CASE(a_gap_of_exactly_the_tolerance_is_not_a_gap, Fixture) {
  must(catalog.put_segment(cam, seg(k_day, "a.ts", k_t0, 10 * k_s)));
  must(catalog.put_segment(cam, seg(k_day, "b.ts", k_t0 + 11'500'000, 10 * k_s)));
  BOOST_TEST(day().gap_count == 0);
  must(catalog.put_segment(cam, seg(k_day, "c.ts", k_t0 + 21'500'000 + 1'500'001, 10 * k_s)));
  BOOST_TEST(day().gap_count == 1);
  BOOST_TEST(day().gap_us == 1'500'001);
}

BOOST_FIXTURE_TEST_CASE(last_end_is_the_latest_end_even_with_overlaps, Fixture) {
  // A long recording and a short one inside it.
  must(catalog.put_segment(cam, seg(k_day, "long.ts", k_t0, 60 * k_s)));
  must(catalog.put_segment(cam, seg(k_day, "short.ts", k_t0 + 10 * k_s, 10 * k_s)));
  const DayRow d = day();
  BOOST_TEST(d.first_start_us == k_t0);
  BOOST_TEST(d.last_end_us == k_t0 + 60 * k_s);
  BOOST_TEST(d.gap_count == 0);
  BOOST_TEST(d.recorded_us == 70 * k_s);
}

BOOST_FIXTURE_TEST_CASE(put_segment_replaces_a_segment_of_the_same_name, Fixture) {
  must(catalog.put_segment(cam, seg(k_day, "video_101500.ts", k_t0, 5 * k_s, 100)));
  must(catalog.put_segment(cam, seg(k_day, "video_101500.ts", k_t0, 10 * k_s, 900)));
  const DayRow d = day();
  BOOST_TEST(d.segment_count == 1);
  BOOST_TEST(d.recorded_us == 10 * k_s);
  BOOST_TEST(d.size_bytes == 900);
  // The same name on another day is another segment.
  must(catalog.put_segment(
      cam, seg(Date{2026, 11, 21}, "video_101500.ts", k_t0 + 86400 * k_s, 10 * k_s)));
  BOOST_TEST(day().segment_count == 1);
  BOOST_TEST(day(Date{2026, 11, 21}).segment_count == 1);
}

BOOST_FIXTURE_TEST_CASE(put_segment_rejects_a_zero_duration, Fixture) {
  auto r = catalog.put_segment(cam, seg(k_day, "video_101500.ts", k_t0, 0));
  BOOST_TEST_REQUIRE(!r.has_value());
  BOOST_TEST(r.error().kind == ErrorKind::invalid_argument);
}

BOOST_FIXTURE_TEST_CASE(put_segment_without_refresh_leaves_aggregates_until_refresh_day, Fixture) {
  must(catalog.put_segment(cam, seg(k_day, "a.ts", k_t0, 10 * k_s), /*refresh=*/false));
  must(catalog.put_segment(cam, seg(k_day, "b.ts", k_t0 + 10 * k_s, 10 * k_s), false));
  BOOST_TEST(day().segment_count == 0);
  must(catalog.refresh_day(cam, k_day));
  BOOST_TEST(day().segment_count == 2);
  BOOST_TEST(day().recorded_us == 20 * k_s);
}

BOOST_FIXTURE_TEST_CASE(every_change_increments_the_day_version, Fixture) {
  must(catalog.put_segment(cam, seg(k_day, "a.ts", k_t0, 10 * k_s)));
  const DayRow v1 = day();
  must(catalog.put_segment(cam, seg(k_day, "b.ts", k_t0 + 10 * k_s, 10 * k_s)));
  const DayRow v2 = day();
  BOOST_TEST(v2.version > v1.version);
  BOOST_TEST(v2.changed_us >= v1.changed_us);
  must(catalog.set_day_state(cam, k_day, DayState::settled));
  const DayRow v3 = day();
  BOOST_TEST(v3.version > v2.version);
  // Setting the state it already has is not a change.
  must(catalog.set_day_state(cam, k_day, DayState::settled));
  BOOST_TEST(day().version == v3.version);
  must(catalog.remove_segment(cam, k_day, "b.ts"));
  BOOST_TEST(day().version > v3.version);
  // Removing a segment that is not there changes nothing.
  const std::int64_t v4 = day().version;
  must(catalog.remove_segment(cam, k_day, "nope.ts"));
  BOOST_TEST(day().version == v4);
}

BOOST_FIXTURE_TEST_CASE(remove_segment_removes_a_day_left_empty, Fixture) {
  must(catalog.put_segment(cam, seg(k_day, "a.ts", k_t0, 10 * k_s, 100)));
  must(catalog.put_segment(cam, seg(k_day, "b.ts", k_t0 + 60 * k_s, 10 * k_s, 200)));
  must(catalog.remove_segment(cam, k_day, "a.ts"));
  const DayRow d = day();
  BOOST_TEST(d.segment_count == 1);
  BOOST_TEST(d.size_bytes == 200);
  BOOST_TEST(d.first_start_us == k_t0 + 60 * k_s);
  BOOST_TEST(d.gap_count == 0);
  must(catalog.remove_segment(cam, k_day, "b.ts"));
  BOOST_TEST(!must(catalog.find_day(cam, k_day)).has_value());
  BOOST_TEST(must(catalog.days(cam)).empty());
}

BOOST_FIXTURE_TEST_CASE(a_converted_day_survives_losing_its_segments, Fixture) {
  // After conversion the segments go; the day lives on in video.mp4.
  must(catalog.put_segment(cam, seg(k_day, "a.ts", k_t0, 10 * k_s, 100)));
  must(catalog.set_day_state(cam, k_day, DayState::converted));
  must(catalog.remove_segment(cam, k_day, "a.ts"));
  auto d = must(catalog.find_day(cam, k_day));
  BOOST_TEST_REQUIRE(d.has_value());
  BOOST_TEST(d->state == DayState::converted);
  BOOST_TEST(must(catalog.segments(cam, k_day)).empty());
}

BOOST_FIXTURE_TEST_CASE(remove_day_removes_its_segments, Fixture) {
  must(catalog.put_segment(cam, seg(k_day, "a.ts", k_t0, 10 * k_s)));
  must(catalog.put_segment(cam, seg(Date{2026, 11, 21}, "a.ts", k_t0 + 86400 * k_s, 10 * k_s)));
  must(catalog.remove_day(cam, k_day));
  BOOST_TEST(!must(catalog.find_day(cam, k_day)).has_value());
  BOOST_TEST(must(catalog.segments(cam, k_day)).empty());
  BOOST_TEST(must(catalog.find_day(cam, Date{2026, 11, 21})).has_value());
}

BOOST_FIXTURE_TEST_CASE(a_camera_is_forgotten_only_when_it_has_no_days, Fixture) {
  must(catalog.put_segment(cam, seg(k_day, "a.ts", k_t0, 10 * k_s)));
  must(catalog.remove_camera_if_empty(cam));
  BOOST_TEST(must(catalog.find_camera("front")).has_value());
  must(catalog.remove_day(cam, k_day));
  must(catalog.remove_camera_if_empty(cam));
  BOOST_TEST(!must(catalog.find_camera("front")).has_value());
}

BOOST_FIXTURE_TEST_CASE(days_and_days_from_are_oldest_first_per_camera, Fixture) {
  const std::int64_t other = must(catalog.ensure_camera("back", "back", "UTC"));
  for (const Date& d : {Date{2026, 11, 20}, Date{2026, 12, 1}, Date{2025, 11, 30},
                        Date{2026, 11, 19}, Date{2026, 11, 18}}) {
    must(catalog.put_segment(cam, seg(d, "a.ts", days_from_civil(d) * 86400 * k_s, 10 * k_s)));
  }
  must(catalog.put_segment(other, seg(Date{2026, 11, 22}, "a.ts", k_t0, 10 * k_s)));
  std::vector<std::string> all;
  for (const auto& d : must(catalog.days(cam))) all.push_back(format_date(d.date));
  BOOST_TEST(all == (std::vector<std::string>{"2025-11-30", "2026-11-18", "2026-11-19",
                                              "2026-11-20", "2026-12-01"}),
             boost::test_tools::per_element());
  std::vector<std::string> from;
  for (const auto& d : must(catalog.days_from(cam, Date{2026, 11, 19}))) {
    from.push_back(format_date(d.date));
  }
  BOOST_TEST(from == (std::vector<std::string>{"2026-11-19", "2026-11-20", "2026-12-01"}),
             boost::test_tools::per_element());
  // A date between days starts at the next one; after the last, nothing.
  BOOST_TEST(must(catalog.days_from(cam, Date{2026, 11, 21})).size() == 1u);
  BOOST_TEST(must(catalog.days_from(cam, Date{2026, 12, 2})).empty());
  BOOST_TEST(must(catalog.days(other)).size() == 1u);
}

BOOST_FIXTURE_TEST_CASE(set_day_state_walks_the_states, Fixture) {
  must(catalog.put_segment(cam, seg(k_day, "a.ts", k_t0, 10 * k_s)));
  for (DayState s : {DayState::settled, DayState::converting, DayState::converted,
                     DayState::archived, DayState::recording}) {
    must(catalog.set_day_state(cam, k_day, s));
    BOOST_TEST(day().state == s);
  }
  // Aggregates are untouched by state changes.
  BOOST_TEST(day().segment_count == 1);
}

BOOST_AUTO_TEST_CASE(day_states_have_stable_names) {
  BOOST_TEST(to_string(DayState::recording) == "recording");
  BOOST_TEST(to_string(DayState::settled) == "settled");
  BOOST_TEST(to_string(DayState::converting) == "converting");
  BOOST_TEST(to_string(DayState::converted) == "converted");
  BOOST_TEST(to_string(DayState::archived) == "archived");
  for (DayState s : {DayState::recording, DayState::settled, DayState::converting,
                     DayState::converted, DayState::archived}) {
    BOOST_TEST(parse_day_state(to_string(s)).value_or(DayState::recording) == s);
    BOOST_TEST(parse_day_state(to_string(s)).has_value());
  }
  BOOST_TEST(!parse_day_state("Recording").has_value());
  BOOST_TEST(!parse_day_state("").has_value());
}

BOOST_FIXTURE_TEST_CASE(file_stamps_report_size_and_mtime_per_name, Fixture) {
  must(catalog.put_segment(cam, seg(k_day, "video_101500.ts", k_t0, 10 * k_s, 1234)));
  must(catalog.put_segment(cam, seg(k_day, "video_101510.ts", k_t0 + 10 * k_s, 10 * k_s, 5678)));
  auto stamps = must(catalog.file_stamps(cam, k_day));
  BOOST_TEST_REQUIRE(stamps.size() == 2u);
  BOOST_TEST(stamps.at("video_101500.ts").size_bytes == 1234);
  BOOST_TEST(stamps.at("video_101500.ts").mtime_ns == 1'700'000'000'000'000'000 + k_t0);
  BOOST_TEST(stamps.at("video_101510.ts").size_bytes == 5678);
  BOOST_TEST(must(catalog.file_stamps(cam, Date{2026, 11, 21})).empty());
}

BOOST_FIXTURE_TEST_CASE(transaction_rolls_back_catalog_writes, Fixture) {
  {
    auto tx = must(catalog.transaction());
    must(catalog.put_segment(cam, seg(k_day, "a.ts", k_t0, 10 * k_s)));
    BOOST_TEST(must(catalog.find_day(cam, k_day)).has_value());
  }
  BOOST_TEST(!must(catalog.find_day(cam, k_day)).has_value());
  {
    auto tx = must(catalog.transaction());
    must(catalog.put_segment(cam, seg(k_day, "a.ts", k_t0, 10 * k_s)));
    must(tx.commit());
  }
  BOOST_TEST(day().segment_count == 1);
}

BOOST_FIXTURE_TEST_CASE(segments_of_one_camera_do_not_leak_into_another, Fixture) {
  const std::int64_t other = must(catalog.ensure_camera("back", "back", "UTC"));
  must(catalog.put_segment(cam, seg(k_day, "a.ts", k_t0, 10 * k_s)));
  must(catalog.put_segment(other, seg(k_day, "a.ts", k_t0, 20 * k_s)));
  BOOST_TEST(day().recorded_us == 10 * k_s);
  BOOST_TEST(must(catalog.find_day(other, k_day))->recorded_us == 20 * k_s);
  must(catalog.remove_day(other, k_day));
  BOOST_TEST(day().segment_count == 1);
}

// ---------------------------------------------------------------- schema v2

namespace {

// The schema as version 1 shipped it, to test the upgrade path.
constexpr const char* k_schema_v1 = R"sql(
CREATE TABLE camera (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,
  directory TEXT NOT NULL, time_zone TEXT NOT NULL);
CREATE TABLE day (
  camera_id INTEGER NOT NULL REFERENCES camera (id) ON DELETE CASCADE,
  date TEXT NOT NULL CHECK (length(date) = 10),
  state TEXT NOT NULL DEFAULT 'recording'
    CHECK (state IN ('recording', 'settled', 'converting', 'converted', 'archived')),
  version INTEGER NOT NULL DEFAULT 1, changed_time_us INTEGER NOT NULL,
  segment_count INTEGER NOT NULL DEFAULT 0 CHECK (segment_count >= 0),
  recorded_us INTEGER NOT NULL DEFAULT 0, size_bytes INTEGER NOT NULL DEFAULT 0,
  first_start_time_us INTEGER, last_end_time_us INTEGER,
  gap_count INTEGER NOT NULL DEFAULT 0, gap_us INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (camera_id, date)) WITHOUT ROWID;
CREATE TABLE segment (
  id INTEGER PRIMARY KEY, camera_id INTEGER NOT NULL, date TEXT NOT NULL, name TEXT NOT NULL,
  start_time_us INTEGER NOT NULL, duration_us INTEGER NOT NULL CHECK (duration_us > 0),
  size_bytes INTEGER NOT NULL CHECK (size_bytes >= 0), codec TEXT NOT NULL DEFAULT '',
  mtime_ns INTEGER NOT NULL DEFAULT 0, UNIQUE (camera_id, date, name),
  FOREIGN KEY (camera_id, date) REFERENCES day (camera_id, date) ON DELETE CASCADE);
CREATE INDEX segment_by_day_time ON segment (camera_id, date, start_time_us);
INSERT INTO camera (id, name, directory, time_zone) VALUES (7, 'front', 'front', 'UTC');
INSERT INTO day (camera_id, date, changed_time_us, segment_count) VALUES (7, '2026-11-20', 1, 1);
INSERT INTO segment (camera_id, date, name, start_time_us, duration_us, size_bytes)
  VALUES (7, '2026-11-20', 'video_101500.ts', 1795170900000000, 10000000, 1000);
PRAGMA user_version = 1;
)sql";

}  // namespace

BOOST_AUTO_TEST_CASE(a_version_1_catalog_is_upgraded_in_place) {
  TempDir dir;
  const fs::path file = dir.path() / "catalog.sqlite";
  {
    auto db = must(sqlite::Database::open(file, sqlite::Database::Mode::read_write_create));
    must(db.exec(k_schema_v1));
  }
  // The web side refuses the old schema until the worker has upgraded it.
  BOOST_TEST(!Catalog::open_read_only(file).has_value());
  {
    Catalog c = must(Catalog::open_writable(file));
    BOOST_TEST(pragma(file, "PRAGMA user_version") == std::to_string(Catalog::k_schema_version));
    BOOST_TEST(pragma(file, "SELECT conversion_failures FROM day") == "0");
    // The data survives; old rows are the indexer's.
    auto segments = must(c.segments(7, k_day));
    BOOST_TEST_REQUIRE(segments.size() == 1u);
    BOOST_TEST(segments[0].start_us == 1795170900000000);
    BOOST_TEST(pragma(file, "SELECT recorded FROM segment") == "0");
    must(c.put_camera_status(status_of(7, CameraState::recording, k_t0)));
    BOOST_TEST(must(c.camera_statuses()).size() == 1u);
  }
  Catalog ro = must(Catalog::open_read_only(file));
  auto statuses = must(ro.camera_statuses());
  BOOST_TEST_REQUIRE(statuses.size() == 1u);
  BOOST_TEST(statuses[0].camera == "front");
}

BOOST_FIXTURE_TEST_CASE(the_indexer_does_not_replace_the_recorders_row_of_the_same_file, Fixture) {
  Segment exact = seg(k_day, "video_101500.ts", k_t0 + 437'000, 9'950'000);
  must(catalog.put_recorded_segment(cam, exact));
  // The watcher sees the renamed file: start from the name, duration from probing.
  Segment probed = exact;
  probed.start_us = k_t0;
  probed.duration_us = 10'000'000;
  must(catalog.put_segment(cam, probed));
  auto rows = must(catalog.segments(cam, k_day));
  BOOST_TEST_REQUIRE(rows.size() == 1u);
  BOOST_TEST(rows[0].start_us == k_t0 + 437'000);
  BOOST_TEST(rows[0].duration_us == 9'950'000);
  // A file replaced under the same name is the indexer's again.
  probed.size_bytes += 1;
  must(catalog.put_segment(cam, probed));
  rows = must(catalog.segments(cam, k_day));
  BOOST_TEST(rows[0].start_us == k_t0);
  // And the recorder always wins.
  must(catalog.put_recorded_segment(cam, exact));
  BOOST_TEST(must(catalog.segments(cam, k_day))[0].start_us == k_t0 + 437'000);
  BOOST_TEST(day().segment_count == 1);
  BOOST_TEST(day().first_start_us == k_t0 + 437'000);
}
