// Unit tests for core/civil_time: strict date parsing, the civil calendar,
// ISO 8601 / HTTP dates and time zones across DST changes.
//
// Expected values are computed by hand from the calendar and published tz rules:
//  - 2026-01-01 is day 20454 since the epoch (56 years, 14 leap days 1972..2024);
//    2026-11-20 is day 20454 + 304 + 19 = 20777; 9999-12-31 is day 2932896.
//  - Europe/Berlin (EU rule): summer time 2026-03-29 01:00 UTC .. 2026-10-25 01:00 UTC.
//  - America/New_York (US rule): EDT 2026-03-08 07:00 UTC .. 2026-11-01 06:00 UTC.
//  - Australia/Lord_Howe: +10:30 standard, +11:00 summer (a 30-minute change);
//    summer time ends 2026-04-05 02:00 local (15:00 UTC on 04-04), starts
//    2026-10-04 02:00 local (15:30 UTC on 10-03).
#define BOOST_TEST_MODULE civil_time
#include <boost/test/unit_test.hpp>

#include "core/civil_time.hpp"
#include "tests/unit/printers.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

using namespace cctv;

namespace {

constexpr std::int64_t k_hour_us = 3600 * k_micros_per_second;
constexpr std::int64_t k_minute_us = 60 * k_micros_per_second;

// An independent calendar for the tests: the obvious rules, no clever arithmetic.
bool test_is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
int test_days_in_month(int y, int m) {
  constexpr std::array<int, 12> k_days{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && test_is_leap(y) ? 29 : k_days.at(static_cast<std::size_t>(m - 1));
}
Date test_next(Date d) {
  if (++d.day > test_days_in_month(d.year, d.month)) {
    d.day = 1;
    if (++d.month > 12) {
      d.month = 1;
      ++d.year;
    }
  }
  return d;
}

// UTC microseconds of a UTC wall-clock time, from the hand-checked day numbers.
UtcMicros utc(std::int64_t day_number, int h, int m, int s = 0) {
  return ((day_number * 86400) + h * 3600 + m * 60 + s) * k_micros_per_second;
}
constexpr std::int64_t k_day_2026_01_01 = 20454;

std::int64_t day_2026(int month, int day) {
  std::int64_t n = k_day_2026_01_01;
  for (int m = 1; m < month; ++m) n += test_days_in_month(2026, m);
  return n + day - 1;
}

TimeZone zone(const char* name) {
  auto tz = TimeZone::load(name);
  BOOST_TEST_REQUIRE(tz.has_value(), "time zone " << name << " must load");
  return *tz;
}

}  // namespace

// ---------------------------------------------------------------- parse_date

BOOST_AUTO_TEST_CASE(parse_date_accepts_real_calendar_days) {
  auto d = parse_date("2026-11-20");
  BOOST_TEST_REQUIRE(d.has_value());
  BOOST_TEST(d->year == 2026);
  BOOST_TEST(d->month == 11);
  BOOST_TEST(d->day == 20);
  BOOST_TEST(parse_date("1970-01-01").has_value());
  BOOST_TEST(parse_date("9999-12-31").has_value());
  BOOST_TEST(parse_date("2026-12-31").has_value());
  BOOST_TEST(parse_date("2026-04-30").has_value());
}

BOOST_AUTO_TEST_CASE(parse_date_knows_the_leap_year_rules) {
  BOOST_TEST(parse_date("2024-02-29").has_value());   // divisible by 4
  BOOST_TEST(parse_date("2000-02-29").has_value());   // divisible by 400
  BOOST_TEST(!parse_date("2100-02-29").has_value());  // divisible by 100, not 400
  BOOST_TEST(!parse_date("2026-02-29").has_value());
  BOOST_TEST(parse_date("2026-02-28").has_value());
}

BOOST_AUTO_TEST_CASE(parse_date_rejects_hostile_and_malformed_input) {
  for (std::string_view bad : {"",           "2026-02-30",  "2026-04-31",  "2026-2-1",
                               "2026-02-1",  "2026-11-21x", " 2026-11-21", "2026-11-21 ",
                               "../../..",   "..%2F..%2F",  "1969-12-31",  "0000-01-01",
                               "2026-00-10", "2026-13-01",  "2026-01-00",  "2026-01-32",
                               "2026/11/21", "2026_11_21",  "20261121",    "+026-11-21",
                               "-026-11-21", "2026-+1-21",  "2026- 1-21",  "2026-1a-21",
                               "abcd-ef-gh", "12026-11-21", "2026-11-2\n", "2026-11-21/",
                               "99999-12-31"}) {
    BOOST_TEST(!parse_date(bad).has_value(), "\"" << bad << "\" must be rejected");
  }
  // An embedded NUL must not end the string early.
  BOOST_TEST(!parse_date(std::string_view("2026-11-2\0", 10)).has_value());
}

BOOST_AUTO_TEST_CASE(format_date_pads_to_yyyy_mm_dd) {
  BOOST_TEST(format_date(Date{2026, 3, 9}) == "2026-03-09");
  BOOST_TEST(format_date(Date{1970, 1, 1}) == "1970-01-01");
  BOOST_TEST(format_date(Date{9999, 12, 31}) == "9999-12-31");
}

// ---------------------------------------------------------------- calendar

BOOST_AUTO_TEST_CASE(days_from_civil_matches_hand_computed_day_numbers) {
  BOOST_TEST(days_from_civil(Date{1970, 1, 1}) == 0);
  BOOST_TEST(days_from_civil(Date{1970, 1, 2}) == 1);
  BOOST_TEST(days_from_civil(Date{1971, 1, 1}) == 365);
  BOOST_TEST(days_from_civil(Date{2000, 1, 1}) == 10957);  // 30 * 365 + 7 leap days
  BOOST_TEST(days_from_civil(Date{2026, 1, 1}) == k_day_2026_01_01);
  BOOST_TEST(days_from_civil(Date{2026, 11, 20}) == 20777);
  BOOST_TEST(days_from_civil(Date{9999, 12, 31}) == 2932896);
  BOOST_TEST(days_from_civil(Date{1969, 12, 31}) == -1);
}

BOOST_AUTO_TEST_CASE(days_from_civil_and_civil_from_days_walk_the_calendar_day_by_day) {
  // 1970-01-01 .. 2400-12-31 against the naive calendar, in both directions.
  Date d{1970, 1, 1};
  for (std::int64_t n = 0; d.year <= 2400; ++n, d = test_next(d)) {
    if (days_from_civil(d) != n) {
      BOOST_FAIL("days_from_civil(" << format_date(d) << ") != " << n);
    }
    if (civil_from_days(n) != d) BOOST_FAIL("civil_from_days(" << n << ") != " << format_date(d));
  }
}

BOOST_AUTO_TEST_CASE(civil_from_days_round_trips_far_dates_and_before_the_epoch) {
  for (std::int64_t n : {-719468LL, -100000LL, -1LL, 0LL, 2932896LL, 3000000LL}) {
    BOOST_TEST(days_from_civil(civil_from_days(n)) == n);
  }
  BOOST_TEST(format_date(civil_from_days(-1)) == "1969-12-31");
  BOOST_TEST(format_date(civil_from_days(2932896)) == "9999-12-31");
}

BOOST_AUTO_TEST_CASE(next_day_crosses_month_year_and_leap_day) {
  BOOST_TEST(format_date(next_day(Date{2026, 12, 31})) == "2027-01-01");
  BOOST_TEST(format_date(next_day(Date{2024, 2, 28})) == "2024-02-29");
  BOOST_TEST(format_date(next_day(Date{2026, 2, 28})) == "2026-03-01");
  BOOST_TEST(format_date(next_day(Date{2100, 2, 28})) == "2100-03-01");
  BOOST_TEST(format_date(next_day(Date{2026, 4, 30})) == "2026-05-01");
}

BOOST_AUTO_TEST_CASE(weekday_of_known_dates) {
  BOOST_TEST(weekday(Date{1970, 1, 1}) == 4);  // Thursday
  BOOST_TEST(weekday(Date{2000, 1, 1}) == 6);  // Saturday
  BOOST_TEST(weekday(Date{2024, 2, 29}) == 4);
  BOOST_TEST(weekday(Date{2026, 3, 29}) == 0);  // Sunday: EU summer time starts
  BOOST_TEST(weekday(Date{2026, 11, 20}) == 5);
  BOOST_TEST(weekday(Date{9999, 12, 31}) == 5);
  BOOST_TEST(weekday(Date{1969, 12, 31}) == 3);  // before the epoch
  BOOST_TEST(weekday(Date{1969, 12, 28}) == 0);
  BOOST_TEST(weekday(Date{1969, 12, 27}) == 6);
  BOOST_TEST(weekday_short(Date{2026, 11, 20}) == "Fri");
  BOOST_TEST(weekday_short(Date{2026, 11, 22}) == "Sun");
  // Seven consecutive days give the seven weekdays in order.
  Date d{2026, 12, 27};  // a Sunday
  for (int i = 0; i < 7; ++i, d = next_day(d)) BOOST_TEST(weekday(d) == i);
}

BOOST_AUTO_TEST_CASE(month_name_is_english_and_safe_out_of_range) {
  BOOST_TEST(month_name(1) == "January");
  BOOST_TEST(month_name(12) == "December");
  BOOST_TEST(month_name(0) == "?");
  BOOST_TEST(month_name(13) == "?");
}

// ---------------------------------------------------------------- times of day

BOOST_AUTO_TEST_CASE(parse_hhmmss_accepts_every_valid_time_of_day) {
  BOOST_TEST(parse_hhmmss("000000").value_or(-1) == 0);
  BOOST_TEST(parse_hhmmss("101500").value_or(-1) == 36900);
  BOOST_TEST(parse_hhmmss("235959").value_or(-1) == 86399);
}

BOOST_AUTO_TEST_CASE(parse_hhmmss_rejects_out_of_range_and_malformed_times) {
  for (std::string_view bad : {"240000", "246000", "106000", "101560", "1015", "10150", "1015000",
                               "", "10:15:00", "10150a", "-10150", "+10150", " 10150"}) {
    BOOST_TEST(!parse_hhmmss(bad).has_value(), "\"" << bad << "\" must be rejected");
  }
}

BOOST_AUTO_TEST_CASE(format_hhmmss_with_and_without_separator) {
  BOOST_TEST(format_hhmmss(36900) == "10:15:00");
  BOOST_TEST(format_hhmmss(36900, '\0') == "101500");
  BOOST_TEST(format_hhmmss(0, '\0') == "000000");
  BOOST_TEST(format_hhmmss(86399, '-') == "23-59-59");
}

// ---------------------------------------------------------------- ISO 8601

BOOST_AUTO_TEST_CASE(format_iso8601_utc_prints_milliseconds_and_z) {
  BOOST_TEST(format_iso8601_utc(0) == "1970-01-01T00:00:00.000Z");
  BOOST_TEST(format_iso8601_utc(utc(20777, 10, 15, 0)) == "2026-11-20T10:15:00.000Z");
  BOOST_TEST(format_iso8601_utc(utc(20777, 23, 59, 59) + 123'000) == "2026-11-20T23:59:59.123Z");
  BOOST_TEST(format_iso8601_utc(utc(2932896, 23, 59, 59)) == "9999-12-31T23:59:59.000Z");
}

BOOST_AUTO_TEST_CASE(utc_fields_floor_to_the_second_before_1970_too) {
  int micros = -1;
  LocalTime t = utc_fields(utc(20777, 10, 15, 0) + 40'999, &micros);
  BOOST_TEST(format_date(t.date) == "2026-11-20");
  BOOST_TEST(t.hour == 10);
  BOOST_TEST(t.minute == 15);
  BOOST_TEST(t.second == 0);
  BOOST_TEST(micros == 40'999);
  // 1 µs before the epoch is 1969-12-31 23:59:59 and 999999 µs.
  t = utc_fields(-1, &micros);
  BOOST_TEST(format_date(t.date) == "1969-12-31");
  BOOST_TEST(t.hour == 23);
  BOOST_TEST(t.minute == 59);
  BOOST_TEST(t.second == 59);
  BOOST_TEST(micros == 999'999);
  t = utc_fields(-k_micros_per_second);
  BOOST_TEST(t.second == 59);
}

BOOST_AUTO_TEST_CASE(format_iso8601_utc_truncates_to_the_millisecond) {
  // Documented: sub-millisecond digits are dropped, never rounded up, so a time
  // never prints as a later second (or day) than the one it is in.
  const UtcMicros t = utc(20777, 10, 15, 0);
  BOOST_TEST(format_iso8601_utc(t + 40'999) == "2026-11-20T10:15:00.040Z");
  BOOST_TEST(format_iso8601_utc(t + 999) == "2026-11-20T10:15:00.000Z");
  BOOST_TEST(format_iso8601_utc(t + 999'999) == "2026-11-20T10:15:00.999Z");
  BOOST_TEST(format_iso8601_utc(utc(20777, 23, 59, 59) + 999'999) == "2026-11-20T23:59:59.999Z");
}

BOOST_AUTO_TEST_CASE(format_iso8601_utc_floors_times_before_the_epoch) {
  BOOST_TEST(format_iso8601_utc(-1) == "1969-12-31T23:59:59.999Z");
  BOOST_TEST(format_iso8601_utc(-k_micros_per_second) == "1969-12-31T23:59:59.000Z");
  BOOST_TEST(format_iso8601_utc(-1'500'000) == "1969-12-31T23:59:58.500Z");
}

// ---------------------------------------------------------------- HTTP dates

BOOST_AUTO_TEST_CASE(http_date_matches_the_rfc_7231_example) {
  // RFC 7231 section 7.1.1.1: Sun, 06 Nov 1994 08:49:37 GMT = 784111777.
  BOOST_TEST(format_http_date(784111777) == "Sun, 06 Nov 1994 08:49:37 GMT");
  BOOST_TEST(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").value_or(-1) == 784111777);
  BOOST_TEST(format_http_date(0) == "Thu, 01 Jan 1970 00:00:00 GMT");
  BOOST_TEST(format_http_date(20777LL * 86400 + 36900) == "Fri, 20 Nov 2026 10:15:00 GMT");
}

BOOST_AUTO_TEST_CASE(http_date_round_trips) {
  for (std::int64_t t : {0LL, 1LL, 86399LL, 86400LL, 784111777LL, 951782400LL /* 2000-02-29 */,
                         20777LL * 86400 + 36900, 2932896LL * 86400 + 86399}) {
    const std::string text = format_http_date(t);
    BOOST_TEST(text.size() == 29u);
    BOOST_TEST(parse_http_date(text).value_or(-1) == t, text);
  }
}

BOOST_AUTO_TEST_CASE(parse_http_date_rejects_everything_but_imf_fixdate) {
  for (std::string_view bad : {
           "",
           "Sunday, 06-Nov-94 08:49:37 GMT",  // RFC 850 (obsolete)
           "Sun Nov  6 08:49:37 1994",        // asctime (obsolete)
           "Sun, 06 Nov 1994 08:49:37 UTC",
           "Sun, 06 Nov 1994 08:49:37 GMT ",
           "Sun, 6 Nov 1994 08:49:37 GMT",
           "Sun, 31 Nov 1994 08:49:37 GMT",  // no 31 November
           "Sun, 29 Feb 1900 08:49:37 GMT",  // 1900 is not a leap year
           "Sun, 00 Nov 1994 08:49:37 GMT",
           "Sun, 06 Foo 1994 08:49:37 GMT",
           "Sun, 06 nov 1994 08:49:37 GMT",
           "Sun, 06 Nov 1994 24:00:00 GMT",
           "Sun, 06 Nov 1994 08:60:37 GMT",
           "Sun, 06 Nov 1994 08:49:60 GMT",
           "Sun, 06 Nov 1994 08-49-37 GMT",
           "Sun, 06 Nov 19x4 08:49:37 GMT",
           "Sun; 06 Nov 1994 08:49:37 GMT",
           "Sun, 06-Nov-1994 08:49:37 GMT",  // separators must be spaces
           "Sun, 06 Nov 1994T08:49:37 GMT",
       }) {
    BOOST_TEST(!parse_http_date(bad).has_value(), "\"" << bad << "\" must be rejected");
  }
}

// ---------------------------------------------------------------- TimeZone::load

BOOST_AUTO_TEST_CASE(time_zone_load_accepts_iana_zones_and_utc) {
  for (const char* name : {"Europe/Berlin", "America/New_York", "UTC", "Etc/GMT+5",
                           "America/Argentina/Buenos_Aires"}) {
    auto tz = TimeZone::load(name);
    BOOST_TEST(tz.has_value(), name);
    if (tz) BOOST_TEST(tz->name() == name);
  }
  BOOST_TEST(TimeZone::utc().name() == "UTC");
  auto system = TimeZone::load("");
  BOOST_TEST_REQUIRE(system.has_value());
  BOOST_TEST(system->name().empty());
}

BOOST_AUTO_TEST_CASE(time_zone_load_rejects_paths_and_unknown_zones) {
  for (const char* name :
       {"../etc/passwd", "/etc/passwd", "Europe/../../etc/passwd", "Mars/Base", "Europe", "Europe/",
        "Europe/Berlin ", "Europe\\Berlin", "Europe/Berlin\n", "..", "zone.tab", "tzdata.zi",
        "leapseconds", "iso3166.tab", "Europe/Berlin%00",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}) {
    auto tz = TimeZone::load(name);
    BOOST_TEST(!tz.has_value(), "\"" << name << "\" must be rejected");
    if (!tz) BOOST_TEST(tz.error().kind == ErrorKind::invalid_argument);
  }
}

BOOST_AUTO_TEST_CASE(time_zone_load_error_names_the_zone) {
  auto tz = TimeZone::load("Mars/Base");
  BOOST_TEST_REQUIRE(!tz.has_value());
  BOOST_TEST(tz.error().message.find("Mars/Base") != std::string::npos, tz.error().message);
}

// ---------------------------------------------------------------- conversions

BOOST_AUTO_TEST_CASE(utc_zone_is_plain_arithmetic) {
  const TimeZone z = TimeZone::utc();
  BOOST_TEST(z.day_start(Date{2026, 11, 20}) == utc(20777, 0, 0));
  BOOST_TEST(z.day_end(Date{2026, 11, 20}) == utc(20778, 0, 0));
  BOOST_TEST(z.to_utc(LocalTime{Date{2026, 11, 20}, 10, 15, 0}) == utc(20777, 10, 15));
  const LocalTime l = z.to_local(utc(20777, 10, 15, 7) + 999'999);
  BOOST_TEST(format_date(l.date) == "2026-11-20");
  BOOST_TEST(l.hour == 10);
  BOOST_TEST(l.minute == 15);
  BOOST_TEST(l.second == 7);
  const LocalTime before = z.to_local(-1);
  BOOST_TEST(format_date(before.date) == "1969-12-31");
  BOOST_TEST(before.hour == 23);
  BOOST_TEST(before.second == 59);
}

BOOST_AUTO_TEST_CASE(berlin_offsets_in_winter_and_summer) {
  const TimeZone z = zone("Europe/Berlin");
  const LocalTime winter = z.to_local(utc(day_2026(1, 15), 12, 0));
  BOOST_TEST(winter.hour == 13);  // CET = UTC+1
  const LocalTime summer = z.to_local(utc(day_2026(7, 1), 12, 0));
  BOOST_TEST(summer.hour == 14);  // CEST = UTC+2
  BOOST_TEST(z.to_utc(LocalTime{Date{2026, 7, 1}, 14, 0, 0}) == utc(day_2026(7, 1), 12, 0));
  // 23:30 UTC on 03-28 is already 03-29 in Berlin.
  BOOST_TEST(format_date(z.date_of(utc(day_2026(3, 28), 23, 30))) == "2026-03-29");
}

BOOST_AUTO_TEST_CASE(berlin_day_lengths_on_dst_days) {
  const TimeZone z = zone("Europe/Berlin");
  // Spring forward: 23 hours, starting at 23:00 UTC the evening before.
  BOOST_TEST(z.day_start(Date{2026, 3, 29}) == utc(day_2026(3, 28), 23, 0));
  BOOST_TEST(z.day_end(Date{2026, 3, 29}) == utc(day_2026(3, 29), 22, 0));
  BOOST_TEST(z.day_end(Date{2026, 3, 29}) - z.day_start(Date{2026, 3, 29}) == 23 * k_hour_us);
  // Fall back: 25 hours.
  BOOST_TEST(z.day_start(Date{2026, 10, 25}) == utc(day_2026(10, 24), 22, 0));
  BOOST_TEST(z.day_end(Date{2026, 10, 25}) == utc(day_2026(10, 25), 23, 0));
  BOOST_TEST(z.day_end(Date{2026, 10, 25}) - z.day_start(Date{2026, 10, 25}) == 25 * k_hour_us);
  // Ordinary days in winter and summer: 24 hours.
  BOOST_TEST(z.day_end(Date{2026, 11, 20}) - z.day_start(Date{2026, 11, 20}) == 24 * k_hour_us);
  BOOST_TEST(z.day_end(Date{2026, 7, 1}) - z.day_start(Date{2026, 7, 1}) == 24 * k_hour_us);
  // Asking twice (the cache) gives the same answer.
  BOOST_TEST(z.day_start(Date{2026, 3, 29}) == utc(day_2026(3, 28), 23, 0));
}

BOOST_AUTO_TEST_CASE(berlin_skipped_time_moves_forward_by_the_change) {
  // 02:30 does not exist on 2026-03-29 (02:00 CET -> 03:00 CEST). Documented:
  // moved forward by the change, i.e. 03:30 CEST = 01:30 UTC.
  const TimeZone z = zone("Europe/Berlin");
  const UtcMicros t = z.to_utc(LocalTime{Date{2026, 3, 29}, 2, 30, 0});
  BOOST_TEST(t >= z.day_start(Date{2026, 3, 29}));
  BOOST_TEST(t < z.day_end(Date{2026, 3, 29}));
  BOOST_TEST(t == utc(day_2026(3, 29), 1, 30));
  // The instants either side of the change.
  BOOST_TEST(z.to_utc(LocalTime{Date{2026, 3, 29}, 1, 59, 59}) == utc(day_2026(3, 29), 0, 59, 59));
  BOOST_TEST(z.to_utc(LocalTime{Date{2026, 3, 29}, 3, 0, 0}) == utc(day_2026(3, 29), 1, 0));
}

BOOST_AUTO_TEST_CASE(berlin_repeated_time_means_its_first_occurrence) {
  // 02:00..02:59 happen twice on 2026-10-25: first CEST (00:xx UTC), then CET (01:xx UTC).
  const TimeZone z = zone("Europe/Berlin");
  BOOST_TEST(z.to_utc(LocalTime{Date{2026, 10, 25}, 2, 30, 0}) == utc(day_2026(10, 25), 0, 30));
  BOOST_TEST(z.to_utc(LocalTime{Date{2026, 10, 25}, 2, 0, 0}) == utc(day_2026(10, 25), 0, 0));
  BOOST_TEST(z.to_utc(LocalTime{Date{2026, 10, 25}, 2, 59, 59}) ==
             utc(day_2026(10, 25), 0, 59, 59));
  BOOST_TEST(z.to_utc(LocalTime{Date{2026, 10, 25}, 3, 0, 0}) == utc(day_2026(10, 25), 2, 0));
  BOOST_TEST(z.to_utc(LocalTime{Date{2026, 10, 25}, 1, 59, 59}) ==
             utc(day_2026(10, 24), 23, 59, 59));
}

BOOST_AUTO_TEST_CASE(berlin_to_local_round_trips_through_dst_days) {
  // Every 5 minutes through both change days: to_utc(to_local(t)) == t, except the
  // second pass through the repeated hour, which maps to the first pass.
  const TimeZone z = zone("Europe/Berlin");
  const UtcMicros second_pass_begin = utc(day_2026(10, 25), 1, 0);
  const UtcMicros second_pass_end = utc(day_2026(10, 25), 2, 0);
  for (const Date day : {Date{2026, 3, 29}, Date{2026, 10, 25}, Date{2026, 11, 20}}) {
    for (UtcMicros t = z.day_start(day); t < z.day_end(day); t += 5 * k_minute_us) {
      const LocalTime local = z.to_local(t);
      BOOST_TEST_REQUIRE(local.date == day, format_iso8601_utc(t));
      const bool second_pass = t >= second_pass_begin && t < second_pass_end;
      const UtcMicros expected = second_pass ? t - k_hour_us : t;
      if (z.to_utc(local) != expected) BOOST_FAIL("round trip of " << format_iso8601_utc(t));
    }
  }
}

BOOST_AUTO_TEST_CASE(new_york_dst_days) {
  const TimeZone z = zone("America/New_York");
  // 2026-03-08: EST until 07:00 UTC, then EDT. 23 hours.
  BOOST_TEST(z.day_start(Date{2026, 3, 8}) == utc(day_2026(3, 8), 5, 0));
  BOOST_TEST(z.day_end(Date{2026, 3, 8}) == utc(day_2026(3, 9), 4, 0));
  BOOST_TEST(z.day_end(Date{2026, 3, 8}) - z.day_start(Date{2026, 3, 8}) == 23 * k_hour_us);
  BOOST_TEST(z.to_utc(LocalTime{Date{2026, 3, 8}, 2, 30, 0}) == utc(day_2026(3, 8), 7, 30));
  // 2026-11-01: EDT until 06:00 UTC, then EST. 25 hours; 01:30 is first EDT.
  BOOST_TEST(z.day_start(Date{2026, 11, 1}) == utc(day_2026(11, 1), 4, 0));
  BOOST_TEST(z.day_end(Date{2026, 11, 1}) == utc(day_2026(11, 2), 5, 0));
  BOOST_TEST(z.day_end(Date{2026, 11, 1}) - z.day_start(Date{2026, 11, 1}) == 25 * k_hour_us);
  BOOST_TEST(z.to_utc(LocalTime{Date{2026, 11, 1}, 1, 30, 0}) == utc(day_2026(11, 1), 5, 30));
  BOOST_TEST(z.to_local(utc(day_2026(11, 1), 6, 30)).hour == 1);  // second 01:30, EST
  BOOST_TEST(z.to_local(utc(day_2026(7, 1), 12, 0)).hour == 8);   // EDT = UTC-4
  BOOST_TEST(z.to_local(utc(day_2026(1, 15), 12, 0)).hour == 7);  // EST = UTC-5
}

BOOST_AUTO_TEST_CASE(lord_howe_half_hour_dst) {
  const TimeZone z = zone("Australia/Lord_Howe");
  constexpr std::int64_t k_half_hour_us = 30 * k_minute_us;
  // 2026-04-05: summer time ends, 02:00 +11 -> 01:30 +10:30; 24.5 hours.
  BOOST_TEST(z.day_start(Date{2026, 4, 5}) == utc(day_2026(4, 4), 13, 0));
  BOOST_TEST(z.day_end(Date{2026, 4, 5}) == utc(day_2026(4, 5), 13, 30));
  BOOST_TEST(z.day_end(Date{2026, 4, 5}) - z.day_start(Date{2026, 4, 5}) ==
             24 * k_hour_us + k_half_hour_us);
  // 01:45 happens twice; the first is at +11, i.e. 14:45 UTC on 04-04.
  BOOST_TEST(z.to_utc(LocalTime{Date{2026, 4, 5}, 1, 45, 0}) == utc(day_2026(4, 4), 14, 45));
  // 2026-10-04: summer time starts, 02:00 +10:30 -> 02:30 +11; 23.5 hours.
  BOOST_TEST(z.day_end(Date{2026, 10, 4}) - z.day_start(Date{2026, 10, 4}) ==
             23 * k_hour_us + k_half_hour_us);
  // 02:15 does not exist; moved forward by the change: 02:45 +11 = 15:45 UTC on 10-03.
  BOOST_TEST(z.to_utc(LocalTime{Date{2026, 10, 4}, 2, 15, 0}) == utc(day_2026(10, 3), 15, 45));
}

BOOST_AUTO_TEST_CASE(zones_do_not_leak_into_each_other) {
  // The C library keeps one global zone; alternating conversions must not mix them.
  const TimeZone berlin = zone("Europe/Berlin");
  const TimeZone new_york = zone("America/New_York");
  const UtcMicros t = utc(day_2026(7, 1), 12, 0);
  for (int i = 0; i < 3; ++i) {
    BOOST_TEST(berlin.to_local(t).hour == 14);
    BOOST_TEST(new_york.to_local(t).hour == 8);
    BOOST_TEST(TimeZone::utc().to_local(t).hour == 12);
  }
}
