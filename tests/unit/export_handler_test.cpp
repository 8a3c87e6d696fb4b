// Unit tests for fcgi/export_handler: requests on a real catalog (no media files, so every
// answer here is a refusal or a plan). Camera "front" is in Europe/Berlin (UTC+1 in
// November): three 2 s segments at 10:15:00 local on 2026-11-20 and 2026-11-19 converted
// to H.265; camera "back" (UTC) has no days.
#define BOOST_TEST_MODULE export_handler
#include "fcgi/export_handler.hpp"

#include "core/catalog.hpp"

#include <boost/test/unit_test.hpp>

#include <unistd.h>
#include <filesystem>

using namespace cctv;
using namespace cctv::web;

namespace {

struct Fixture {
  std::filesystem::path dir;
  Config config;

  Fixture() {
    dir = std::filesystem::temp_directory_path() /
          ("cctv-export-handler-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    config.save_path = dir / "archive";
    config.catalog_path = dir / "catalog.sqlite";
    config.web_base_url = "/cctv/";
    auto catalog = Catalog::open_writable(config.catalog_path);
    BOOST_REQUIRE(catalog);
    const std::int64_t front = *catalog->ensure_camera("front", "front", "Europe/Berlin");
    BOOST_REQUIRE(catalog->ensure_camera("back", "back", "UTC"));
    auto zone = *TimeZone::load("Europe/Berlin");
    for (Date d : {Date{2026, 11, 19}, Date{2026, 11, 20}}) {
      for (int i = 0; i < 3; ++i) {
        Segment s;
        s.date = d;
        s.name = "video_10150" + std::to_string(i * 2) + ".ts";
        s.start_us = zone.to_utc(LocalTime{d, 10, 15, i * 2});
        s.duration_us = 2'000'000;
        s.size_bytes = 500'000;
        s.codec = "h264 640x360";
        BOOST_REQUIRE(catalog->put_segment(front, s));
      }
    }
    ConvertedDay file;
    file.init_size_bytes = 3739;
    file.codec = "hevc 640x360";
    const UtcMicros start = zone.to_utc(LocalTime{Date{2026, 11, 19}, 10, 15, 0});
    file.fragments = {Fragment{3739, 500, start, 2'000'000},
                      Fragment{4239, 600, start + 2'000'000, 2'000'000},
                      Fragment{4839, 700, start + 4'000'000, 2'000'000}};
    file.file_size_bytes = 5539;
    file.source_size_bytes = 1'500'000;
    BOOST_REQUIRE(catalog->put_converted_day(front, Date{2026, 11, 19}, file));
  }
  Fixture(const Fixture&) = delete;
  Fixture& operator=(const Fixture&) = delete;
  ~Fixture() { std::filesystem::remove_all(dir); }
};

Request query(const std::string& q) {
  Request r;
  r.query = q;
  r.request_uri = "/cctv/export.mp4?" + q;
  return r;
}

Request path(const std::string& p) {
  Request r;
  r.request_uri = "/cctv/api/1/" + p;
  return r;
}

std::string body(const Response& r) { return std::string(r.body_view()); }

// 2026-11-20T09:15:00Z
constexpr UtcMicros k_0915z = 1'795'166'100 * k_micros_per_second;

}  // namespace

BOOST_FIXTURE_TEST_CASE(query_times_are_the_cameras_local_time, Fixture) {
  ExportHandler handler(config);
  auto req = handler.parse(query("camera=front&from=2026-11-20T10:15:00&to=2026-11-20T09:15:05Z"));
  BOOST_TEST_REQUIRE(req.has_value());
  BOOST_TEST(req->camera.name == "front");
  BOOST_TEST(req->from == k_0915z);
  BOOST_TEST(req->to == k_0915z + 5 * k_micros_per_second);
  auto plan = handler.plan(*req);
  BOOST_TEST_REQUIRE(plan.has_value());
  BOOST_TEST(plan->pieces.size() == 3U);
  BOOST_TEST(plan->conflict.empty());
}

BOOST_FIXTURE_TEST_CASE(range_url_shape, Fixture) {
  ExportHandler handler(config);
  auto req = handler.parse(path("camera/front.range.20261120.1015.to.20261120.1016.mp4"));
  BOOST_TEST_REQUIRE(req.has_value());
  BOOST_TEST(req->from == k_0915z);
  BOOST_TEST(req->to == k_0915z + 60 * k_micros_per_second);
  const Response bad =
      handler.handle(path("camera/front.range.20261120.1075.to.20261120.1016.mp4"));
  BOOST_TEST(bad.status == 400);
  BOOST_TEST(handler.handle(path("camera/front.mp4")).status == 404);
  BOOST_TEST(handler.handle(path("camera/..range.20261120.1015.to.20261120.1016.mp4")).status ==
             400);
}

BOOST_FIXTURE_TEST_CASE(refusals_are_one_line, Fixture) {
  ExportHandler handler(config);
  // Two cameras and no default: camera is required.
  const Response no_camera =
      handler.handle(query("from=2026-11-20T10:15:00&to=2026-11-20T10:16:00"));
  BOOST_TEST(no_camera.status == 400);
  BOOST_TEST(body(no_camera).find("camera") != std::string::npos);
  BOOST_TEST(handler.handle(query("camera=nobody&from=2026-11-20T10:15:00&to=2026-11-20T10:16:00"))
                 .status == 404);
  BOOST_TEST(handler.handle(query("camera=front&from=2026-11-20T10:16:00&to=2026-11-20T10:15:00"))
                 .status == 400);
  BOOST_TEST(handler.handle(query("camera=front&from=2026-11-20T10:15:00")).status == 400);
  const Response nothing =
      handler.handle(query("camera=front&from=2026-11-20T12:00:00&to=2026-11-20T12:10:00"));
  BOOST_TEST(nothing.status == 404);
  BOOST_TEST(body(nothing).find("nothing recorded") != std::string::npos);
  for (const Response& r : {no_camera, nothing}) {
    BOOST_TEST(body(r).find('\n') == body(r).size() - 1);
  }
}

BOOST_FIXTURE_TEST_CASE(too_long_is_413, Fixture) {
  config.export_max_minutes = 1;
  ExportHandler handler(config);
  const Response r =
      handler.handle(query("camera=front&from=2026-11-20T10:15:00&to=2026-11-20T10:16:01"));
  BOOST_TEST(r.status == 413);
  BOOST_TEST(body(r).find("export.maxMinutes (1 min)") != std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(converted_day_next_to_segments_is_409, Fixture) {
  config.export_max_minutes = 24 * 60;
  ExportHandler handler(config);
  const Response r =
      handler.handle(query("camera=front&from=2026-11-19T10:15:04&to=2026-11-20T10:15:02"));
  BOOST_TEST(r.status == 409);
  BOOST_TEST(body(r).find("hevc 640x360 to h264 640x360") != std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(files_missing_on_disk_are_404, Fixture) {
  ExportHandler handler(config);
  const Response r =
      handler.handle(query("camera=front&from=2026-11-20T10:15:00&to=2026-11-20T10:15:04"));
  BOOST_TEST(r.status == 404);
  BOOST_TEST(body(r).find("not on this server") != std::string::npos);
}
