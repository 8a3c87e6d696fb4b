// Unit tests for worker/recorder_segmenter: the wall-clock timeline of a stream
// (probe buffering, jitter, drift), segment spans, and the cut rule (boundaries in
// the camera's local time, midnight, DST days).
#define BOOST_TEST_MODULE recorder_segmenter
#include <boost/test/unit_test.hpp>

#include "worker/recorder_segmenter.hpp"

#include <stdexcept>

using namespace cctv;
using namespace cctv::worker;

namespace {

constexpr std::int64_t k_s = k_micros_per_second;

TimeZone zone(const char* name) {
  auto z = TimeZone::load(name);
  if (!z) throw std::runtime_error(z.error().message);
  return *z;
}

UtcMicros local(const TimeZone& z, int y, int mo, int d, int h, int mi, int s) {
  return z.to_utc(LocalTime{Date{y, mo, d}, h, mi, s});
}

std::string text(const TimeZone& z, UtcMicros t) {
  const LocalTime l = z.to_local(t);
  return format_date(l.date) + " " + format_hhmmss(l.hour * 3600 + l.minute * 60 + l.second) + "." +
         std::to_string((t % k_s + k_s) % k_s / 1000);
}

}  // namespace

// ---------------------------------------------------------------- Timeline

BOOST_AUTO_TEST_CASE(the_first_packet_anchors_the_timeline) {
  Timeline t;
  BOOST_TEST(!t.anchored());
  t.observe(1000 * k_s, 90 * k_s);
  BOOST_TEST(t.anchored());
  BOOST_TEST(t.wall_of(90 * k_s) == 1000 * k_s);
  BOOST_TEST(t.wall_of(92 * k_s + 500'000) == 1002 * k_s + 500'000);
}

BOOST_AUTO_TEST_CASE(packets_buffered_while_probing_do_not_make_the_start_late) {
  // find_stream_info held 3 s of packets; they are all read at 1003 s, then the
  // stream goes on in real time.
  Timeline t;
  for (int i = 0; i <= 30; ++i) t.observe(1003 * k_s + 20'000, i * 100'000);
  for (int i = 31; i <= 60; ++i) t.observe(1000 * k_s + i * 100'000 + 20'000, i * 100'000);
  // The first packet was captured at about 1000 s (+ 20 ms of network).
  BOOST_TEST(t.wall_of(0) == 1000 * k_s + 20'000);
}

BOOST_AUTO_TEST_CASE(late_packets_and_jitter_do_not_move_the_anchor) {
  Timeline t;
  t.observe(1000 * k_s, 0);
  t.observe(1000 * k_s + 4 * k_s, k_s);  // a burst after a 3 s hiccup
  t.observe(1000 * k_s + 2 * k_s + 30'000, 2 * k_s);
  BOOST_TEST(t.wall_of(0) == 1000 * k_s + 2'000);  // rose by the drift allowance only
}

BOOST_AUTO_TEST_CASE(a_slow_camera_clock_is_followed_slowly) {
  // The camera's clock runs 500 ppm slow: after 1000 s of stream, 1000.5 s passed.
  Timeline t;
  t.observe(0, 0);
  for (int i = 1; i <= 1000; ++i) {
    t.observe(static_cast<UtcMicros>(i) * 1'000'500, static_cast<std::int64_t>(i) * k_s);
  }
  BOOST_TEST(t.wall_of(1000 * k_s) == 1000 * 1'000'500);
  // A fast camera clock pulls the anchor down at once.
  Timeline fast;
  fast.observe(10 * k_s, 0);
  fast.observe(10 * k_s + 999'000, k_s);
  BOOST_TEST(fast.wall_of(k_s) == 10 * k_s + 999'000);
}

BOOST_AUTO_TEST_CASE(a_clock_stepped_forward_restarts_the_timeline) {
  Timeline t;
  t.observe(1000 * k_s, 0);
  t.observe(1001 * k_s, k_s);
  t.observe(1002 * k_s + 3600 * k_s, 2 * k_s);  // NTP stepped the clock an hour ahead
  BOOST_TEST(t.wall_of(2 * k_s) == 1002 * k_s + 3600 * k_s);
  t.observe(1003 * k_s + 3600 * k_s - 5000, 3 * k_s);  // and on from there
  BOOST_TEST(t.wall_of(3 * k_s) == 1003 * k_s + 3600 * k_s - 5000);
  // A stall shorter than that (a burst after a few seconds) is only lateness.
  t.observe(1003 * k_s + 3600 * k_s + 20 * k_s, 4 * k_s);
  BOOST_TEST(t.wall_of(4 * k_s) < 1004 * k_s + 3600 * k_s);
}

// ---------------------------------------------------------------- SegmentSpan

BOOST_AUTO_TEST_CASE(a_span_ends_at_the_next_segment_or_its_last_frame) {
  SegmentSpan span;
  BOOST_TEST(span.empty());
  BOOST_TEST(span.duration(std::nullopt) == 1);
  for (int i = 0; i < 20; ++i) span.add(5 * k_s + i * 100'000, 100'000);
  BOOST_TEST(span.first() == 5 * k_s);
  BOOST_TEST(span.duration(7 * k_s) == 2 * k_s);
  BOOST_TEST(span.duration(std::nullopt) == 2 * k_s);
  // Without packet durations, up to the start of the last frame.
  SegmentSpan bare;
  bare.add(0, 0);
  bare.add(900'000, 0);
  BOOST_TEST(bare.duration(std::nullopt) == 900'000);
  // B-frames: the earliest presentation time is the start.
  SegmentSpan reordered;
  reordered.add(200'000, 100'000);
  reordered.add(0, 100'000);
  reordered.add(100'000, 100'000);
  BOOST_TEST(reordered.first() == 0);
  BOOST_TEST(reordered.duration(std::nullopt) == 300'000);
}

// ---------------------------------------------------------------- Segmenter

BOOST_AUTO_TEST_CASE(boundaries_fall_on_multiples_of_the_segment_length) {
  const TimeZone utc = TimeZone::utc();
  const Segmenter ten(utc, 10);
  const UtcMicros t = local(utc, 2026, 11, 20, 10, 15, 3) + 250'000;
  BOOST_TEST(text(utc, ten.next_boundary(t)) == "2026-11-20 10:15:10.0");
  BOOST_TEST(text(utc, ten.next_boundary(local(utc, 2026, 11, 20, 10, 15, 10))) ==
             "2026-11-20 10:15:20.0");
  const Segmenter two(utc, 2);
  BOOST_TEST(text(utc, two.next_boundary(t)) == "2026-11-20 10:15:04.0");
  const Segmenter seven(utc, 7);  // seconds of the day that are multiples of 7
  BOOST_TEST(text(utc, seven.next_boundary(local(utc, 2026, 11, 20, 0, 0, 13))) ==
             "2026-11-20 00:00:14.0");
  const Segmenter minute(utc, 600);
  BOOST_TEST(text(utc, minute.next_boundary(t)) == "2026-11-20 10:20:00.0");
}

BOOST_AUTO_TEST_CASE(local_midnight_is_always_a_boundary) {
  const TimeZone berlin = zone("Europe/Berlin");
  const Segmenter seven(berlin, 7);  // 86400 is not a multiple of 7
  BOOST_TEST(text(berlin, seven.next_boundary(local(berlin, 2026, 11, 20, 23, 59, 55))) ==
             "2026-11-21 00:00:00.0");
  const Segmenter ten(berlin, 10);
  const UtcMicros before = local(berlin, 2026, 11, 20, 23, 59, 55);
  BOOST_TEST(ten.next_boundary(before) == berlin.day_start(Date{2026, 11, 21}));
  const SegmentPlace place = ten.place(ten.next_boundary(before));
  BOOST_TEST(format_date(place.date) == "2026-11-21");
  BOOST_TEST(place.seconds_of_day == 0);
}

BOOST_AUTO_TEST_CASE(places_are_local_dates_and_times) {
  const TimeZone ny = zone("America/New_York");
  const Segmenter s(ny, 10);
  // 2026-11-21 03:00:05Z is 22:00:05 of the 20th in New York.
  const SegmentPlace place = s.place((20778LL * 86400 + 3 * 3600 + 5) * k_s + 999'999);
  BOOST_TEST(format_date(place.date) == "2026-11-20");
  BOOST_TEST(place.seconds_of_day == 22 * 3600 + 5);
}

BOOST_AUTO_TEST_CASE(dst_days_cut_on_local_boundaries) {
  const TimeZone berlin = zone("Europe/Berlin");
  const Segmenter s(berlin, 600);
  // Spring forward (2026-03-29): 02:00 does not exist, 01:55 CET is followed by 03:00 CEST.
  const UtcMicros spring = local(berlin, 2026, 3, 29, 1, 55, 0);
  const UtcMicros next = s.next_boundary(spring);
  BOOST_TEST(next - spring == 5 * 60 * k_s);
  BOOST_TEST(text(berlin, next) == "2026-03-29 03:00:00.0");
  // Fall back (2026-10-25): 02:00-03:00 comes twice. At 02:55 CEST the next
  // boundary is five minutes later, when the clock shows 02:00 CET again.
  const UtcMicros first_pass = local(berlin, 2026, 10, 25, 2, 55, 0);  // CEST
  const UtcMicros back = s.next_boundary(first_pass);
  BOOST_TEST(back - first_pass == 5 * 60 * k_s);
  BOOST_TEST(text(berlin, back) == "2026-10-25 02:00:00.0");
  const UtcMicros second_pass = first_pass + 3600 * k_s;  // 02:55 CET
  BOOST_TEST(text(berlin, second_pass) == "2026-10-25 02:55:00.0");
  BOOST_TEST(s.next_boundary(second_pass) - second_pass == 5 * 60 * k_s);
  BOOST_TEST(text(berlin, s.next_boundary(second_pass)) == "2026-10-25 03:00:00.0");
  // A 10 s segment across the change is still 10 s long, never an hour.
  const Segmenter ten(berlin, 10);
  const UtcMicros last = local(berlin, 2026, 10, 25, 2, 59, 55);
  BOOST_TEST(ten.next_boundary(last) - last == 5 * k_s);
  BOOST_TEST(ten.next_boundary(local(berlin, 2026, 3, 29, 1, 59, 55)) -
                 local(berlin, 2026, 3, 29, 1, 59, 55) ==
             5 * k_s);
}

BOOST_AUTO_TEST_CASE(a_segment_length_below_one_second_is_one_second) {
  const Segmenter s(TimeZone::utc(), 0);
  BOOST_TEST(s.segment_seconds() == 1);
  BOOST_TEST(s.next_boundary(5 * k_s + 10) == 6 * k_s);
}
