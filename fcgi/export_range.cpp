#include "fcgi/export_range.hpp"

#include <algorithm>
#include <cstdio>

namespace cctv::web {
namespace {

// `count` decimal digits at `pos`, or -1.
int digits(std::string_view text, std::size_t pos, std::size_t count) {
  if (pos + count > text.size()) return -1;
  int value = 0;
  for (std::size_t i = pos; i < pos + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return -1;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

Error bad_time(std::string_view what) {
  return Error{ErrorKind::invalid_argument,
               std::string(what) +
                   ": expected an ISO 8601 time like 2026-11-20T10:15:00 (local), "
                   "2026-11-20T09:15:00Z or 2026-11-20T10:15:00+01:00"};
}

// "YYYYMMDD" + "HHMM" as a local time.
std::optional<LocalTime> compact_local(std::string_view ymd, std::string_view hm) {
  if (ymd.size() != 8 || hm.size() != 4) return std::nullopt;
  const std::string iso = std::string(ymd.substr(0, 4)) + "-" + std::string(ymd.substr(4, 2)) +
                          "-" + std::string(ymd.substr(6, 2));
  const auto date = parse_date(iso);
  const int hour = digits(hm, 0, 2);
  const int minute = digits(hm, 2, 2);
  if (!date || hour < 0 || hour > 23 || minute < 0 || minute > 59) return std::nullopt;
  return LocalTime{*date, hour, minute, 0};
}

std::string compact(const LocalTime& t) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d%02d%02d-%02d%02d%02d", t.date.year, t.date.month, t.date.day,
                t.hour, t.minute, t.second);
  return buf;
}

std::string codec_name(std::string_view codec) {
  return std::string(codec.substr(0, codec.find(' ')));
}

}  // namespace

Result<UtcMicros> parse_export_time(std::string_view what, std::string_view text,
                                    const TimeZone& zone) {
  // YYYY-MM-DDTHH:MM:SS is 19 characters.
  if (text.size() < 19 || text.size() > 40 || text[10] != 'T' || text[13] != ':' ||
      text[16] != ':') {
    return std::unexpected(bad_time(what));
  }
  const auto date = parse_date(text.substr(0, 10));
  const int hour = digits(text, 11, 2);
  const int minute = digits(text, 14, 2);
  const int second = digits(text, 17, 2);
  if (!date || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) {
    return std::unexpected(bad_time(what));
  }
  std::size_t pos = 19;
  std::int64_t fraction_us = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    std::size_t n = 0;
    std::int64_t scale = 100'000;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (++n > 9) return std::unexpected(bad_time(what));
      fraction_us += (text[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (n == 0) return std::unexpected(bad_time(what));
  }
  const std::string_view zone_text = text.substr(pos);
  if (zone_text.empty()) {
    return zone.to_utc(LocalTime{*date, hour, minute, second}) + fraction_us;
  }
  std::int64_t offset_s = 0;
  if (zone_text != "Z") {
    // A '+' sent unencoded in a query string arrives as a space.
    const char sign = zone_text[0];
    if (sign != '+' && sign != '-' && sign != ' ') return std::unexpected(bad_time(what));
    int off_h = -1;
    int off_m = -1;
    if (zone_text.size() == 6 && zone_text[3] == ':') {
      off_h = digits(zone_text, 1, 2);
      off_m = digits(zone_text, 4, 2);
    } else if (zone_text.size() == 5) {
      off_h = digits(zone_text, 1, 2);
      off_m = digits(zone_text, 3, 2);
    }
    if (off_h < 0 || off_h > 23 || off_m < 0 || off_m > 59) return std::unexpected(bad_time(what));
    offset_s = (std::int64_t{off_h} * 3600 + std::int64_t{off_m} * 60) * (sign == '-' ? -1 : 1);
  }
  const std::int64_t seconds = days_from_civil(*date) * 86400 + std::int64_t{hour} * 3600 +
                               std::int64_t{minute} * 60 + second - offset_s;
  return seconds * k_micros_per_second + fraction_us;
}

Result<std::optional<RangePath>> parse_range_path(std::string_view path) {
  constexpr std::string_view k_prefix = "camera/";
  constexpr std::string_view k_suffix = ".mp4";
  if (!path.starts_with(k_prefix) || !path.ends_with(k_suffix)) return std::nullopt;
  path.remove_prefix(k_prefix.size());
  path.remove_suffix(k_suffix.size());
  const std::size_t range = path.rfind(".range.");
  if (range == std::string_view::npos) return std::nullopt;
  const std::string_view camera = path.substr(0, range);
  const std::string_view times = path.substr(range + 7);  // YYYYMMDD.HHMM.to.YYYYMMDD.HHMM
  auto shape_error = [] {
    return fail(ErrorKind::invalid_argument,
                "expected camera/<camera>.range.<YYYYMMDD>.<HHMM>.to.<YYYYMMDD>.<HHMM>.mp4");
  };
  if (camera.empty() || camera.find('/') != std::string_view::npos || times.size() != 30 ||
      times[8] != '.' || times.substr(13, 4) != ".to." || times[25] != '.') {
    return shape_error();
  }
  const auto from = compact_local(times.substr(0, 8), times.substr(9, 4));
  const auto to = compact_local(times.substr(17, 8), times.substr(26, 4));
  if (!from || !to) return shape_error();
  return RangePath{std::string(camera), *from, *to};
}

Result<ExportPlan> plan_export(const std::vector<DaySource>& days, UtcMicros from, UtcMicros to) {
  ExportPlan plan;
  for (const DaySource& day : days) {
    if (day.converted) {
      const ConvertedDay& file = *day.converted;
      const Fragment* first = nullptr;
      const Fragment* last = nullptr;
      for (const Fragment& f : file.fragments) {
        if (f.start_us < to && f.start_us + f.duration_us > from) {
          if (first == nullptr) first = &f;
          last = &f;
        }
      }
      if (first == nullptr || file.file_name.find('/') != std::string::npos) continue;
      ExportPiece piece;
      piece.date = day.date;
      piece.name = file.file_name;
      piece.converted = true;
      piece.init_bytes = file.init_size_bytes;
      piece.offset_bytes = first->offset_bytes;
      piece.length_bytes = last->offset_bytes + last->size_bytes - first->offset_bytes;
      piece.start_us = first->start_us;
      piece.end_us = last->start_us + last->duration_us;
      piece.codec = file.codec;
      plan.bytes += piece.init_bytes + piece.length_bytes;
      plan.pieces.push_back(std::move(piece));
      continue;
    }
    for (const Segment& s : day.segments) {
      if (s.start_us >= to || s.end_us() <= from || s.name.find('/') != std::string::npos) {
        continue;
      }
      ExportPiece piece;
      piece.date = day.date;
      piece.name = s.name;
      piece.length_bytes = s.size_bytes;
      piece.start_us = s.start_us;
      piece.end_us = s.end_us();
      piece.mtime_ns = s.mtime_ns;
      piece.codec = s.codec;
      plan.bytes += s.size_bytes;
      plan.pieces.push_back(std::move(piece));
    }
  }
  if (plan.pieces.empty()) return fail(ErrorKind::not_found, "nothing recorded in that range");
  std::stable_sort(
      plan.pieces.begin(), plan.pieces.end(),
      [](const ExportPiece& a, const ExportPiece& b) { return a.start_us < b.start_us; });
  for (std::size_t i = 1; i < plan.pieces.size(); ++i) {
    const ExportPiece& a = plan.pieces[i - 1];
    const ExportPiece& b = plan.pieces[i];
    if (a.codec == b.codec) continue;
    const bool codec_change = codec_name(a.codec) != codec_name(b.codec);
    plan.conflict = std::string("the range crosses a ") +
                    (codec_change ? "codec" : "picture size") + " change (" + a.codec + " to " +
                    b.codec + (b.converted || a.converted ? ", a converted day" : "") + ") at " +
                    format_iso8601_utc(b.start_us) + ": export the parts before and after it";
    break;
  }
  return plan;
}

std::string export_file_name(std::string_view camera, const TimeZone& zone, UtcMicros from,
                             UtcMicros to) {
  return std::string(camera) + "_" + compact(zone.to_local(from)) + "_" +
         compact(zone.to_local(to)) + ".mp4";
}

}  // namespace cctv::web
