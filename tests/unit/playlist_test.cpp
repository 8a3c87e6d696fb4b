// Unit tests for core/playlist: the HLS media playlist writer against RFC 8216: the
// header, EXTINF and TARGETDURATION, dates and discontinuities. Delta updates and
// converted days are in playlist_delta_test.cpp.
//
// Every playlist is read back by the small strict parser of playlist_fixture.hpp, so
// that the tests check the structure (header, segments, tags) rather than substrings.
#define BOOST_TEST_MODULE playlist
#include <boost/test/unit_test.hpp>

#include "core/playlist.hpp"
#include "tests/unit/playlist_fixture.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

using namespace cctv;
using namespace cctv::test;

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
