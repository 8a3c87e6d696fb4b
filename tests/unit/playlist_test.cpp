// Unit tests for core/playlist: the HLS media playlist writer against RFC 8216
// (and the delta updates of its second edition, draft-pantos-hls-rfc8216bis).
//
// Every playlist is read back by a small strict parser below, so that the tests
// check the structure (header, segments, tags) rather than substrings.
#define BOOST_TEST_MODULE playlist
#include <boost/test/unit_test.hpp>

#include "core/playlist.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

using namespace cctv;

namespace {

constexpr std::int64_t k_s = k_micros_per_second;
// 2026-11-20T10:15:00Z: day 20777 since the epoch (hand-computed), plus 36900 s.
constexpr UtcMicros k_t0 = (20777LL * 86400 + 36900) * k_s;
// 2026-11-21T00:00:00Z.
constexpr UtcMicros k_midnight = 20778LL * 86400 * k_s;
const std::string k_prefix = "/front/2026-11-20/";

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

[[noreturn]] void bad(const std::string& why, const std::string& line) {
  throw std::runtime_error("invalid playlist: " + why + ": \"" + line + "\"");
}

int parse_int(std::string_view text, const std::string& line) {
  if (text.empty() || text.size() > 18) bad("bad integer", line);
  std::int64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') bad("bad integer", line);
    v = v * 10 + (c - '0');
  }
  return static_cast<int>(v);
}

// "#EXTINF:<int>.<3 digits>," -> milliseconds; anything else is an error.
std::int64_t parse_extinf(std::string_view value, const std::string& line) {
  const auto dot = value.find('.');
  if (dot == std::string_view::npos || value.size() != dot + 5 || value.back() != ',') {
    bad("EXTINF must have three decimals and a comma", line);
  }
  const std::int64_t whole = parse_int(value.substr(0, dot), line);
  const std::int64_t frac = parse_int(value.substr(dot + 1, 3), line);
  return whole * 1000 + frac;
}

