// When a day stops being `recording`.
//
// The web side serves a day that is not `recording` as a closed VOD playlist
// (#EXT-X-ENDLIST), so a day must never be settled while it may still get
// segments. The rule, in UTC:
//
//   settled  <=>  now >= day_end + k_settle  and  now >= last_activity + k_settle
//
// where day_end is the end of the camera's local day (23 or 25 hours on DST days)
// and last_activity is the latest of: the end of its last segment, the newest file
// modification time of its segments, and the time the worker last indexed a segment
// of it. Uploads that arrive late after midnight (camera_streamer keeps a backlog)
// and the segment that ends at midnight are covered by the settle period.
// A segment that arrives for a settled day sets it back to `recording`; the rule
// then settles it again once it has been quiet for k_settle.
// Days in later states (converting, converted, archived) belong to the converter
// and S3 modules and are not touched here.
#pragma once

#include "core/catalog.hpp"
#include "core/civil_time.hpp"

#include <cstdint>
#include <vector>

namespace cctv::worker {

// The quiet period after which a finished day is settled: 10 minutes.
inline constexpr std::int64_t k_settle_us = 10 * 60 * k_micros_per_second;

// True when a day whose local calendar day ends at `day_end` (UTC) and which was
// last active at `last_activity` must be settled at `now`.
bool should_settle(UtcMicros day_end, UtcMicros last_activity, UtcMicros now);

// The latest activity of a day from what the catalog knows of it.
UtcMicros last_activity(const DayRow& day, const std::vector<Segment>& segments);

// True for the states that the indexer manages (recording, settled).
bool is_indexer_state(DayState state);

}  // namespace cctv::worker
