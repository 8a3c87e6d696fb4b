#include "core/civil_time.hpp"

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <utility>

namespace cctv {
namespace {

bool is_leap(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int days_in_month(int year, int month) {
  static constexpr std::array<int, 12> k_days{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && is_leap(year) ? 29 : k_days.at(static_cast<std::size_t>(month - 1));
}

std::optional<int> parse_digits(std::string_view text) {
  if (text.empty()) return std::nullopt;
  int value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

// The C library's tz functions keep global state (the TZ variable, tzname).
std::mutex g_tz_mutex;

// The TZ value meaning "the system's zone": the TZ the process started with, else
// /etc/localtime. Read once, before this file ever changes TZ.
const std::string& system_zone_setting() {
  static const std::string setting = [] {
    const char* tz = std::getenv("TZ");
    return std::string(tz != nullptr && *tz != '\0' ? tz : ":/etc/localtime");
  }();
  return setting;
}

// Runs f with TZ set to the zone; callers hold g_tz_mutex.
//
// TZ is only ever replaced, never removed: glibc's setenv swaps the value of an
// existing variable in place (old values are kept alive), so other threads calling
// getenv() meanwhile (libav, libcurl) read a valid string; unsetenv would shift
// the environment array under them.
template <typename F>
auto with_zone(const std::string& name, F&& f) {
  const std::string setting = name.empty() ? system_zone_setting() : ":" + name;
  ::setenv("TZ", setting.c_str(), 1);
  ::tzset();
  return f();
}

std::filesystem::path zoneinfo_dir() {
  const char* dir = std::getenv("TZDIR");
  return dir != nullptr && *dir != '\0' ? dir : "/usr/share/zoneinfo";
}

bool valid_zone_name(std::string_view name) {
  if (name.empty() || name.size() > 64 || name.front() == '/') return false;
  for (char c : name) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '/' || c == '_' || c == '-' || c == '+';
    if (!ok) return false;
  }
  return name.find("..") == std::string_view::npos;
}

// The zoneinfo directory also holds data files that are not zones (leapseconds).
bool is_tzif_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::array<char, 4> magic{};
  in.read(magic.data(), magic.size());
  return in && std::string_view(magic.data(), magic.size()) == "TZif";
}

}  // namespace

std::optional<Date> parse_date(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  auto year = parse_digits(text.substr(0, 4));
  auto month = parse_digits(text.substr(5, 2));
  auto day = parse_digits(text.substr(8, 2));
  if (!year || !month || !day) return std::nullopt;
  if (*year < 1970 || *month < 1 || *month > 12 || *day < 1 ||
      *day > days_in_month(*year, *month)) {
    return std::nullopt;
  }
  return Date{*year, *month, *day};
}

std::string format_date(const Date& date) {
  std::array<char, 16> buf{};
  std::snprintf(buf.data(), buf.size(), "%04d-%02d-%02d", date.year, date.month, date.day);
  return buf.data();
}

// Howard Hinnant's days_from_civil / civil_from_days.
std::int64_t days_from_civil(const Date& date) {
  const int y = date.month <= 2 ? date.year - 1 : date.year;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const int yoe = y - era * 400;
  const int mp = (date.month + 9) % 12;
  const int doy = (153 * mp + 2) / 5 + date.day - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return static_cast<std::int64_t>(era) * 146097 + doe - 719468;
}

Date civil_from_days(std::int64_t days) {
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const auto doe = static_cast<int>(days - era * 146097);
  const int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int mp = (5 * doy + 2) / 153;
  const int day = doy - (153 * mp + 2) / 5 + 1;
  const int month = mp < 10 ? mp + 3 : mp - 9;
  const auto year = static_cast<int>(yoe + era * 400 + (month <= 2 ? 1 : 0));
  return Date{year, month, day};
}

Date next_day(const Date& date) { return civil_from_days(days_from_civil(date) + 1); }

int weekday(const Date& date) {
  const std::int64_t days = days_from_civil(date);
  return static_cast<int>(days >= -4 ? (days + 4) % 7 : (days + 5) % 7 + 6);
}

std::string_view weekday_short(const Date& date) {
  static constexpr std::array<std::string_view, 7> k_names{"Sun", "Mon", "Tue", "Wed",
                                                           "Thu", "Fri", "Sat"};
  return k_names.at(static_cast<std::size_t>(weekday(date)));
}

std::string_view month_name(int month) {
  static constexpr std::array<std::string_view, 12> k_names{
      "January", "February", "March",     "April",   "May",      "June",
      "July",    "August",   "September", "October", "November", "December"};
  if (month < 1 || month > 12) return "?";
  return k_names.at(static_cast<std::size_t>(month - 1));
}

std::optional<int> parse_hhmmss(std::string_view text) {
  if (text.size() != 6) return std::nullopt;
  auto h = parse_digits(text.substr(0, 2));
  auto m = parse_digits(text.substr(2, 2));
  auto s = parse_digits(text.substr(4, 2));
  if (!h || !m || !s || *h > 23 || *m > 59 || *s > 59) return std::nullopt;
  return *h * 3600 + *m * 60 + *s;
}

std::string format_hhmmss(int seconds_of_day, char separator) {
  std::array<char, 16> buf{};
  if (separator == '\0') {
    std::snprintf(buf.data(), buf.size(), "%02d%02d%02d", seconds_of_day / 3600,
                  seconds_of_day / 60 % 60, seconds_of_day % 60);
  } else {
    std::snprintf(buf.data(), buf.size(), "%02d%c%02d%c%02d", seconds_of_day / 3600, separator,
                  seconds_of_day / 60 % 60, separator, seconds_of_day % 60);
  }
  return buf.data();
}

UtcMicros utc_now() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

LocalTime utc_fields(UtcMicros time, int* micros) {
  std::int64_t seconds = time / k_micros_per_second;
  std::int64_t rest_us = time % k_micros_per_second;
  if (rest_us < 0) {
    rest_us += k_micros_per_second;
    --seconds;
  }
  std::int64_t days = seconds / 86400;
  std::int64_t sod = seconds % 86400;
  if (sod < 0) {
    sod += 86400;
    --days;
  }
  if (micros != nullptr) *micros = static_cast<int>(rest_us);
  return LocalTime{civil_from_days(days), static_cast<int>(sod / 3600),
                   static_cast<int>(sod / 60 % 60), static_cast<int>(sod % 60)};
}

std::string format_iso8601_utc(UtcMicros time) {
  int micros = 0;
  const LocalTime t = utc_fields(time, &micros);
  std::array<char, 40> buf{};
  std::snprintf(buf.data(), buf.size(), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", t.date.year,
                t.date.month, t.date.day, t.hour, t.minute, t.second, micros / 1000);
  return buf.data();
}

std::string format_http_date(std::int64_t utc_seconds) {
  static constexpr std::array<std::string_view, 12> k_months{
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const Date d = civil_from_days(utc_seconds >= 0 ? utc_seconds / 86400 : 0);
  const std::int64_t sod = utc_seconds >= 0 ? utc_seconds % 86400 : 0;
  std::array<char, 40> buf{};
  std::snprintf(buf.data(), buf.size(), "%s, %02d %s %04d %02d:%02d:%02d GMT",
                std::string(weekday_short(d)).c_str(), d.day,
                std::string(k_months.at(static_cast<std::size_t>(d.month - 1))).c_str(), d.year,
                static_cast<int>(sod / 3600), static_cast<int>(sod / 60 % 60),
                static_cast<int>(sod % 60));
  return buf.data();
}

std::optional<std::int64_t> parse_http_date(std::string_view text) {
  // Only the preferred IMF-fixdate form, which is what every current client sends.
  static constexpr std::array<std::string_view, 12> k_months{
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (text.size() != 29 || text.substr(3, 2) != ", " || text[7] != ' ' || text[11] != ' ' ||
      text[16] != ' ' || text.substr(25) != " GMT") {
    return std::nullopt;
  }
  auto day = parse_digits(text.substr(5, 2));
  auto year = parse_digits(text.substr(12, 4));
  auto time = parse_hhmmss(std::string(text.substr(17, 2)) + std::string(text.substr(20, 2)) +
                           std::string(text.substr(23, 2)));
  if (!day || !year || !time || text[19] != ':' || text[22] != ':') return std::nullopt;
  int month = 0;
  for (std::size_t i = 0; i < k_months.size(); ++i) {
    if (text.substr(8, 3) == k_months.at(i)) month = static_cast<int>(i) + 1;
  }
  if (month == 0 || *day < 1 || *day > days_in_month(*year, month)) return std::nullopt;
  return days_from_civil(Date{*year, month, *day}) * 86400 + *time;
}

Result<TimeZone> TimeZone::load(std::string name) {
  {
    // Put TZ into the environment now (config loading, before any thread starts):
    // adding a variable may reallocate the environment, replacing one does not.
    std::lock_guard lock(g_tz_mutex);
    ::setenv("TZ", system_zone_setting().c_str(), 0);
  }
  if (name.empty() || name == "UTC") return TimeZone(std::move(name));
  if (!valid_zone_name(name)) {
    return fail(ErrorKind::invalid_argument, "invalid time zone name \"" + name + "\"");
  }
  std::error_code ec;
  if (!std::filesystem::is_regular_file(zoneinfo_dir() / name, ec) ||
      !is_tzif_file(zoneinfo_dir() / name)) {
    return fail(ErrorKind::invalid_argument,
                "unknown time zone \"" + name + "\" (not in " + zoneinfo_dir().string() + ")");
  }
  return TimeZone(std::move(name));
}

TimeZone TimeZone::utc() { return TimeZone("UTC"); }

UtcMicros TimeZone::to_utc(const LocalTime& local) const {
  const std::int64_t naive = days_from_civil(local.date) * 86400 + std::int64_t{local.hour} * 3600 +
                             std::int64_t{local.minute} * 60 + local.second;
  if (m_name == "UTC") return naive * k_micros_per_second;
  std::lock_guard lock(g_tz_mutex);
  return with_zone(m_name, [&] {
    std::tm tm{};
    tm.tm_year = local.date.year - 1900;
    tm.tm_mon = local.date.month - 1;
    tm.tm_mday = local.date.day;
    tm.tm_hour = local.hour;
    tm.tm_min = local.minute;
    tm.tm_sec = local.second;
    tm.tm_isdst = -1;
    std::time_t t = std::mktime(&tm);
    // For a repeated time mktime may pick the second occurrence; prefer the first,
    // which is earlier by the change of offset (an hour, or 30 minutes on Lord Howe).
    std::tm at{};
    std::tm before{};
    const std::time_t probe = t - std::time_t{4} * 3600;
    localtime_r(&t, &at);
    localtime_r(&probe, &before);
    std::tm earlier{};
    std::time_t alt = t - (before.tm_gmtoff - at.tm_gmtoff);
    if (alt < t && localtime_r(&alt, &earlier) != nullptr && earlier.tm_hour == local.hour &&
        earlier.tm_min == local.minute && earlier.tm_sec == local.second &&
        earlier.tm_mday == local.date.day) {
      t = alt;
    }
    return static_cast<UtcMicros>(t) * k_micros_per_second;
  });
}

LocalTime TimeZone::to_local(UtcMicros time) const {
  std::int64_t seconds = time / k_micros_per_second;
  if (time % k_micros_per_second < 0) --seconds;
  if (m_name == "UTC") {
    std::int64_t days = seconds / 86400;
    std::int64_t sod = seconds % 86400;
    if (sod < 0) {
      sod += 86400;
      --days;
    }
    return LocalTime{civil_from_days(days), static_cast<int>(sod / 3600),
                     static_cast<int>(sod / 60 % 60), static_cast<int>(sod % 60)};
  }
  std::lock_guard lock(g_tz_mutex);
  return with_zone(m_name, [&] {
    std::tm tm{};
    const auto t = static_cast<std::time_t>(seconds);
    localtime_r(&t, &tm);
    return LocalTime{Date{tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday}, tm.tm_hour, tm.tm_min,
                     tm.tm_sec};
  });
}

UtcMicros TimeZone::day_start(const Date& date) const {
  static std::mutex cache_mutex;
  static std::map<std::pair<std::string, std::int64_t>, UtcMicros> cache;
  const auto key = std::make_pair(m_name, days_from_civil(date));
  {
    std::lock_guard lock(cache_mutex);
    if (auto it = cache.find(key); it != cache.end()) return it->second;
  }
  const UtcMicros start = to_utc(LocalTime{date, 0, 0, 0});
  std::lock_guard lock(cache_mutex);
  if (cache.size() > 100'000) cache.clear();
  cache.emplace(key, start);
  return start;
}

}  // namespace cctv
