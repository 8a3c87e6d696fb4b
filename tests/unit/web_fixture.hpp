// Shared helpers of the web handlers' unit tests: a real catalog in a temporary
// directory, and the rows of the archive most of them read (camera "front" in
// Europe/Berlin and camera "back" in UTC, days of three 2 s segments at 10:15 local
// time, and one of those days converted).
#pragma once

#include "core/catalog.hpp"
#include "core/config.hpp"
#include "tests/unit/temp_dir.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>

namespace cctv::test {

inline UtcMicros now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A temporary directory, removed with everything in it, and a config whose archive
// ("archive") and catalog ("catalog.sqlite") are in it; other keys keep their defaults.
struct WebArchive {
  TempDir dir;
  Config config;

  explicit WebArchive(const std::string& prefix) : dir(prefix) {
    config.save_path = dir.path() / "archive";
    config.catalog_path = dir.path() / "catalog.sqlite";
  }

  [[nodiscard]] Catalog open_catalog() const {
    auto catalog = Catalog::open_writable(config.catalog_path);
    BOOST_REQUIRE(catalog);
    return std::move(*catalog);
  }
};

// The time zone of camera "front".
inline TimeZone berlin() {
  auto zone = TimeZone::load("Europe/Berlin");
  BOOST_REQUIRE(zone);
  return std::move(*zone);
}

// Camera "front" (Europe/Berlin, directory "front") and camera "back" (UTC, directory
// "back"); returns the id of "front".
inline std::int64_t put_front_and_back(Catalog& catalog) {
  const auto front = catalog.ensure_camera("front", "front", "Europe/Berlin");
  BOOST_REQUIRE(front);
  BOOST_REQUIRE(catalog.ensure_camera("back", "back", "UTC"));
  return *front;
}

// On each of `dates`, three segments of camera "front" (h264 640x360, 2 s and 500 kB
// each) at 10:15:00, 10:15:02 and 10:15:04 Berlin time: video_101500.ts,
// video_101502.ts and video_101504.ts.
inline void put_segments_at_1015(Catalog& catalog, std::int64_t front,
                                 std::initializer_list<Date> dates) {
  const TimeZone zone = berlin();
  for (const Date d : dates) {
    for (int i = 0; i < 3; ++i) {
      Segment s;
      s.date = d;
      s.name = "video_10150" + std::to_string(i * 2) + ".ts";
      s.start_us = zone.to_utc(LocalTime{d, 10, 15, i * 2});
      s.duration_us = 2'000'000;
      s.size_bytes = 500'000;
      s.codec = "h264 640x360";
      BOOST_REQUIRE(catalog.put_segment(front, s));
    }
  }
}

// 2026-11-19 of camera "front" converted from 1.5 MB of segments to a video.mp4 of
// 5539 bytes (hevc 640x360): an init section of 3739 bytes, then fragments of 500, 600
// and 700 bytes (at offsets 3739, 4239 and 4839) at the times of the three segments of
// put_segments_at_1015.
inline void put_converted_2026_11_19(Catalog& catalog, std::int64_t front) {
  const Date date{2026, 11, 19};
  ConvertedDay file;
  file.init_size_bytes = 3739;
  file.codec = "hevc 640x360";
  const UtcMicros start = berlin().to_utc(LocalTime{date, 10, 15, 0});
  file.fragments = {Fragment{3739, 500, start, 2'000'000},
                    Fragment{4239, 600, start + 2'000'000, 2'000'000},
                    Fragment{4839, 700, start + 4'000'000, 2'000'000}};
  file.file_size_bytes = 5539;
  file.source_size_bytes = 1'500'000;
  BOOST_REQUIRE(catalog.put_converted_day(front, date, file));
}

}  // namespace cctv::test
