// The recorder's pure decisions: which wall-clock time a stream timestamp stands
// for, where a camera's stream is cut into segments, and a segment's exact length.
// No I/O and no clock of its own: timestamps and "now" go in, decisions come out,
// so day rollovers and DST days are tested without waiting for them.
#pragma once

#include "core/civil_time.hpp"

#include <cstdint>
#include <limits>
#include <optional>

namespace cctv::worker {

// Maps a stream's timestamps (microseconds, any origin) to the wall clock (UTC):
//   wall(ts) = anchor + (ts - ts0)
// where ts0 is the first timestamp seen. Every packet received at `now` proposes
// anchor = now - (ts - ts0). A packet cannot arrive before it was captured, so the
// lowest proposal is the best estimate: the packets that libavformat buffered while
// it probed the stream (read seconds late) do not move it, and network jitter only
// adds. So that a camera whose clock runs slower than ours is followed, the anchor
// may rise by up to k_max_drift of the stream time that passed. A packet later than
// k_step_us can only mean that our clock was stepped forward (NTP): the timeline
// starts again from it. A step back lowers the anchor at once anyway.
class Timeline {
 public:
  static constexpr double k_max_drift = 1e-3;  // 1 ms per second of stream
  static constexpr std::int64_t k_step_us = 30 * k_micros_per_second;

  void observe(UtcMicros now, std::int64_t ts_us);
  [[nodiscard]] bool anchored() const { return m_anchored; }
  [[nodiscard]] UtcMicros wall_of(std::int64_t ts_us) const { return m_anchor + (ts_us - m_ts0); }

 private:
  bool m_anchored = false;
  std::int64_t m_ts0 = 0;
  std::int64_t m_last_ts = 0;
  UtcMicros m_anchor = 0;
};

// The span of one segment's video packets, in stream microseconds.
class SegmentSpan {
 public:
  // A video packet at `ts_us` lasting `duration_us` (0 when unknown).
  void add(std::int64_t ts_us, std::int64_t duration_us);
  [[nodiscard]] bool empty() const { return m_first > m_end; }
  [[nodiscard]] std::int64_t first() const { return m_first; }
  // Up to `next_ts_us`, the first packet of the next segment, when the stream goes
  // on (the exact length of a continuous recording); else to the end of the last
  // packet. Never below one microsecond.
  [[nodiscard]] std::int64_t duration(std::optional<std::int64_t> next_ts_us) const;

 private:
  std::int64_t m_first = std::numeric_limits<std::int64_t>::max();
  std::int64_t m_end = std::numeric_limits<std::int64_t>::min();
};

// Where a segment lives: its day directory (the local date of its start) and its
// name (video_HHMMSS.ts of the local start time).
struct SegmentPlace {
  Date date;
  int seconds_of_day = 0;
};

// The cut rule: a segment ends at the first video keyframe at or after the next
// wall-clock boundary of the camera's local time (:00, :10, :20 ... for 10 s; local
// midnight is always one, so that every day has its own directory). Across a DST
// change the boundary is where the local clock shows the next multiple: 03:00 when
// 02:00 is skipped, the second 02:00 when an hour repeats.
class Segmenter {
 public:
  Segmenter(TimeZone zone, int segment_seconds)
      : m_zone(std::move(zone)), m_seconds(segment_seconds < 1 ? 1 : segment_seconds) {}

  // The first boundary after a segment that starts at `start`.
  [[nodiscard]] UtcMicros next_boundary(UtcMicros start) const;
  [[nodiscard]] SegmentPlace place(UtcMicros start) const;
  [[nodiscard]] const TimeZone& zone() const { return m_zone; }
  [[nodiscard]] int segment_seconds() const { return m_seconds; }

 private:
  TimeZone m_zone;
  int m_seconds;
};

}  // namespace cctv::worker
