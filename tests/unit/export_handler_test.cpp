// Unit tests for fcgi/export_handler: requests on a real catalog (no media files, so every
// answer here is a refusal or a plan). Camera "front" is in Europe/Berlin (UTC+1 in
// November): three 2 s segments at 10:15:00 local on 2026-11-20 and 2026-11-19 converted
// to H.265; camera "back" (UTC) has no days.
#define BOOST_TEST_MODULE export_handler
#include "fcgi/export_handler.hpp"

#include "core/catalog.hpp"
#include "tests/unit/web_fixture.hpp"

#include <boost/test/unit_test.hpp>

using namespace cctv;
using namespace cctv::web;

namespace {

struct Fixture : test::WebArchive {
  Fixture() : WebArchive("cctv-export-handler") {
    config.web_base_url = "/cctv/";
    Catalog catalog = open_catalog();
    const std::int64_t front = test::put_front_and_back(catalog);
    test::put_segments_at_1015(catalog, front, {Date{2026, 11, 19}, Date{2026, 11, 20}});
    test::put_converted_2026_11_19(catalog, front);
  }
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
