// Unit tests for worker/day_state: the settle rule.
#define BOOST_TEST_MODULE day_state
#include <boost/test/unit_test.hpp>

#include "worker/day_state.hpp"

using namespace cctv;
using namespace cctv::worker;

namespace {
constexpr UtcMicros k_minute = 60 * k_micros_per_second;
constexpr UtcMicros k_day_end = 1'000'000 * k_minute;
}  // namespace

BOOST_AUTO_TEST_CASE(settle_period_is_ten_minutes) { BOOST_TEST(k_settle_us == 10 * k_minute); }

BOOST_AUTO_TEST_CASE(a_day_is_recording_until_it_has_ended_and_been_quiet) {
  // Still today: never settled, however quiet.
  BOOST_TEST(!should_settle(k_day_end, k_day_end - 300 * k_minute, k_day_end - 1));
  // Just ended, quiet for hours: waits for the settle period after midnight.
  BOOST_TEST(!should_settle(k_day_end, k_day_end - 300 * k_minute, k_day_end + 9 * k_minute));
  BOOST_TEST(should_settle(k_day_end, k_day_end - 300 * k_minute, k_day_end + 10 * k_minute));
  // A late upload after midnight keeps it recording for ten more minutes.
  const UtcMicros late = k_day_end + 30 * k_minute;
  BOOST_TEST(!should_settle(k_day_end, late, late + 9 * k_minute));
  BOOST_TEST(should_settle(k_day_end, late, late + 10 * k_minute));
  // Long past and quiet: settled at once (a reindex of old days).
  BOOST_TEST(should_settle(k_day_end, k_day_end - k_minute, k_day_end + 1000 * k_minute));
}

BOOST_AUTO_TEST_CASE(last_activity_is_the_latest_end_or_file_time) {
  DayRow day;
  day.last_end_us = 100 * k_minute;
  Segment a;
  a.start_us = 90 * k_minute;
  a.duration_us = 10 * k_minute;
  a.mtime_ns = 101 * k_minute * 1000;  // written a minute after it ended
  BOOST_TEST(last_activity(day, {a}) == 101 * k_minute);
  a.mtime_ns = 5 * k_minute * 1000;  // an old file moved in: its end counts
  BOOST_TEST(last_activity(day, {a}) == 100 * k_minute);
  BOOST_TEST(last_activity(day, {}) == 100 * k_minute);
}

BOOST_AUTO_TEST_CASE(only_recording_and_settled_days_belong_to_the_indexer) {
  BOOST_TEST(is_indexer_state(DayState::recording));
  BOOST_TEST(is_indexer_state(DayState::settled));
  BOOST_TEST(!is_indexer_state(DayState::converting));
  BOOST_TEST(!is_indexer_state(DayState::converted));
  BOOST_TEST(!is_indexer_state(DayState::archived));
}
