// Unit tests for core/catalog_converted and core/catalog_retention: a converted day
// replaces its segments with one file's fragments and keeps its row; failures are
// counted; retention's mark keeps a day's state and refuses new segments, and a marked
// day is forgotten with its fragments.
#define BOOST_TEST_MODULE catalog_converted
#include <boost/test/unit_test.hpp>

#include "core/catalog.hpp"
#include "tests/unit/catalog_fixture.hpp"

#include <string>

using namespace cctv;
using namespace cctv::test;

namespace {

ConvertedDay converted_of(UtcMicros start) {
  ConvertedDay day;
  day.init_size_bytes = 800;
  day.file_size_bytes = 800 + 3000 + 2500;
  day.source_size_bytes = 9000;
  day.codec = "hevc 320x180";
  day.fragments = {Fragment{800, 3000, start, 10 * k_s},
                   Fragment{3800, 2500, start + 10 * k_s, 8 * k_s}};
  return day;
}

}  // namespace

BOOST_FIXTURE_TEST_CASE(a_converted_day_replaces_its_segments_and_keeps_its_row, Fixture) {
  must(catalog.put_segment(cam, seg(k_day, "a.ts", k_t0, 10 * k_s, 5000)));
  must(catalog.put_segment(cam, seg(k_day, "b.ts", k_t0 + 10 * k_s, 8 * k_s, 4000)));
  BOOST_TEST(!must(catalog.converted_day(cam, k_day)).has_value());
  const std::int64_t before = day().version;
  must(catalog.put_converted_day(cam, k_day, converted_of(k_t0)));
  const DayRow row = day();
  BOOST_TEST(row.state == DayState::converted);
  BOOST_TEST(row.version > before);
  BOOST_TEST(row.size_bytes == 6300);
  BOOST_TEST(row.recorded_us == 18 * k_s);
  BOOST_TEST(row.segment_count == 2);
  BOOST_TEST(row.first_start_us == k_t0);
  BOOST_TEST(row.last_end_us == k_t0 + 18 * k_s);
  BOOST_TEST(must(catalog.segments(cam, k_day)).empty());
  auto got = must(catalog.converted_day(cam, k_day));
  BOOST_TEST_REQUIRE(got.has_value());
  BOOST_TEST(got->file_name == "video.mp4");
  BOOST_TEST(got->init_size_bytes == 800);
  BOOST_TEST(got->file_size_bytes == 6300);
  BOOST_TEST(got->source_size_bytes == 9000);
  BOOST_TEST(got->codec == "hevc 320x180");
  BOOST_TEST_REQUIRE(got->fragments.size() == 2u);
  BOOST_TEST(got->fragments[1].offset_bytes == 3800);
  BOOST_TEST(got->fragments[1].size_bytes == 2500);
  BOOST_TEST(got->fragments[1].start_us == k_t0 + 10 * k_s);
  BOOST_TEST(got->fragments[1].duration_us == 8 * k_s);
  // Refreshing (a vanished segment's removal) keeps the converted day as it is.
  must(catalog.refresh_day(cam, k_day));
  must(catalog.remove_segment(cam, k_day, "a.ts"));
  BOOST_TEST(day().state == DayState::converted);
  BOOST_TEST(day().size_bytes == 6300);
  // Converting again replaces the fragments; the read-only side sees them.
  ConvertedDay again = converted_of(k_t0);
  again.fragments.pop_back();
  must(catalog.put_converted_day(cam, k_day, again));
  Catalog ro = must(Catalog::open_read_only(file));
  auto seen = must(ro.converted_day(cam, k_day));
  BOOST_TEST_REQUIRE(seen.has_value());
  BOOST_TEST(seen->fragments.size() == 1u);
  // A day that does not exist is refused; removing a day takes its fragments along.
  BOOST_TEST(!catalog.put_converted_day(cam, Date{2026, 1, 1}, again).has_value());
  must(catalog.remove_day(cam, k_day));
  BOOST_TEST(!must(catalog.converted_day(cam, k_day)).has_value());
  BOOST_TEST(pragma(file, "SELECT count(*) FROM fragment") == "0");
}

BOOST_FIXTURE_TEST_CASE(conversion_failures_are_counted_per_day, Fixture) {
  must(catalog.put_segment(cam, seg(k_day, "a.ts", k_t0, 10 * k_s)));
  BOOST_TEST(must(catalog.conversion_failures(cam, k_day)).first == 0);
  must(catalog.put_conversion_failure(cam, k_day, "no frame decoded"));
  must(catalog.put_conversion_failure(cam, k_day, "disk full"));
  auto failures = must(catalog.conversion_failures(cam, k_day));
  BOOST_TEST(failures.first == 2);
  BOOST_TEST(failures.second == "disk full");
  BOOST_TEST(day().state == DayState::recording);
}

