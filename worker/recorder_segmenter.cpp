#include "worker/recorder_segmenter.hpp"

#include <algorithm>

namespace cctv::worker {

void Timeline::observe(UtcMicros now, std::int64_t ts_us) {
  if (!m_anchored) {
    m_anchored = true;
    m_ts0 = ts_us;
    m_last_ts = ts_us;
    m_anchor = now;
    return;
  }
  const UtcMicros proposal = now - (ts_us - m_ts0);
  const std::int64_t advance = std::max<std::int64_t>(ts_us - m_last_ts, 0);
  const auto allowance = static_cast<std::int64_t>(static_cast<double>(advance) * k_max_drift);
  m_anchor = proposal - m_anchor > k_step_us ? proposal : std::min(proposal, m_anchor + allowance);
  m_last_ts = std::max(m_last_ts, ts_us);
}

void SegmentSpan::add(std::int64_t ts_us, std::int64_t duration_us) {
  m_first = std::min(m_first, ts_us);
  m_end = std::max(m_end, ts_us + std::max<std::int64_t>(duration_us, 0));
}

std::int64_t SegmentSpan::duration(std::optional<std::int64_t> next_ts_us) const {
  if (empty()) return 1;
  const std::int64_t end = next_ts_us && *next_ts_us > m_first ? *next_ts_us : m_end;
  return std::max<std::int64_t>(end - m_first, 1);
}

UtcMicros Segmenter::next_boundary(UtcMicros start) const {
  const LocalTime local = m_zone.to_local(start);
  const int sod = local.hour * 3600 + local.minute * 60 + local.second;
  const int next = (sod / m_seconds + 1) * m_seconds;
  const UtcMicros midnight = m_zone.day_start(next_day(local.date));
  // Counted in seconds from the start, not by converting the local time back: when
  // a DST change falls inside the segment, the clock jumps onto a whole hour (03:00
  // in spring, the second 02:00 in autumn), and that is the boundary.
  const UtcMicros whole_second =
      start - ((start % k_micros_per_second) + k_micros_per_second) % k_micros_per_second;
  const UtcMicros counted = whole_second + std::int64_t{next - sod} * k_micros_per_second;
  return next >= 86400 ? midnight : std::min(counted, midnight);
}

SegmentPlace Segmenter::place(UtcMicros start) const {
  const LocalTime local = m_zone.to_local(start);
  return SegmentPlace{local.date, local.hour * 3600 + local.minute * 60 + local.second};
}

}  // namespace cctv::worker
