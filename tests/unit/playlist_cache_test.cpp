#define BOOST_TEST_MODULE playlist_cache
#include "fcgi/playlist_cache.hpp"

#include <boost/test/unit_test.hpp>

#include <memory>
#include <string>
#include <vector>

using namespace cctv;
using namespace cctv::web;

namespace {

SegmentList segments(std::size_t count) {
  std::vector<Segment> list(count);
  for (std::size_t i = 0; i < count; ++i) {
    list[i].name = "video_0000" + std::to_string(i) + "0.ts";
    list[i].duration_us = 10'000'000;
  }
  return std::make_shared<const std::vector<Segment>>(std::move(list));
}

FragmentList fragments(std::size_t count) {
  auto day = std::make_shared<PlaylistDay>();
  day->map = PlaylistMap{"video.mp4", 3739};
  for (std::size_t i = 0; i < count; ++i) {
    Segment s;
    s.name = "video.mp4";
    s.duration_us = 10'000'000;
    day->segments.push_back(s);
    day->ranges.push_back(ByteRange{3739 + static_cast<std::int64_t>(i) * 500, 500});
  }
  return day;
}

constexpr std::int64_t k_day = 20'776;  // 2026-11-19

}  // namespace

BOOST_AUTO_TEST_CASE(a_day_is_served_only_at_its_version) {
  PlaylistCache cache;
  BOOST_TEST(!cache.day(1, k_day, 3));
  const SegmentList list = segments(3);
  cache.put_day(1, k_day, 3, list);
  BOOST_TEST(cache.day(1, k_day, 3) == list);
  BOOST_TEST(!cache.day(1, k_day, 4));      // the day changed since
  BOOST_TEST(!cache.day(2, k_day, 3));      // another camera
  BOOST_TEST(!cache.day(1, k_day + 1, 3));  // another day
}

BOOST_AUTO_TEST_CASE(a_converted_day_is_served_only_at_its_version_and_replaced) {
  PlaylistCache cache;
  BOOST_TEST(!cache.converted_day(1, k_day, 5));
  const FragmentList first = fragments(3);
  cache.put_converted_day(1, k_day, 5, first);
  BOOST_TEST(cache.converted_day(1, k_day, 5) == first);
  BOOST_TEST(!cache.converted_day(1, k_day, 6));
  BOOST_TEST(!cache.converted_day(2, k_day, 5));
  // Converted days and segment days are kept apart: a converted day is not a TS day.
  BOOST_TEST(!cache.day(1, k_day, 5));
  const FragmentList again = fragments(2);
  cache.put_converted_day(1, k_day, 6, again);
  BOOST_TEST(cache.converted_day(1, k_day, 6) == again);
  BOOST_TEST(!cache.converted_day(1, k_day, 5));
}

BOOST_AUTO_TEST_CASE(converted_days_share_the_byte_budget) {
  // Room for one day of 100 segments or fragments, not for two.
  const std::size_t one_day =
      100 * (sizeof(Segment) + 48 + sizeof(ByteRange)) + sizeof(PlaylistDay);
  PlaylistCache cache(one_day * 3 / 2);
  const SegmentList list = segments(100);
  cache.put_day(1, k_day, 1, list);
  BOOST_TEST(cache.day(1, k_day, 1) == list);
  const FragmentList converted = fragments(100);
  cache.put_converted_day(1, k_day + 1, 1, converted);
  BOOST_TEST(cache.converted_day(1, k_day + 1, 1) == converted);
  BOOST_TEST(!cache.day(1, k_day, 1));  // made room
  // Replacing an entry gives its bytes back: the body next to it stays.
  cache.put_body("k", "\"e\"", std::make_shared<const std::string>(64, 'x'));
  cache.put_converted_day(1, k_day + 1, 2, fragments(100));
  BOOST_TEST(cache.converted_day(1, k_day + 1, 2));
  BOOST_TEST(cache.body("k", "\"e\""));
  cache.put_day(1, k_day, 1, list);  // no room for both days: starts over
  BOOST_TEST(cache.day(1, k_day, 1) == list);
  BOOST_TEST(!cache.converted_day(1, k_day + 1, 2));
  BOOST_TEST(!cache.body("k", "\"e\""));
}
