// Exact-range export, the pure part: parsing the requested times (query and URL shape)
// and planning which files (segments, byte ranges of converted days) make the clip.
#pragma once

#include "core/catalog.hpp"
#include "core/civil_time.hpp"
#include "core/error.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cctv::web {

// "2026-11-20T10:15:00[.fff][Z|+01:00|-0530]": UTC for Z or an offset, else the local
// time of `zone`. Strict: anything else (a space, a missing second, out-of-range
// fields, more than 9 fraction digits) is an invalid_argument naming `what`.
Result<UtcMicros> parse_export_time(std::string_view what, std::string_view text,
                                    const TimeZone& zone);

// The URL shape below /api/1/: "camera/<id>.range.<YYYYMMDD>.<HHMM>.to.<YYYYMMDD>.<HHMM>.mp4"
// (local times of the camera). nullopt when `path` does not have that shape at all.
struct RangePath {
  std::string camera;
  LocalTime from;
  LocalTime to;
};
Result<std::optional<RangePath>> parse_range_path(std::string_view path);

// What the planner needs of one day: its segments, or its converted file.
struct DaySource {
  Date date;
  std::vector<Segment> segments;
  std::optional<ConvertedDay> converted;
};

// One input file of the clip. A converted day is read as its init (ftyp + moov) followed
// by the byte range [offset, offset + length) of whole fragments.
struct ExportPiece {
  Date date;
  std::string name;  // inside the day directory; never contains '/'
  bool converted = false;
  std::int64_t init_bytes = 0;
  std::int64_t offset_bytes = 0;
  std::int64_t length_bytes = 0;
  UtcMicros start_us = 0;  // when its first frame is shown
  UtcMicros end_us = 0;
  std::int64_t mtime_ns = 0;  // a segment's (0 for converted days): part of the export's ETag
  std::string codec;          // "h264 320x180"
};

struct ExportPlan {
  std::vector<ExportPiece> pieces;
  std::int64_t bytes = 0;  // of the input read (a rough size of the answer)
  // Set (one line) when the pieces change codec or picture size, e.g. an H.264 day next
  // to an H.265 converted day: one MP4 track cannot hold both (HTTP 409).
  std::string conflict;
};

// The pieces that overlap [from, to), in time order; not_found when nothing is
// recorded in the range.
Result<ExportPlan> plan_export(const std::vector<DaySource>& days, UtcMicros from, UtcMicros to);

// "<camera>_<YYYYMMDD-HHMMSS>_<YYYYMMDD-HHMMSS>.mp4" in the camera's local time.
std::string export_file_name(std::string_view camera, const TimeZone& zone, UtcMicros from,
                             UtcMicros to);

}  // namespace cctv::web
