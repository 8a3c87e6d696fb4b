// Unit tests for worker/converter_module: which days are due (age, quiet, state,
// backoff after failures), and a module that starts and stops at once.
#define BOOST_TEST_MODULE converter_module
#include <boost/test/unit_test.hpp>

#include "tests/unit/worker_fixture.hpp"
#include "worker/converter_module.hpp"

using namespace cctv;
using namespace cctv::test;
using namespace cctv::worker;

namespace {

constexpr std::int64_t k_h = 3600 * k_micros_per_second;
constexpr UtcMicros k_day_end = 20777LL * 24 * k_h;

DayRow settled_day() {
  DayRow day;
  day.state = DayState::settled;
  day.segment_count = 10;
  day.last_end_us = k_day_end - k_h;
  day.changed_us = k_day_end;
  return day;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_day_is_due_when_old_quiet_and_settled) {
  Config config;  // 48 h after the day's end, 60 min quiet
  const DayRow day = settled_day();
  BOOST_TEST(!is_conversion_due(day, k_day_end, 0, config, k_day_end + 47 * k_h));
  BOOST_TEST(is_conversion_due(day, k_day_end, 0, config, k_day_end + 48 * k_h));
  DayRow recording = day;
  recording.state = DayState::recording;
  BOOST_TEST(!is_conversion_due(recording, k_day_end, 0, config, k_day_end + 99 * k_h));
  DayRow converted = day;
  converted.state = DayState::converted;
  BOOST_TEST(!is_conversion_due(converted, k_day_end, 0, config, k_day_end + 99 * k_h));
  DayRow late = day;  // a late upload: quiet only 30 minutes
  late.last_end_us = k_day_end + 48 * k_h - k_h / 2;
  BOOST_TEST(!is_conversion_due(late, k_day_end, 0, config, k_day_end + 48 * k_h));
  config.convert_after_hours = 1;
  BOOST_TEST(is_conversion_due(day, k_day_end, 0, config, k_day_end + 1 * k_h));
}

BOOST_AUTO_TEST_CASE(failures_back_off_and_give_up) {
  BOOST_TEST(conversion_retry_delay_us(0) == 0);
  BOOST_TEST(conversion_retry_delay_us(1) == k_h);
  BOOST_TEST(conversion_retry_delay_us(2) == 2 * k_h);
  BOOST_TEST(conversion_retry_delay_us(30) == 24 * k_h);
  Config config;
  DayRow day = settled_day();
  day.changed_us = k_day_end + 48 * k_h;  // the last failure
  BOOST_TEST(!is_conversion_due(day, k_day_end, 2, config, k_day_end + 49 * k_h));
  BOOST_TEST(is_conversion_due(day, k_day_end, 2, config, k_day_end + 50 * k_h));
  BOOST_TEST(
      !is_conversion_due(day, k_day_end, k_max_conversion_failures, config, k_day_end + 999 * k_h));
}

BOOST_AUTO_TEST_CASE(module_starts_and_stops) {
  TempDir dir;
  Config config = make_config(dir.path(), dir.path() / "catalog.sqlite");
  auto module = value_of(ConverterModule::create(config, {}));
  BOOST_TEST(module->name() == "converter");
  module->stop();
  BOOST_TEST(module->status() == "converted 0 days, 0 failures");
}

BOOST_AUTO_TEST_CASE(a_failed_conversion_settles_only_a_day_still_converting) {
  TempDir dir;
  Catalog catalog = open_catalog(dir.path() / "catalog.sqlite");
  const std::int64_t cam = value_of(catalog.ensure_camera("front", "front", "UTC"));
  const Date date = *parse_date("2026-11-18");
  Segment segment;
  segment.date = date;
  segment.name = "video_100000.ts";
  segment.start_us = k_day_end - k_h;
  segment.duration_us = 10 * k_micros_per_second;
  segment.size_bytes = 1000;
  segment.codec = "h264 320x180";
  check(catalog.put_segment(cam, segment));
  auto state = [&] { return value_of(catalog.find_day(cam, date))->state; };

  // Its own failure (or a stop): back to settled, the failure is counted by the caller.
  check(catalog.set_day_state(cam, date, DayState::converting));
  BOOST_TEST(value_of(release_failed_conversion(catalog, cam, date)));
  BOOST_TEST(state() == DayState::settled);

  // A `--convert-now` of the same day finished first (the module's conversion then
  // failed because the segments vanished): the converted day stays converted.
  check(catalog.set_day_state(cam, date, DayState::converting));
  check(catalog.set_day_state(cam, date, DayState::converted));
  BOOST_TEST(!value_of(release_failed_conversion(catalog, cam, date)));
  BOOST_TEST(state() == DayState::converted);

  // A day that is gone: nothing to release.
  BOOST_TEST(!value_of(release_failed_conversion(catalog, cam, *parse_date("2026-11-17"))));
}
