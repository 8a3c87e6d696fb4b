// A recorded segment as the catalog knows it, and the one rule for where the
// recording breaks (used by the playlist writer and by the day aggregates alike).
#pragma once

#include "core/civil_time.hpp"

#include <cstdint>
#include <string>

namespace cctv {

struct Segment {
  std::int64_t id = 0;
  Date date;         // the day directory it lives in
  std::string name;  // file name inside the day directory
  UtcMicros start_us = 0;
  std::int64_t duration_us = 0;
  std::int64_t size_bytes = 0;
  std::string codec;  // "h264 640x360": a change is a discontinuity
  std::int64_t mtime_ns = 0;

  [[nodiscard]] UtcMicros end_us() const { return start_us + duration_us; }
};

// Segment start times come from file names with one-second resolution, so a
// continuous recording shows jitter of up to a second either way.
inline constexpr std::int64_t k_gap_tolerance_us = 1'500'000;

// A hole in the recording between two consecutive segments.
inline bool is_gap(const Segment& previous, const Segment& next) {
  return next.start_us > previous.end_us() + k_gap_tolerance_us;
}

// Where a player must be told that the stream breaks: a gap, an overlap (two
// recordings), or a change of codec or resolution.
inline bool is_break(const Segment& previous, const Segment& next) {
  return is_gap(previous, next) || next.start_us < previous.end_us() - k_gap_tolerance_us ||
         next.codec != previous.codec;
}

}  // namespace cctv