BOOST_FIXTURE_TEST_CASE(day_rows_carry_their_conversion_failures, Fixture) {
  must(catalog.put_segment(cam, seg(k_day, "a.ts", k_t0, 10 * k_s)));
  must(catalog.put_segment(cam, seg(Date{2026, 11, 21}, "b.ts", k_t0 + 86400 * k_s, 10 * k_s)));
  BOOST_TEST(day().conversion_failures == 0);
  BOOST_TEST(day().conversion_error.empty());
  const std::int64_t before = day().version;
  must(catalog.put_conversion_failure(cam, k_day, "no frame decoded"));
  must(catalog.put_conversion_failure(cam, k_day, "verify: 1.8 s short"));
  BOOST_TEST(day().version > before);  // the index page's ETag changes
  BOOST_TEST(day().conversion_failures == 2);
  BOOST_TEST(day().conversion_error == "verify: 1.8 s short");
  // The same through days() and days_from(), and on the read-only side; other days
  // are untouched.
  Catalog ro = must(Catalog::open_read_only(file));
  const auto days = must(ro.days(cam));
  BOOST_TEST_REQUIRE(days.size() == 2u);
  BOOST_TEST(days[0].conversion_failures == 2);
  BOOST_TEST(days[0].conversion_error == "verify: 1.8 s short");
  BOOST_TEST(days[1].conversion_failures == 0);
  BOOST_TEST(days[1].conversion_error.empty());
  BOOST_TEST(must(ro.days_from(cam, k_day)).front().conversion_failures == 2);
  // A successful conversion clears the reason and keeps the count.
  must(catalog.put_converted_day(cam, k_day, converted_of(k_t0)));
  BOOST_TEST(day().conversion_failures == 2);
  BOOST_TEST(day().conversion_error.empty());
}

// ---------------------------------------------------------------- retention's delete

BOOST_FIXTURE_TEST_CASE(a_marked_day_keeps_its_state_and_gets_no_new_segments, Fixture) {
  must(catalog.put_segment(cam, seg(k_day, "video_101500.ts", k_t0, 10 * k_s)));
  const std::int64_t before = day().version;
  BOOST_TEST(!must(catalog.delete_mark(cam, k_day)).has_value());
  BOOST_TEST(must(catalog.mark_day_deleting(cam, k_day, "days")));
  BOOST_TEST(day().version > before);  // the index page's ETag changes
  BOOST_TEST(must(catalog.delete_mark(cam, k_day)).value_or("") == "days");
  BOOST_TEST(!must(catalog.mark_day_deleting(cam, k_day, "size")));  // marked already
  // A conversion cannot start, a late segment cannot reopen it or add a row.
  must(catalog.set_day_state(cam, k_day, DayState::converting));
  BOOST_TEST(day().state == DayState::recording);
  must(catalog.put_segment(cam, seg(k_day, "video_101510.ts", k_t0 + 10 * k_s, 10 * k_s)));
  BOOST_TEST(must(catalog.segments(cam, k_day)).size() == 1u);
  const auto marked = must(catalog.marked_days());
  BOOST_TEST_REQUIRE(marked.size() == 1u);
  BOOST_TEST(marked[0].camera == "front");
  BOOST_TEST(marked[0].directory == "front");
  BOOST_TEST(marked[0].date == k_day);
  BOOST_TEST(marked[0].reason == "days");
  // Phase 3: every row of the day goes; the camera stays.
  BOOST_TEST(must(catalog.forget_marked_day(cam, k_day)));
  BOOST_TEST(!must(catalog.find_day(cam, k_day)).has_value());
  BOOST_TEST(must(catalog.segments(cam, k_day)).empty());
  BOOST_TEST(must(catalog.marked_days()).empty());
  BOOST_TEST(!must(catalog.forget_marked_day(cam, k_day)));
  // The day may come back later, unmarked (a file that arrived after the delete).
  must(catalog.put_segment(cam, seg(k_day, "video_101500.ts", k_t0, 10 * k_s)));
  BOOST_TEST(!must(catalog.delete_mark(cam, k_day)).has_value());
}

BOOST_FIXTURE_TEST_CASE(a_converting_day_is_not_marked_and_unmarked_days_are_not_forgotten,
                        Fixture) {
  must(catalog.put_segment(cam, seg(k_day, "video_101500.ts", k_t0, 10 * k_s)));
  must(catalog.set_day_state(cam, k_day, DayState::converting));
  BOOST_TEST(!must(catalog.mark_day_deleting(cam, k_day, "free space")));
  BOOST_TEST(!must(catalog.forget_marked_day(cam, k_day)));
  BOOST_TEST(must(catalog.find_day(cam, k_day)).has_value());
  BOOST_TEST(!must(catalog.mark_day_deleting(cam, Date{2020, 1, 1}, "days")));  // absent
}

BOOST_FIXTURE_TEST_CASE(a_marked_converted_day_is_forgotten_with_its_fragments, Fixture) {
  must(catalog.put_segment(cam, seg(k_day, "video_101500.ts", k_t0, 10 * k_s)));
  must(catalog.put_converted_day(cam, k_day, converted_of(k_t0)));
  BOOST_TEST(must(catalog.mark_day_deleting(cam, k_day, "size")));
  BOOST_TEST(must(catalog.forget_marked_day(cam, k_day)));
  BOOST_TEST(pragma(file, "SELECT count(*) FROM fragment") == "0");
  BOOST_TEST(pragma(file, "SELECT count(*) FROM converted_day") == "0");
  BOOST_TEST(pragma(file, "SELECT count(*) FROM day") == "0");
}
