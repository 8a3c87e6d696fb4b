// Helpers of the core/playlist unit tests (playlist_test.cpp, playlist_delta_test.cpp):
// a small strict parser that reads every playlist back, so that the tests check the
// structure (header, segments, tags) rather than substrings, and segment rows.
#pragma once

#include "core/playlist.hpp"

#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace cctv::test {

inline constexpr std::int64_t k_s = k_micros_per_second;
// 2026-11-20T10:15:00Z: day 20777 since the epoch (hand-computed), plus 36900 s.
inline constexpr UtcMicros k_t0 = (20777LL * 86400 + 36900) * k_s;
// 2026-11-21T00:00:00Z.
inline constexpr UtcMicros k_midnight = 20778LL * 86400 * k_s;
inline const std::string k_prefix = "/front/2026-11-20/";

// ---------------------------------------------------------------- a tiny parser

struct ParsedSegment {
  bool discontinuity = false;
  std::optional<std::string> program_date_time;
  std::int64_t extinf_ms = -1;
  std::optional<std::string> map;        // #EXT-X-MAP value before this segment
  std::optional<std::string> byterange;  // #EXT-X-BYTERANGE value
  std::string uri;
  std::vector<std::string> lines;  // every line of the segment, its URI last
};

struct Parsed {
  std::vector<std::string> lines;
  std::vector<std::string> header;    // tag names before the first segment, in order
  std::map<std::string, int> counts;  // tag name -> occurrences
  int version = -1;
  int target_duration = -1;
  std::int64_t media_sequence = -1;
  std::string playlist_type;
  std::optional<std::string> server_control;
  std::optional<int> skipped_segments;
  bool endlist = false;
  std::vector<ParsedSegment> segments;

  [[nodiscard]] std::int64_t total_ms() const {
    std::int64_t ms = 0;
    for (const auto& s : segments) ms += s.extinf_ms;
    return ms;
  }
  [[nodiscard]] int discontinuities() const {
    int n = 0;
    for (const auto& s : segments) n += s.discontinuity ? 1 : 0;
    return n;
  }
};

[[noreturn]] inline void bad(const std::string& why, const std::string& line) {
  throw std::runtime_error("invalid playlist: " + why + ": \"" + line + "\"");
}

inline int parse_int(std::string_view text, const std::string& line) {
  if (text.empty() || text.size() > 18) bad("bad integer", line);
  std::int64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') bad("bad integer", line);
    v = v * 10 + (c - '0');
  }
  return static_cast<int>(v);
}

// "#EXTINF:<int>.<3 digits>," -> milliseconds; anything else is an error.
inline std::int64_t parse_extinf(std::string_view value, const std::string& line) {
  const auto dot = value.find('.');
  if (dot == std::string_view::npos || value.size() != dot + 5 || value.back() != ',') {
    bad("EXTINF must have three decimals and a comma", line);
  }
  const std::int64_t whole = parse_int(value.substr(0, dot), line);
  const std::int64_t frac = parse_int(value.substr(dot + 1, 3), line);
  return whole * 1000 + frac;
}