Parsed parse(const std::string& text) {
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

Segment seg(std::string name, UtcMicros start, std::int64_t duration,
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
std::vector<Segment> run_of(int count, UtcMicros start, std::int64_t duration, int first = 0) {
  std::vector<Segment> out;
  for (int i = 0; i < count; ++i) {
    out.push_back(
        seg("video_" + std::to_string(first + i) + ".ts", start + i * duration, duration));
  }
  return out;
}

std::string one_day(std::vector<Segment> segments, const PlaylistOptions& options = {}) {
  const std::vector<PlaylistDay> days{PlaylistDay{k_prefix, std::move(segments)}};
  return make_playlist(days, options);
}

Parsed parse_one_day(std::vector<Segment> segments, const PlaylistOptions& options = {}) {
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
std::int64_t round_to_seconds(std::int64_t ms) { return (ms + 500) / 1000; }
std::int64_t ceil_to_seconds(std::int64_t ms) { return (ms + 999) / 1000; }
// Microseconds to the nearest millisecond, half up.
std::int64_t to_ms(std::int64_t us) { return (us + 500) / 1000; }

}  // namespace

// ---------------------------------------------------------------- a whole playlist

BOOST_AUTO_TEST_CASE(a_small_day_gives_exactly_the_expected_text) {
  // Written by hand from RFC 8216: two contiguous segments, a 4m40s gap, one more.
  const std::string expected =
      "#EXTM3U\n"
      "#EXT-X-VERSION:3\n"
      "#EXT-X-TARGETDURATION:11\n"
      "#EXT-X-MEDIA-SEQUENCE:0\n"
      "#EXT-X-PLAYLIST-TYPE:VOD\n"
      "#EXT-X-PROGRAM-DATE-TIME:2026-11-20T10:15:00.000Z\n"
      "#EXTINF:10.000,\n"
      "/front/2026-11-20/video_101500.ts\n"
      "#EXTINF:10.040,\n"
      "/front/2026-11-20/video_101510.ts\n"
      "#EXT-X-DISCONTINUITY\n"
      "#EXT-X-PROGRAM-DATE-TIME:2026-11-20T10:20:00.000Z\n"
      "#EXTINF:9.500,\n"
      "/front/2026-11-20/video_102000.ts\n"
      "#EXT-X-ENDLIST\n";
  const std::string text = one_day({seg("video_101500.ts", k_t0, 10 * k_s),
                                    seg("video_101510.ts", k_t0 + 10 * k_s, 10'040'000),
                                    seg("video_102000.ts", k_t0 + 300 * k_s, 9'500'000)});
  BOOST_TEST(text == expected);
}

// ---------------------------------------------------------------- header

BOOST_AUTO_TEST_CASE(header_tags_come_first_in_order_and_once) {
  for (auto type : {PlaylistOptions::Type::vod, PlaylistOptions::Type::event}) {
    for (bool ended : {true, false}) {
      PlaylistOptions options;
      options.type = type;
      options.ended = ended;
      const Parsed p = parse_one_day(run_of(3, k_t0, 10 * k_s), options);
      BOOST_TEST(p.lines.at(0) == "#EXTM3U");
      BOOST_TEST(
          p.header == (std::vector<std::string>{"#EXT-X-VERSION", "#EXT-X-TARGETDURATION",
                                                "#EXT-X-MEDIA-SEQUENCE", "#EXT-X-PLAYLIST-TYPE"}),
          boost::test_tools::per_element());
      BOOST_TEST(p.counts.at("#EXT-X-PLAYLIST-TYPE") == 1);
      BOOST_TEST(p.counts.at("#EXT-X-VERSION") == 1);
      BOOST_TEST(p.counts.at("#EXT-X-TARGETDURATION") == 1);
      BOOST_TEST(p.version == 3);  // decimal EXTINF needs version 3
      BOOST_TEST(!p.counts.contains("#EXT-X-ALLOW-CACHE"));
    }
  }
}

BOOST_AUTO_TEST_CASE(playlist_type_is_vod_or_event) {
  PlaylistOptions vod;
  vod.type = PlaylistOptions::Type::vod;
  BOOST_TEST(parse_one_day(run_of(2, k_t0, 10 * k_s), vod).playlist_type == "VOD");
  PlaylistOptions event;
  event.type = PlaylistOptions::Type::event;
  event.ended = false;
  BOOST_TEST(parse_one_day(run_of(2, k_t0, 10 * k_s), event).playlist_type == "EVENT");
}

BOOST_AUTO_TEST_CASE(endlist_only_when_ended_and_last) {
  PlaylistOptions open;
  open.type = PlaylistOptions::Type::event;
  open.ended = false;
  const Parsed live = parse_one_day(run_of(3, k_t0, 10 * k_s), open);
  BOOST_TEST(!live.endlist);
  BOOST_TEST(!live.counts.contains("#EXT-X-ENDLIST"));
  PlaylistOptions closed;
  closed.type = PlaylistOptions::Type::event;
  closed.ended = true;
  const Parsed done = parse_one_day(run_of(3, k_t0, 10 * k_s), closed);
  BOOST_TEST(done.endlist);
  BOOST_TEST(done.counts.at("#EXT-X-ENDLIST") == 1);
  BOOST_TEST(done.lines.back() == "#EXT-X-ENDLIST");
}

BOOST_AUTO_TEST_CASE(media_sequence_is_the_one_given) {
  PlaylistOptions options;
  options.media_sequence = 4242;
  BOOST_TEST(parse_one_day(run_of(2, k_t0, 10 * k_s), options).media_sequence == 4242);
  BOOST_TEST(parse_one_day(run_of(2, k_t0, 10 * k_s)).media_sequence == 0);
}

BOOST_AUTO_TEST_CASE(segment_uris_are_prefix_plus_name_in_order) {
  const Parsed p = parse_one_day(
      {seg("video_101500.ts", k_t0, 10 * k_s), seg("video_101510.ts", k_t0 + 10 * k_s, 10 * k_s)});
  BOOST_TEST_REQUIRE(p.segments.size() == 2u);
  BOOST_TEST(p.segments[0].uri == "/front/2026-11-20/video_101500.ts");
  BOOST_TEST(p.segments[1].uri == "/front/2026-11-20/video_101510.ts");
}

BOOST_AUTO_TEST_CASE(empty_input_is_a_valid_empty_playlist) {
  const std::vector<PlaylistDay> none;
  const Parsed p = parse(make_playlist(none, PlaylistOptions{}));
  BOOST_TEST(p.segments.empty());
  BOOST_TEST(p.target_duration >= 1);
  BOOST_TEST(p.endlist);
  BOOST_TEST(p.counts.at("#EXT-X-PLAYLIST-TYPE") == 1);
  BOOST_TEST(!p.counts.contains("#EXT-X-PROGRAM-DATE-TIME"));
  // Days without segments are the same as no days.
  const std::vector<PlaylistDay> empty_days{PlaylistDay{"/a/", {}}, PlaylistDay{"/b/", {}}};
  BOOST_TEST(make_playlist(empty_days, PlaylistOptions{}) ==
             make_playlist(none, PlaylistOptions{}));
  PlaylistOptions open;
  open.type = PlaylistOptions::Type::event;
  open.ended = false;
  BOOST_TEST(!parse(make_playlist(none, open)).endlist);
}

// ---------------------------------------------------------------- EXTINF and TARGETDURATION

BOOST_AUTO_TEST_CASE(format_extinf_prints_milliseconds_with_three_decimals) {
  BOOST_TEST(format_extinf(10'040'000) == "10.040");  // not "10.04", not "10"
  BOOST_TEST(format_extinf(10'000'000) == "10.000");
  BOOST_TEST(format_extinf(10'500'000) == "10.500");
  BOOST_TEST(format_extinf(300'000) == "0.300");
  BOOST_TEST(format_extinf(9'999'500) == "10.000");  // half a millisecond rounds up
  BOOST_TEST(format_extinf(9'999'499) == "9.999");
  BOOST_TEST(format_extinf(1'234) == "0.001");
  BOOST_TEST(format_extinf(499) == "0.000");
  BOOST_TEST(format_extinf(0) == "0.000");
  BOOST_TEST(format_extinf(-5) == "0.000");
  BOOST_TEST(format_extinf(3'600'000'000) == "3600.000");
}

BOOST_AUTO_TEST_CASE(target_duration_is_each_extinf_rounded_up_to_a_second) {
  struct Case {
    std::int64_t duration_us;
    const char* extinf;
    int target;
  };
  for (const Case& c : {Case{10'000'000, "10.000", 10}, Case{10'040'000, "10.040", 11},
                        Case{9'999'500, "10.000", 10}, Case{9'999'499, "9.999", 10},
                        Case{10'500'000, "10.500", 11}, Case{300'000, "0.300", 1},
                        Case{10'000'400, "10.000", 10}, Case{10'000'500, "10.001", 11}}) {
    BOOST_TEST_CONTEXT("duration " << c.duration_us << " us") {
      const Parsed p = parse_one_day({seg("a.ts", k_t0, c.duration_us)});
      BOOST_TEST_REQUIRE(p.segments.size() == 1u);
      BOOST_TEST(p.segments[0].lines.back() == k_prefix + "a.ts");
      BOOST_TEST(p.lines.at(p.lines.size() - 3) == std::string("#EXTINF:") + c.extinf + ",");
      BOOST_TEST(p.target_duration == c.target);
      // RFC 8216 4.3.3.1: each EXTINF rounded to the nearest integer <= target.
      BOOST_TEST(round_to_seconds(p.segments[0].extinf_ms) <= p.target_duration);
    }
  }
}

BOOST_AUTO_TEST_CASE(target_duration_covers_the_longest_of_mixed_segments) {
  std::vector<Segment> segs;
  UtcMicros t = k_t0;
  for (std::int64_t d : {10'000'000LL, 10'040'000LL, 9'999'500LL, 10'500'000LL, 300'000LL}) {
    segs.push_back(seg("s" + std::to_string(segs.size()) + ".ts", t, d));
    t += d;
  }
  const Parsed p = parse_one_day(segs);
  BOOST_TEST(p.target_duration == 11);
  for (const auto& s : p.segments) {
    BOOST_TEST(ceil_to_seconds(s.extinf_ms) <= p.target_duration);
    BOOST_TEST(round_to_seconds(s.extinf_ms) <= p.target_duration);
  }
}

BOOST_AUTO_TEST_CASE(target_duration_bounds_every_extinf_for_many_durations) {
  // Durations from 1 ms to 30 s in uneven steps, each alone in a playlist.
  for (std::int64_t d = 1'000; d <= 30'000'000; d = d * 7 / 5 + 333) {
    const Parsed p = parse_one_day({seg("a.ts", k_t0, d)});
    const std::int64_t ms = p.segments.at(0).extinf_ms;
    BOOST_TEST(ms == to_ms(d));
    BOOST_TEST(p.target_duration == std::max<std::int64_t>(1, ceil_to_seconds(ms)));
  }
}

BOOST_AUTO_TEST_CASE(target_duration_never_drops_below_the_floor) {
  PlaylistOptions options;
  options.min_target_duration_s = 10;
  BOOST_TEST(parse_one_day({seg("a.ts", k_t0, 300'000)}, options).target_duration == 10);
  BOOST_TEST(parse_one_day({seg("a.ts", k_t0, 12'000'000)}, options).target_duration == 12);
  options.min_target_duration_s = 0;
  BOOST_TEST(parse_one_day({seg("a.ts", k_t0, 300'000)}, options).target_duration == 1);
}

BOOST_AUTO_TEST_CASE(sum_of_extinf_matches_the_sum_of_durations) {
  // Whole milliseconds add up exactly.
  std::vector<Segment> exact;
  std::int64_t exact_us = 0;
  UtcMicros t = k_t0;
  for (std::int64_t d : {10'040'000LL, 9'960'000LL, 10'001'000LL, 333'000LL, 10'000'000LL}) {
    exact.push_back(seg("e" + std::to_string(exact.size()) + ".ts", t, d));
    exact_us += d;
    t += d;
  }
  BOOST_TEST(parse_one_day(exact).total_ms() * 1000 == exact_us);
  // Otherwise each EXTINF is its own duration rounded to the millisecond.
  std::vector<Segment> odd;
  std::int64_t odd_us = 0;
  std::int64_t rounded_ms = 0;
  t = k_t0;
  for (std::int64_t d : {10'040'400LL, 9'999'500LL, 9'999'499LL, 10'000'600LL, 333'333LL,
                         7'654'321LL, 10'000'001LL}) {
    odd.push_back(seg("o" + std::to_string(odd.size()) + ".ts", t, d));
    odd_us += d;
    rounded_ms += to_ms(d);
    t += d;
  }
  const Parsed p = parse_one_day(odd);
  BOOST_TEST(p.total_ms() == rounded_ms);
  const std::int64_t error_us = p.total_ms() * 1000 - odd_us;
  BOOST_TEST(std::abs(error_us) <= static_cast<std::int64_t>(odd.size()) * 500);
}

// ---------------------------------------------------------------- dates and discontinuities

BOOST_AUTO_TEST_CASE(contiguous_segments_have_one_date_and_no_discontinuity) {
  // Start times come from file names (1 s resolution): up to 1.5 s of jitter
  // either way is still one continuous recording.
  const Parsed p =
      parse_one_day({seg("a.ts", k_t0, 10 * k_s), seg("b.ts", k_t0 + 10 * k_s, 10 * k_s),
                     seg("c.ts", k_t0 + 21 * k_s, 10 * k_s),    // 1 s late
                     seg("d.ts", k_t0 + 30 * k_s, 10 * k_s),    // 1 s early
                     seg("e.ts", k_t0 + 41'500'000, 10 * k_s),  // 1.5 s late
                     seg("f.ts", k_t0 + 50 * k_s, 10 * k_s)});  // 1.5 s early
  BOOST_TEST(p.discontinuities() == 0);
  BOOST_TEST(p.counts.at("#EXT-X-PROGRAM-DATE-TIME") == 1);
  BOOST_TEST(p.segments.at(0).program_date_time.value_or("") == "2026-11-20T10:15:00.000Z");
}

BOOST_AUTO_TEST_CASE(program_date_time_at_start_and_after_every_gap_only) {
  const Parsed p = parse_one_day({
      seg("a.ts", k_t0, 10 * k_s),
      seg("b.ts", k_t0 + 10 * k_s, 10 * k_s),
      seg("c.ts", k_t0 + 20'800'000, 10 * k_s),  // jitter
      seg("d.ts", k_t0 + 60 * k_s, 10 * k_s),    // gap of 29.2 s
      seg("e.ts", k_t0 + 70 * k_s, 10 * k_s),
      seg("f.ts", k_t0 + 81'600'000, 10 * k_s),  // gap of 1.6 s
      seg("g.ts", k_t0 + 91'600'000 + 123'456, 10 * k_s),
  });
  BOOST_TEST_REQUIRE(p.segments.size() == 7u);
  const std::vector<bool> breaks{false, false, false, true, false, true, false};
  const std::vector<std::string> dates{
      "2026-11-20T10:15:00.000Z", "", "", "2026-11-20T10:16:00.000Z", "",
      "2026-11-20T10:16:21.600Z", ""};
  for (std::size_t i = 0; i < p.segments.size(); ++i) {
    BOOST_TEST_CONTEXT("segment " << i) {
      BOOST_TEST(p.segments[i].discontinuity == breaks[i]);
      BOOST_TEST(p.segments[i].program_date_time.value_or("") == dates[i]);
    }
  }
  // The date follows the discontinuity tag, which comes first in its segment.
  BOOST_TEST(p.segments[3].lines.at(0) == "#EXT-X-DISCONTINUITY");
  BOOST_TEST(p.segments[3].lines.at(1) == "#EXT-X-PROGRAM-DATE-TIME:2026-11-20T10:16:00.000Z");
}

BOOST_AUTO_TEST_CASE(program_date_time_keeps_milliseconds_of_the_start) {
  const Parsed p = parse_one_day({seg("a.ts", k_t0 + 123'456, 10 * k_s)});
  BOOST_TEST(p.segments.at(0).program_date_time.value_or("") == "2026-11-20T10:15:00.123Z");
}

BOOST_AUTO_TEST_CASE(a_gap_just_over_the_tolerance_is_a_discontinuity) {
  const Parsed exact =
      parse_one_day({seg("a.ts", k_t0, 10 * k_s), seg("b.ts", k_t0 + 11'500'000, 10 * k_s)});
  BOOST_TEST(exact.discontinuities() == 0);
  const Parsed over =
      parse_one_day({seg("a.ts", k_t0, 10 * k_s), seg("b.ts", k_t0 + 11'500'001, 10 * k_s)});
  BOOST_TEST(over.discontinuities() == 1);
  BOOST_TEST(over.segments.at(1).discontinuity);
}

BOOST_AUTO_TEST_CASE(an_overlap_is_a_discontinuity) {
  // Two recordings of the same time (e.g. a restarted recorder): 5 s overlap.
  const Parsed p =
      parse_one_day({seg("a.ts", k_t0, 10 * k_s), seg("b.ts", k_t0 + 5 * k_s, 10 * k_s)});
  BOOST_TEST(p.segments.at(1).discontinuity);
  BOOST_TEST(p.segments.at(1).program_date_time.value_or("") == "2026-11-20T10:15:05.000Z");
  const Parsed small =
      parse_one_day({seg("a.ts", k_t0, 10 * k_s), seg("b.ts", k_t0 + 8'499'999, 10 * k_s)});
  BOOST_TEST(small.segments.at(1).discontinuity);
}

BOOST_AUTO_TEST_CASE(a_codec_change_is_a_discontinuity) {
  const Parsed p = parse_one_day({seg("a.ts", k_t0, 10 * k_s, "h264 1920x1080"),
                                  seg("b.ts", k_t0 + 10 * k_s, 10 * k_s, "h264 1280x720"),
                                  seg("c.ts", k_t0 + 20 * k_s, 10 * k_s, "h264 1280x720")});
  BOOST_TEST(p.discontinuities() == 1);
  BOOST_TEST(p.segments.at(1).discontinuity);
  BOOST_TEST(p.segments.at(1).program_date_time.has_value());
  BOOST_TEST(!p.segments.at(2).discontinuity);
}

BOOST_AUTO_TEST_CASE(contiguous_days_join_without_a_discontinuity_at_midnight) {
  const std::vector<PlaylistDay> days{
      PlaylistDay{"/front/2026-11-20/",
                  {seg("video_235940.ts", k_midnight - 20 * k_s, 10 * k_s),
                   seg("video_235950.ts", k_midnight - 10 * k_s, 10 * k_s)}},
      PlaylistDay{"/front/2026-11-21/",
                  {seg("video_000000.ts", k_midnight, 10 * k_s),
                   seg("video_000010.ts", k_midnight + 10 * k_s, 10 * k_s)}},
  };
  PlaylistOptions live;
  live.type = PlaylistOptions::Type::event;
  live.ended = false;
  const Parsed p = parse(make_playlist(days, live));
  BOOST_TEST_REQUIRE(p.segments.size() == 4u);
  BOOST_TEST(p.discontinuities() == 0);
  BOOST_TEST(p.counts.at("#EXT-X-PROGRAM-DATE-TIME") == 1);
  BOOST_TEST(p.segments[1].uri == "/front/2026-11-20/video_235950.ts");
  BOOST_TEST(p.segments[2].uri == "/front/2026-11-21/video_000000.ts");
  BOOST_TEST(!p.endlist);
}

BOOST_AUTO_TEST_CASE(a_gap_at_midnight_is_a_discontinuity) {
  const std::vector<PlaylistDay> days{
      PlaylistDay{"/front/2026-11-20/", {seg("video_235900.ts", k_midnight - 60 * k_s, 10 * k_s)}},
      PlaylistDay{"/front/2026-11-21/", {seg("video_000500.ts", k_midnight + 300 * k_s, 10 * k_s)}},
  };
  const Parsed p = parse(make_playlist(days, PlaylistOptions{}));
  BOOST_TEST_REQUIRE(p.segments.size() == 2u);
  BOOST_TEST(p.segments[1].discontinuity);
  BOOST_TEST(p.segments[1].program_date_time.value_or("") == "2026-11-21T00:05:00.000Z");
}

BOOST_AUTO_TEST_CASE(an_empty_day_between_days_does_not_break_the_stream) {
  const std::vector<PlaylistDay> days{
      PlaylistDay{"/a/", {seg("x.ts", k_t0, 10 * k_s)}},
      PlaylistDay{"/b/", {}},
      PlaylistDay{"/c/", {seg("y.ts", k_t0 + 10 * k_s, 10 * k_s)}},
  };
  const Parsed p = parse(make_playlist(days, PlaylistOptions{}));
  BOOST_TEST_REQUIRE(p.segments.size() == 2u);
  BOOST_TEST(p.discontinuities() == 0);
  BOOST_TEST(p.segments[1].uri == "/c/y.ts");
}

// ---------------------------------------------------------------- delta updates

namespace {

PlaylistOptions live_options(int can_skip_until_s, bool skip) {
  PlaylistOptions o;
  o.type = PlaylistOptions::Type::event;
  o.ended = false;
  o.media_sequence = 7;
  o.can_skip_until_s = can_skip_until_s;
  o.skip = skip;
  return o;
}

// Checks that `delta` is `full` with its first n segments replaced by one
// EXT-X-SKIP:SKIPPED-SEGMENTS=n, and that n honours the skip boundary.
void check_delta_matches_full(const Parsed& full, const Parsed& delta, int skip_boundary_s) {
  BOOST_TEST_REQUIRE(delta.skipped_segments.has_value());
  const auto n = static_cast<std::size_t>(*delta.skipped_segments);
  BOOST_TEST_REQUIRE(n > 0u);
  BOOST_TEST_REQUIRE(n + delta.segments.size() == full.segments.size());
  BOOST_TEST(!full.skipped_segments.has_value());
  BOOST_TEST(delta.version >= 9);  // EXT-X-SKIP needs version 9
  BOOST_TEST(delta.counts.at("#EXT-X-SKIP") == 1);
  BOOST_TEST(delta.media_sequence == full.media_sequence);  // skipped ones still count
  BOOST_TEST(delta.target_duration == full.target_duration);
  BOOST_TEST(delta.playlist_type == full.playlist_type);
  BOOST_TEST(delta.server_control.value_or("-") == full.server_control.value_or("-"));
  BOOST_TEST(delta.endlist == full.endlist);
  // The skip tag sits in the header, after the server control.
  BOOST_TEST(delta.header.back() == "#EXT-X-SKIP");
  // Everything within the boundary of the end is present: the segments kept add
  // up to at least the boundary, and the last one skipped is outside it.
  std::int64_t kept_ms = 0;
  for (const auto& s : delta.segments) kept_ms += s.extinf_ms;
  BOOST_TEST(kept_ms >= skip_boundary_s * 1000);
  BOOST_TEST(kept_ms - delta.segments.front().extinf_ms < skip_boundary_s * 1000);
  // Segment by segment the same lines, except that the first one after the skip
  // restates its date.
  for (std::size_t i = 0; i < delta.segments.size(); ++i) {
    const ParsedSegment& d = delta.segments[i];
    const ParsedSegment& f = full.segments[n + i];
    BOOST_TEST_CONTEXT("delta segment " << i) {
      if (i == 0) {
        BOOST_TEST(d.program_date_time.has_value());
        BOOST_TEST(d.discontinuity == f.discontinuity);
        std::vector<std::string> without_date;
        for (const auto& line : d.lines) {
          if (!f.program_date_time && line.starts_with("#EXT-X-PROGRAM-DATE-TIME:")) continue;
          if (!f.map && line.starts_with("#EXT-X-MAP:")) continue;
          without_date.push_back(line);
        }
        BOOST_TEST(without_date == f.lines, boost::test_tools::per_element());
      } else {
        BOOST_TEST(d.lines == f.lines, boost::test_tools::per_element());
      }
    }
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(can_skip_until_is_advertised_at_least_six_target_durations) {
  BOOST_TEST(!parse_one_day(run_of(30, k_t0, 10 * k_s), live_options(0, false))
                  .server_control.has_value());
  struct Case {
    std::int64_t duration_us;
    int asked_s;
    const char* advertised;
  };
  for (const Case& c : {Case{10 * k_s, 60, "CAN-SKIP-UNTIL=60.0"},
                        Case{10 * k_s, 12, "CAN-SKIP-UNTIL=60.0"},  // raised to 6 x 10
                        Case{10 * k_s, 120, "CAN-SKIP-UNTIL=120.0"},
                        Case{10'040'000, 12, "CAN-SKIP-UNTIL=66.0"},  // target 11
                        Case{2 * k_s, 1, "CAN-SKIP-UNTIL=12.0"}}) {
    const Parsed p = parse_one_day(run_of(30, k_t0, c.duration_us), live_options(c.asked_s, false));
    BOOST_TEST(p.server_control.value_or("") == c.advertised);
    BOOST_TEST(p.version == 3);  // a full playlist stays at version 3
    BOOST_TEST(!p.skipped_segments.has_value());
    BOOST_TEST(p.header == (std::vector<std::string>{
                               "#EXT-X-VERSION", "#EXT-X-TARGETDURATION", "#EXT-X-MEDIA-SEQUENCE",
                               "#EXT-X-PLAYLIST-TYPE", "#EXT-X-SERVER-CONTROL"}),
               boost::test_tools::per_element());
  }
}

BOOST_AUTO_TEST_CASE(delta_update_skips_segments_older_than_the_boundary) {
  // 30 x 10 s = 300 s, boundary 60 s: the 24 segments that end by 240 s go.
  const auto segments = run_of(30, k_t0, 10 * k_s);
  const Parsed full = parse_one_day(segments, live_options(60, false));
  const Parsed delta = parse_one_day(segments, live_options(60, true));
  BOOST_TEST(delta.skipped_segments.value_or(-1) == 24);
  BOOST_TEST(delta.segments.size() == 6u);
  BOOST_TEST(delta.version == 9);
  BOOST_TEST(delta.segments.front().uri == k_prefix + "video_24.ts");
  // The first segment after the skip restates its date: 10:15:00 + 240 s.
  BOOST_TEST(delta.segments.front().program_date_time.value_or("") == "2026-11-20T10:19:00.000Z");
  BOOST_TEST(delta.counts.at("#EXT-X-PROGRAM-DATE-TIME") == 1);
  check_delta_matches_full(full, delta, 60);
}

BOOST_AUTO_TEST_CASE(delta_update_with_uneven_durations_is_consistent_with_the_full_playlist) {
  // 30 x 10.04 s = 301.2 s, target 11, boundary 66 s: segments ending by 235.2 s go,
  // i.e. 23 of them (23 x 10.04 = 230.92; 24 x 10.04 = 240.96).
  const auto segments = run_of(30, k_t0, 10'040'000);
  const Parsed full = parse_one_day(segments, live_options(12, false));
  const Parsed delta = parse_one_day(segments, live_options(12, true));
  BOOST_TEST(delta.server_control.value_or("") == "CAN-SKIP-UNTIL=66.0");
  BOOST_TEST(delta.skipped_segments.value_or(-1) == 23);
  check_delta_matches_full(full, delta, 66);
}

BOOST_AUTO_TEST_CASE(delta_update_keeps_a_discontinuity_right_after_the_skipped_part) {
  // 24 contiguous segments, a 100 s gap, 6 more: the first kept one starts the break.
  auto segments = run_of(24, k_t0, 10 * k_s);
  for (auto& s : run_of(6, k_t0 + 340 * k_s, 10 * k_s, 24)) segments.push_back(s);
  const Parsed full = parse_one_day(segments, live_options(60, false));
  const Parsed delta = parse_one_day(segments, live_options(60, true));
  BOOST_TEST_REQUIRE(delta.skipped_segments.value_or(-1) == 24);
  const ParsedSegment& first = delta.segments.front();
  BOOST_TEST(first.discontinuity);
  BOOST_TEST(first.lines.at(0) == "#EXT-X-DISCONTINUITY");
  BOOST_TEST(first.program_date_time.value_or("") == "2026-11-20T10:20:40.000Z");
  BOOST_TEST(delta.counts.at("#EXT-X-PROGRAM-DATE-TIME") == 1);  // not twice
  check_delta_matches_full(full, delta, 60);
}

BOOST_AUTO_TEST_CASE(delta_update_drops_discontinuities_inside_the_skipped_part) {
  // A gap between segments 5 and 6 lies in the skipped part.
  auto segments = run_of(6, k_t0, 10 * k_s);
  for (auto& s : run_of(24, k_t0 + 100 * k_s, 10 * k_s, 6)) segments.push_back(s);
  const Parsed full = parse_one_day(segments, live_options(60, false));
  const Parsed delta = parse_one_day(segments, live_options(60, true));
  BOOST_TEST(full.discontinuities() == 1);
  BOOST_TEST(delta.discontinuities() == 0);
  check_delta_matches_full(full, delta, 60);
}

BOOST_AUTO_TEST_CASE(delta_update_of_a_short_playlist_is_the_full_playlist) {
  // 5 x 10 s is within the 60 s boundary: nothing can be skipped.
  const auto segments = run_of(5, k_t0, 10 * k_s);
  const std::string full = one_day(segments, live_options(60, false));
  const std::string delta = one_day(segments, live_options(60, true));
  BOOST_TEST(delta == full);
  BOOST_TEST(parse(delta).version == 3);
  BOOST_TEST(!parse(delta).skipped_segments.has_value());
}

BOOST_AUTO_TEST_CASE(skip_without_can_skip_until_is_ignored) {
  const auto segments = run_of(30, k_t0, 10 * k_s);
  PlaylistOptions asked = live_options(0, true);
  const std::string text = one_day(segments, asked);
  BOOST_TEST(text == one_day(segments, live_options(0, false)));
  BOOST_TEST(!parse(text).server_control.has_value());
  BOOST_TEST(parse(text).segments.size() == 30u);
}

BOOST_AUTO_TEST_CASE(delta_update_across_days_uses_each_days_prefix) {
  const std::vector<PlaylistDay> days{
      PlaylistDay{"/front/2026-11-20/", run_of(20, k_midnight - 200 * k_s, 10 * k_s)},
      PlaylistDay{"/front/2026-11-21/", run_of(10, k_midnight, 10 * k_s, 20)},
  };
  const Parsed full = parse(make_playlist(days, live_options(60, false)));
  const Parsed delta = parse(make_playlist(days, live_options(60, true)));
  BOOST_TEST(full.discontinuities() == 0);
  BOOST_TEST(delta.skipped_segments.value_or(-1) == 24);
  BOOST_TEST(delta.segments.front().uri == "/front/2026-11-21/video_24.ts");
  BOOST_TEST(delta.segments.front().program_date_time.value_or("") == "2026-11-21T00:00:40.000Z");
  check_delta_matches_full(full, delta, 60);
}

// ---------------------------------------------------------------- converted days (fMP4)
// RFC 8216 4.3.2.2 (EXT-X-BYTERANGE: <n>@<o>), 4.3.2.5 (EXT-X-MAP: URI, BYTERANGE
// "<n>@<o>"), 7 (version 4 for BYTERANGE, 6 for MAP in a media playlist; we say 7)
// and the shape that ffprobe, ffmpeg and hls.js play (PEERS.md section 5).

namespace {

// A converted day: `count` contiguous fragments of `duration` in one video.mp4,
// with an init section of `init` bytes and fragments of 1000 + i bytes.
PlaylistDay converted(std::string prefix, int count, UtcMicros start, std::int64_t duration,
                      std::int64_t init = 3739, std::string codec = "hevc 1920x1080") {
  PlaylistDay day{std::move(prefix), {}};
  day.map = PlaylistMap{"video.mp4", init};
  std::int64_t offset = init;
  for (int i = 0; i < count; ++i) {
    day.segments.push_back(seg("video.mp4", start + i * duration, duration, codec));
    day.ranges.push_back(ByteRange{offset, 1000 + i});
    offset += 1000 + i;
  }
  return day;
}

PlaylistOptions live_event() {
  PlaylistOptions o;
  o.type = PlaylistOptions::Type::event;
  o.ended = false;
  return o;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_converted_day_gives_exactly_the_byte_range_playlist) {
  const std::vector<PlaylistDay> days{converted("/front/2026-11-20/", 3, k_t0, 4 * k_s)};
  const std::string expected =
      "#EXTM3U\n"
      "#EXT-X-VERSION:7\n"
      "#EXT-X-TARGETDURATION:4\n"
      "#EXT-X-MEDIA-SEQUENCE:0\n"
      "#EXT-X-PLAYLIST-TYPE:VOD\n"
      "#EXT-X-PROGRAM-DATE-TIME:2026-11-20T10:15:00.000Z\n"
      "#EXT-X-MAP:URI=\"/front/2026-11-20/video.mp4\",BYTERANGE=\"3739@0\"\n"
      "#EXTINF:4.000,\n"
      "#EXT-X-BYTERANGE:1000@3739\n"
      "/front/2026-11-20/video.mp4\n"
      "#EXTINF:4.000,\n"
      "#EXT-X-BYTERANGE:1001@4739\n"
      "/front/2026-11-20/video.mp4\n"
      "#EXTINF:4.000,\n"
      "#EXT-X-BYTERANGE:1002@5740\n"
      "/front/2026-11-20/video.mp4\n"
      "#EXT-X-ENDLIST\n";
  BOOST_TEST(make_playlist(days, PlaylistOptions{}) == expected);
}

BOOST_AUTO_TEST_CASE(a_converted_day_has_one_map_and_a_byte_range_per_fragment) {
  const std::vector<PlaylistDay> days{converted("/front/2026-11-20/", 360, k_t0, 10'040'000)};
  const Parsed p = parse(make_playlist(days, PlaylistOptions{}));
  BOOST_TEST(p.version == 7);
  BOOST_TEST_REQUIRE(p.segments.size() == 360u);
  BOOST_TEST(p.counts.at("#EXT-X-MAP") == 1);
  BOOST_TEST(p.segments.front().map.value_or("") ==
             "URI=\"/front/2026-11-20/video.mp4\",BYTERANGE=\"3739@0\"");
  BOOST_TEST(p.discontinuities() == 0);
  BOOST_TEST(p.counts.at("#EXT-X-PROGRAM-DATE-TIME") == 1);
  BOOST_TEST(p.target_duration == 11);
  std::int64_t offset = 3739;  // the fragments follow the init section back to back
  for (std::size_t i = 0; i < p.segments.size(); ++i) {
    const auto size = static_cast<std::int64_t>(1000 + i);
    BOOST_TEST(p.segments[i].byterange.value_or("") ==
               std::to_string(size) + "@" + std::to_string(offset));
    BOOST_TEST(p.segments[i].uri == "/front/2026-11-20/video.mp4");
    BOOST_TEST(p.segments[i].extinf_ms == 10'040);
    offset += size;
  }
  BOOST_TEST(p.total_ms() == 360 * 10'040);
}

BOOST_AUTO_TEST_CASE(ts_days_alone_stay_version_3_without_map_or_byte_range) {
  const Parsed p = parse_one_day(run_of(5, k_t0, 10 * k_s));
  BOOST_TEST(p.version == 3);
  BOOST_TEST(p.counts.count("#EXT-X-MAP") == 0u);
  BOOST_TEST(p.counts.count("#EXT-X-BYTERANGE") == 0u);
}

BOOST_AUTO_TEST_CASE(live_playlist_breaks_where_it_passes_between_ts_and_mp4_days) {
  // The 19th (its last 20 s) and the 20th converted, the 21st still TS, all
  // contiguous at midnight and with the same codec string: each change of file is
  // still a new stream (timestamps and init section start again).
  const UtcMicros m20 = k_midnight - 86400 * k_s;
  const UtcMicros m21 = k_midnight;
  const std::vector<PlaylistDay> days{
      converted("/front/2026-11-19/", 2, m20 - 20 * k_s, 10 * k_s, 100, "h264 1920x1080"),
      converted("/front/2026-11-20/", 8640, m20, 10 * k_s, 200, "h264 1920x1080"),
      PlaylistDay{"/front/2026-11-21/", run_of(5, m21, 10 * k_s)},
  };
  const Parsed p = parse(make_playlist(days, live_event()));
  BOOST_TEST_REQUIRE(p.segments.size() == 2u + 8640u + 5u);
  BOOST_TEST(p.version == 7);
  BOOST_TEST(!p.endlist);
  BOOST_TEST(p.counts.at("#EXT-X-MAP") == 2);
  BOOST_TEST(p.discontinuities() == 2);
  const ParsedSegment& first20 = p.segments.at(2);
  BOOST_TEST(first20.discontinuity);
  BOOST_TEST(first20.program_date_time.value_or("") == "2026-11-20T00:00:00.000Z");
  BOOST_TEST(first20.map.value_or("") == "URI=\"/front/2026-11-20/video.mp4\",BYTERANGE=\"200@0\"");
  BOOST_TEST(first20.lines.at(0) == "#EXT-X-DISCONTINUITY");
  BOOST_TEST(first20.byterange.value_or("") == "1000@200");
  const ParsedSegment& first21 = p.segments.at(2 + 8640);
  BOOST_TEST(first21.discontinuity);
  BOOST_TEST(first21.program_date_time.value_or("") == "2026-11-21T00:00:00.000Z");
  BOOST_TEST(!first21.map.has_value());
  BOOST_TEST(!first21.byterange.has_value());
  BOOST_TEST(first21.uri == "/front/2026-11-21/video_0.ts");
  BOOST_TEST(p.counts.at("#EXT-X-PROGRAM-DATE-TIME") == 3);
}

BOOST_AUTO_TEST_CASE(a_gap_inside_a_converted_day_is_a_discontinuity_without_a_new_map) {
  PlaylistDay day = converted("/front/2026-11-20/", 4, k_t0, 10 * k_s);
  day.segments[2].start_us += 600 * k_s;
  day.segments[3].start_us += 600 * k_s;
  const std::vector<PlaylistDay> days{day};
  const Parsed p = parse(make_playlist(days, PlaylistOptions{}));
  BOOST_TEST(p.discontinuities() == 1);
  BOOST_TEST(p.segments.at(2).discontinuity);
  BOOST_TEST(p.segments.at(2).program_date_time.value_or("") == "2026-11-20T10:25:20.000Z");
  BOOST_TEST(p.counts.at("#EXT-X-MAP") == 1);
}

BOOST_AUTO_TEST_CASE(delta_update_into_a_converted_day_restates_its_map) {
  const std::vector<PlaylistDay> days{
      converted("/front/2026-11-20/", 30, k_midnight - 300 * k_s, 10 * k_s)};
  PlaylistOptions full_options = live_event();
  full_options.can_skip_until_s = 60;
  PlaylistOptions delta_options = full_options;
  delta_options.skip = true;
  const Parsed full = parse(make_playlist(days, full_options));
  const Parsed delta = parse(make_playlist(days, delta_options));
  BOOST_TEST(full.version == 7);
  BOOST_TEST(delta.version == 9);
  BOOST_TEST_REQUIRE(delta.skipped_segments.value_or(-1) == 24);
  BOOST_TEST(delta.segments.front().map.value_or("") ==
             "URI=\"/front/2026-11-20/video.mp4\",BYTERANGE=\"3739@0\"");
  BOOST_TEST(delta.counts.at("#EXT-X-MAP") == 1);
  check_delta_matches_full(full, delta, 60);
}

BOOST_AUTO_TEST_CASE(a_delta_update_that_skips_the_converted_day_is_version_9_without_map) {
  const std::vector<PlaylistDay> days{
      converted("/front/2026-11-19/", 30, k_midnight - 300 * k_s, 10 * k_s),
      PlaylistDay{"/front/2026-11-20/", run_of(10, k_midnight, 10 * k_s)},
  };
  PlaylistOptions options = live_event();
  options.can_skip_until_s = 60;
  options.skip = true;
  const Parsed p = parse(make_playlist(days, options));
  BOOST_TEST(p.version == 9);
  BOOST_TEST(p.counts.count("#EXT-X-MAP") == 0u);
  BOOST_TEST(p.segments.front().uri == "/front/2026-11-20/video_4.ts");
}
