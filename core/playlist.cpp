#include "core/playlist.hpp"

#include <algorithm>
#include <array>
#include <cinttypes>
#include <cstdio>

namespace cctv {
namespace {

struct Entry {
  const Segment* segment;
  const PlaylistDay* day;
  const ByteRange* range;  // a converted day's fragment, or null
  bool is_break;           // a discontinuity before this segment (not for the first)
};

std::int64_t ceil_seconds(std::int64_t duration_us) {
  // Round to the printed millisecond first, then up to whole seconds.
  const std::int64_t ms = (duration_us + 500) / 1000;
  return (ms + 999) / 1000;
}

}  // namespace

std::string format_extinf(std::int64_t duration_us) {
  const std::int64_t ms = (std::max<std::int64_t>(duration_us, 0) + 500) / 1000;
  std::array<char, 32> buf{};
  std::snprintf(buf.data(), buf.size(), "%" PRId64 ".%03" PRId64, ms / 1000, ms % 1000);
  return buf.data();
}

std::string make_playlist(std::span<const PlaylistDay> days, const PlaylistOptions& options) {
  std::vector<Entry> entries;
  std::size_t count = 0;
  for (const auto& day : days) count += day.segments.size();
  entries.reserve(count);
  std::int64_t target = std::max(options.min_target_duration_s, 1);
  const Segment* previous = nullptr;
  const PlaylistDay* previous_day = nullptr;
  for (const auto& day : days) {
    for (std::size_t i = 0; i < day.segments.size(); ++i) {
      const Segment& seg = day.segments[i];
      // TS to MP4, MP4 to TS, or one MP4 file to the next: a new stream.
      const bool new_file = previous_day != nullptr && previous_day != &day &&
                            (previous_day->map.has_value() || day.map.has_value());
      const ByteRange* range = day.map && i < day.ranges.size() ? &day.ranges[i] : nullptr;
      entries.push_back(
          Entry{&seg, &day, range, previous != nullptr && (new_file || is_break(*previous, seg))});
      target = std::max(target, ceil_seconds(seg.duration_us));
      previous = &seg;
      previous_day = &day;
    }
  }

  // Delta update: skip every segment that starts before the skip boundary.
  int skip_until = options.can_skip_until_s;
  if (skip_until > 0) skip_until = std::max<int>(skip_until, static_cast<int>(6 * target));
  std::size_t skipped = 0;
  if (options.skip && skip_until > 0 && !entries.empty()) {
    std::int64_t total_us = 0;
    for (const auto& e : entries) total_us += e.segment->duration_us;
    const std::int64_t boundary_us = total_us - std::int64_t{skip_until} * k_micros_per_second;
    std::int64_t position_us = 0;
    while (skipped < entries.size() && position_us < boundary_us &&
           position_us + entries[skipped].segment->duration_us <= boundary_us) {
      position_us += entries[skipped].segment->duration_us;
      ++skipped;
    }
  }

  const bool any_map = std::any_of(entries.begin() + static_cast<std::ptrdiff_t>(skipped),
                                   entries.end(), [](const Entry& e) { return e.day->map; });

  std::string out;
  out.reserve(128 + count * 96);
  out += "#EXTM3U\n#EXT-X-VERSION:";
  out += skipped > 0 ? "9" : any_map ? "7" : "3";
  out += "\n#EXT-X-TARGETDURATION:";
  out += std::to_string(target);
  out += "\n#EXT-X-MEDIA-SEQUENCE:";
  out += std::to_string(options.media_sequence);
  out += "\n#EXT-X-PLAYLIST-TYPE:";
  out += options.type == PlaylistOptions::Type::vod ? "VOD" : "EVENT";
  out += '\n';
  if (skip_until > 0) {
    out += "#EXT-X-SERVER-CONTROL:CAN-SKIP-UNTIL=" + std::to_string(skip_until) + ".0\n";
  }
  if (skipped > 0) {
    out += "#EXT-X-SKIP:SKIPPED-SEGMENTS=" + std::to_string(skipped) + "\n";
  }
  for (std::size_t i = skipped; i < entries.size(); ++i) {
    const Entry& e = entries[i];
    if (e.is_break) out += "#EXT-X-DISCONTINUITY\n";
    if (i == skipped || e.is_break) {
      out += "#EXT-X-PROGRAM-DATE-TIME:";
      out += format_iso8601_utc(e.segment->start_us);
      out += '\n';
    }
    if (e.day->map && (i == skipped || entries[i - 1].day != e.day)) {
      out += "#EXT-X-MAP:URI=\"";
      out += e.day->uri_prefix;
      out += e.day->map->name;
      out += "\",BYTERANGE=\"";
      out += std::to_string(e.day->map->init_size_bytes);
      out += "@0\"\n";
    }
    out += "#EXTINF:";
    out += format_extinf(e.segment->duration_us);
    out += ",\n";
    if (e.range != nullptr) {
      out += "#EXT-X-BYTERANGE:";
      out += std::to_string(e.range->size_bytes);
      out += '@';
      out += std::to_string(e.range->offset_bytes);
      out += '\n';
    }
    out += e.day->uri_prefix;
    out += e.segment->name;
    out += '\n';
  }
  if (options.ended) out += "#EXT-X-ENDLIST\n";
  return out;
}

}  // namespace cctv