inline Parsed parse(const std::string& text) {
  Parsed p;
  if (text.empty() || text.back() != '\n') bad("must end with a newline", text);
  if (text.find('\r') != std::string::npos) bad("no CR", text);
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) p.lines.push_back(line);
  if (p.lines.empty() || p.lines[0] != "#EXTM3U") bad("must start with #EXTM3U", text);

  std::optional<ParsedSegment> pending;
  for (std::size_t i = 1; i < p.lines.size(); ++i) {
    const std::string& line = p.lines[i];
    if (line.empty()) bad("empty line", line);
    if (p.endlist) bad("nothing may follow #EXT-X-ENDLIST", line);
    if (line[0] != '#') {  // a URI closes the segment
      if (!pending || pending->extinf_ms < 0) bad("URI without #EXTINF", line);
      pending->uri = line;
      pending->lines.push_back(line);
      p.segments.push_back(*pending);
      pending.reset();
      continue;
    }
    const auto colon = line.find(':');
    const std::string name = line.substr(0, colon);
    const std::string value = colon == std::string::npos ? "" : line.substr(colon + 1);
    ++p.counts[name];
    const bool in_header = p.segments.empty() && !pending;
    if (name == "#EXT-X-VERSION" || name == "#EXT-X-TARGETDURATION" ||
        name == "#EXT-X-MEDIA-SEQUENCE" || name == "#EXT-X-PLAYLIST-TYPE" ||
        name == "#EXT-X-SERVER-CONTROL" || name == "#EXT-X-SKIP") {
      if (!in_header) bad("playlist tag after a segment", line);
      p.header.push_back(name);
      if (name == "#EXT-X-VERSION") p.version = parse_int(value, line);
      if (name == "#EXT-X-TARGETDURATION") p.target_duration = parse_int(value, line);
      if (name == "#EXT-X-MEDIA-SEQUENCE") p.media_sequence = parse_int(value, line);
      if (name == "#EXT-X-PLAYLIST-TYPE") p.playlist_type = value;
      if (name == "#EXT-X-SERVER-CONTROL") p.server_control = value;
      if (name == "#EXT-X-SKIP") {
        if (!value.starts_with("SKIPPED-SEGMENTS=")) bad("bad SKIP", line);
        p.skipped_segments = parse_int(value.substr(17), line);
      }
      continue;
    }
    if (name == "#EXT-X-ENDLIST") {
      if (pending) bad("ENDLIST inside a segment", line);
      p.endlist = true;
      continue;
    }
    if (!pending) pending.emplace();
    pending->lines.push_back(line);
    if (name == "#EXT-X-DISCONTINUITY") {
      if (pending->discontinuity || pending->extinf_ms >= 0) bad("misplaced DISCONTINUITY", line);
      pending->discontinuity = true;
    } else if (name == "#EXT-X-PROGRAM-DATE-TIME") {
      if (pending->program_date_time || pending->extinf_ms >= 0) bad("misplaced PDT", line);
      pending->program_date_time = value;
    } else if (name == "#EXTINF") {
      if (pending->extinf_ms >= 0) bad("two EXTINF", line);
      pending->extinf_ms = parse_extinf(value, line);
    } else if (name == "#EXT-X-MAP") {
      // RFC 8216 4.3.2.5: URI and BYTERANGE attributes, both quoted strings.
      if (pending->map || pending->extinf_ms >= 0) bad("misplaced MAP", line);
      if (!value.starts_with("URI=\"")) bad("MAP without URI", line);
      pending->map = value;
    } else if (name == "#EXT-X-BYTERANGE") {
      // RFC 8216 4.3.2.2: <n>[@<o>]; we always write the offset.
      if (pending->byterange || pending->extinf_ms < 0) bad("misplaced BYTERANGE", line);
      const auto at = value.find('@');
      if (at == std::string::npos) bad("BYTERANGE without offset", line);
      parse_int(value.substr(0, at), line);
      parse_int(value.substr(at + 1), line);
      pending->byterange = value;
    } else {
      bad("unexpected tag", line);
    }
  }
  if (pending) bad("segment without URI at the end", text);
  return p;
}

// ---------------------------------------------------------------- helpers

inline Segment seg(std::string name, UtcMicros start, std::int64_t duration,
                   std::string codec = "h264 1920x1080") {
  Segment s;
  s.date = Date{2026, 11, 20};
  s.name = std::move(name);
  s.start_us = start;
  s.duration_us = duration;
  s.size_bytes = 1000;
  s.codec = std::move(codec);
  return s;
}

// `count` contiguous segments of `duration` from `start`, named video_NNN.ts.
inline std::vector<Segment> run_of(int count, UtcMicros start, std::int64_t duration,
                                   int first = 0) {
  std::vector<Segment> out;
  for (int i = 0; i < count; ++i) {
    out.push_back(
        seg("video_" + std::to_string(first + i) + ".ts", start + i * duration, duration));
  }
  return out;
}

inline std::string one_day(std::vector<Segment> segments, const PlaylistOptions& options = {}) {
  const std::vector<PlaylistDay> days{PlaylistDay{k_prefix, std::move(segments)}};
  return make_playlist(days, options);
}

inline Parsed parse_one_day(std::vector<Segment> segments, const PlaylistOptions& options = {}) {
  const std::string text = one_day(std::move(segments), options);
  BOOST_TEST_INFO("playlist:\n" << text);
  try {
    return parse(text);
  } catch (const std::exception& e) {
    BOOST_FAIL(e.what() << "\n" << text);
  }
  return {};
}

// Nearest-integer rounding of milliseconds to seconds, half up (RFC 8216 4.3.3.1).
inline std::int64_t round_to_seconds(std::int64_t ms) { return (ms + 500) / 1000; }
inline std::int64_t ceil_to_seconds(std::int64_t ms) { return (ms + 999) / 1000; }
// Microseconds to the nearest millisecond, half up.
inline std::int64_t to_ms(std::int64_t us) { return (us + 500) / 1000; }

}  // namespace cctv::test
