#include "worker/day_state.hpp"

#include <algorithm>

namespace cctv::worker {

bool should_settle(UtcMicros day_end, UtcMicros last_activity, UtcMicros now) {
  return now >= day_end + k_settle_us && now >= last_activity + k_settle_us;
}

UtcMicros last_activity(const DayRow& day, const std::vector<Segment>& segments) {
  UtcMicros latest = day.last_end_us;
  for (const Segment& segment : segments) {
    latest = std::max({latest, segment.end_us(), segment.mtime_ns / 1000});
  }
  return latest;
}

bool is_indexer_state(DayState state) {
  return state == DayState::recording || state == DayState::settled;
}

}  // namespace cctv::worker
