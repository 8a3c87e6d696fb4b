// The HLS media playlist writer (RFC 8216, plus the delta updates of its
// second edition). Pure: segments in, text out; the caller supplies URIs.
#pragma once

#include "core/segment.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace cctv {

struct PlaylistDay {
  std::string uri_prefix;         // prepended to each segment name: "/front/2026-11-20/"
  std::vector<Segment> segments;  // in time order
};

struct PlaylistOptions {
  enum class Type { vod, event };
  Type type = Type::vod;
  bool ended = true;                // #EXT-X-ENDLIST: nothing will ever be added
  std::int64_t media_sequence = 0;  // of the first segment
  int min_target_duration_s = 1;    // floor, so that a growing playlist keeps its target
  // Offer delta updates (#EXT-X-SERVER-CONTROL:CAN-SKIP-UNTIL) with this skip
  // boundary in seconds; 0 = do not. Raised to 6 target durations if lower.
  int can_skip_until_s = 0;
  bool skip = false;  // the client asked for a delta update (_HLS_skip=YES)
};

// EXTINF value: milliseconds printed with three decimals ("10.040").
std::string format_extinf(std::int64_t duration_us);

// The playlist text. Rules:
//  - #EXT-X-TARGETDURATION: integer >= every EXTINF rounded up to a whole second;
//  - one #EXT-X-PLAYLIST-TYPE; #EXT-X-ENDLIST only when `ended`;
//  - #EXT-X-PROGRAM-DATE-TIME before the first segment and after every break;
//  - #EXT-X-DISCONTINUITY only at breaks (is_break: gap, overlap, codec change);
//  - a delta update replaces the segments older than the skip boundary by one
//    #EXT-X-SKIP (they still count for media and discontinuity sequence numbers)
//    and restates the date on the first segment after it.
std::string make_playlist(std::span<const PlaylistDay> days, const PlaylistOptions& options);

}  // namespace cctv
