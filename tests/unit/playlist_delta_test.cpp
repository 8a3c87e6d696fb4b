// Unit tests for core/playlist, continued: the delta updates of RFC 8216bis
// (EXT-X-SKIP, CAN-SKIP-UNTIL) and converted days (fMP4: EXT-X-MAP and EXT-X-BYTERANGE),
// also mixed with MPEG-TS days. Playlists are read back by the parser in
// playlist_fixture.hpp.
#define BOOST_TEST_MODULE playlist_delta
#include <boost/test/unit_test.hpp>

#include "core/playlist.hpp"
#include "tests/unit/playlist_fixture.hpp"

#include <cstdint>
#include <string>
#include <vector>

using namespace cctv;
using namespace cctv::test;

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
