// Calendar dates, times of day and time zones.
//
// Everything the catalog stores and computes is UTC (microseconds since the epoch).
// A camera's time zone matters only where the on-disk names (day directories
// `YYYY-MM-DD`, segments `video_HHMMSS.ts`) and the pages show local time.
#pragma once

#include "core/error.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cctv {

using UtcMicros = std::int64_t;  // microseconds since 1970-01-01T00:00:00Z
inline constexpr std::int64_t k_micros_per_second = 1'000'000;

struct Date {
  int year = 1970;
  int month = 1;  // 1..12
  int day = 1;    // 1..31

  friend auto operator<=>(const Date&, const Date&) = default;
};

// Strict "YYYY-MM-DD" (years 1970..9999, a real calendar day); anything else is nullopt.
std::optional<Date> parse_date(std::string_view text);
std::string format_date(const Date& date);       // "YYYY-MM-DD"
std::int64_t days_from_civil(const Date& date);  // days since 1970-01-01
Date civil_from_days(std::int64_t days);
Date next_day(const Date& date);
int weekday(const Date& date);                     // 0 = Sunday
std::string_view weekday_short(const Date& date);  // "Sun".."Sat"
std::string_view month_name(int month);            // "January".."December"

// A local wall-clock time.
struct LocalTime {
  Date date;
  int hour = 0;
  int minute = 0;
  int second = 0;
};

// "HHMMSS" (as in video_HHMMSS.ts) -> seconds of day; nullopt unless 00..23/00..59/00..59.
std::optional<int> parse_hhmmss(std::string_view text);
std::string format_hhmmss(int seconds_of_day, char separator = ':');  // "10:15:00"

// The UTC calendar day and time of day of `time`, floored to the second (times before
// 1970 too); `micros`, when given, gets the microseconds past that second (0..999999).
LocalTime utc_fields(UtcMicros time, int* micros = nullptr);

// ISO 8601 with milliseconds, UTC: "2026-11-20T10:15:00.000Z" (for EXT-X-PROGRAM-DATE-TIME).
// Sub-millisecond digits are truncated (floored), never rounded up into the next second.
std::string format_iso8601_utc(UtcMicros time);
// The system clock now.
UtcMicros utc_now();
// RFC 7231 HTTP date: "Fri, 20 Nov 2026 10:15:00 GMT".
std::string format_http_date(std::int64_t utc_seconds);
std::optional<std::int64_t> parse_http_date(std::string_view text);

// An IANA time zone ("Europe/Berlin", "UTC"); the empty name is the system's zone.
//
// Conversions use the C library's full tz implementation (serialised: it keeps
// global state), with each day's bounds cached.
class TimeZone {
 public:
  // Checks that the zone exists in the tz database; the error names it.
  static Result<TimeZone> load(std::string name);
  static TimeZone utc();

  [[nodiscard]] const std::string& name() const { return m_name; }

  // The UTC instant of a local wall-clock time. A time skipped by a DST change is
  // moved forward by the change; a repeated one means its first occurrence.
  [[nodiscard]] UtcMicros to_utc(const LocalTime& local) const;
  [[nodiscard]] LocalTime to_local(UtcMicros time) const;
  // The local date that contains a UTC instant.
  [[nodiscard]] Date date_of(UtcMicros time) const { return to_local(time).date; }
  // [start, end) of a local calendar day in UTC; 23 or 25 hours on DST days.
  [[nodiscard]] UtcMicros day_start(const Date& date) const;
  [[nodiscard]] UtcMicros day_end(const Date& date) const { return day_start(next_day(date)); }

 private:
  explicit TimeZone(std::string name) : m_name(std::move(name)) {}
  std::string m_name;
};

}  // namespace cctv
