// The HLS media playlist writer (RFC 8216, plus the delta updates of its
// second edition). Pure: segments in, text out; the caller supplies URIs.
#pragma once

#include "core/segment.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace cctv {

// Bytes [offset_bytes, offset_bytes + size_bytes) of a file (RFC 8216 4.3.2.2).
struct ByteRange {
  std::int64_t offset_bytes = 0;
  std::int64_t size_bytes = 0;
};

// The init section of a converted day's fragmented MP4 (RFC 8216 4.3.2.5): the
// bytes [0, init_size_bytes) of uri_prefix + name.
struct PlaylistMap {
  std::string name = "video.mp4";
  std::int64_t init_size_bytes = 0;
};

// One day of the playlist. A recorded day lists its TS segments, each its own
// file. A converted day sets `map` and lists one Segment per MP4 fragment (name
// "video.mp4", exact start and duration) with its byte range in `ranges`, the
// same index as in `segments` (a fragment without a range is written without
// #EXT-X-BYTERANGE, i.e. as the whole file).
struct PlaylistDay {
  std::string uri_prefix;         // prepended to each segment name: "/front/2026-11-20/"
  std::vector<Segment> segments;  // in time order
  std::optional<PlaylistMap> map = std::nullopt;  // set for a converted (MP4) day
  std::vector<ByteRange> ranges = {};             // converted day: one per segment
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
//  - #EXT-X-VERSION 3; 7 when a converted day contributes a segment (MAP and
//    BYTERANGE); 9 for a delta update;
//  - #EXT-X-TARGETDURATION: integer >= every EXTINF rounded up to a whole second;
//  - one #EXT-X-PLAYLIST-TYPE; #EXT-X-ENDLIST only when `ended`;
//  - #EXT-X-PROGRAM-DATE-TIME before the first segment and after every break;
//  - #EXT-X-DISCONTINUITY only at breaks (is_break: gap, overlap, codec change)
//    and where the playlist passes from one file format or MP4 file to another
//    (TS day to converted day, converted day to TS day or to the next converted
//    day: the timestamps and the init section start again);
//  - a converted day's fragments: #EXT-X-MAP:URI="<prefix><name>",BYTERANGE="<init>@0"
//    before its first written fragment, then per fragment #EXTINF,
//    #EXT-X-BYTERANGE:<size>@<offset> (always with the offset) and the URI;
//  - a delta update replaces the segments older than the skip boundary by one
//    #EXT-X-SKIP (they still count for media and discontinuity sequence numbers)
//    and restates the date (and the map) on the first segment after it.
std::string make_playlist(std::span<const PlaylistDay> days, const PlaylistOptions& options);

}  // namespace cctv
