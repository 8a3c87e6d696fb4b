// Unit tests for fcgi/api_handler: the JSON API on a real catalog. Expected times are
// worked out by hand (Europe/Berlin is UTC+1 in November), never taken from the code.
#define BOOST_TEST_MODULE api_handler
#include "fcgi/api_handler.hpp"

#include "core/catalog.hpp"
#include "tests/unit/web_fixture.hpp"

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>

using namespace cctv;
using namespace cctv::web;
using cctv::test::now_us;
using Json = nlohmann::json;

namespace {

// Camera "front" (Europe/Berlin, directory "front"): three 2 s segments at 10:15:00
// local on 2026-10-31 and 2026-11-20, and 2026-11-19 converted to video.mp4. Camera
// "back" (UTC) has no days.
struct Fixture : test::WebArchive {
  std::int64_t front = 0;

  Fixture() : WebArchive("cctv-api-handler") {
    config.web_base_url = "/cctv/";
    Catalog catalog = open_catalog();
    front = test::put_front_and_back(catalog);
    test::put_segments_at_1015(catalog, front,
                               {Date{2026, 10, 31}, Date{2026, 11, 19}, Date{2026, 11, 20}});
    test::put_converted_2026_11_19(catalog, front);
  }

  void set_status(CameraState state, UtcMicros updated, const std::string& error = "") {
    auto catalog = Catalog::open_writable(config.catalog_path);
    BOOST_REQUIRE(catalog);
    CameraStatus status;
    status.camera_id = front;
    status.state = state;
    status.since_us = 1'795'000'000'000'000;
    status.last_error = error;
    status.bitrate_bps = 512'000;
    status.updated_us = updated;
    BOOST_REQUIRE(catalog->put_camera_status(status));
  }

  Response get(const std::string& uri) {
    ApiHandler handler(config, [](const std::filesystem::path&) -> Result<DiskSpace> {
      return DiskSpace{7'000'000'000, 10'000'000'000};
    });
    Request r;
    r.request_uri = uri;
    r.query = uri.find('?') == std::string::npos ? "" : uri.substr(uri.find('?') + 1);
    return handler.handle(r);
  }

  Json get_json(const std::string& uri, int status = 200) {
    const Response r = get(uri);
    BOOST_TEST(r.status == status, uri << " answered " << r.status << ": " << r.body_view());
    bool json_type = false;
    for (const auto& [name, value] : r.headers) {
      json_type = json_type || (name == "Content-Type" && value.starts_with("application/json"));
    }
    BOOST_TEST(json_type);
    return Json::parse(r.body_view());
  }
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(system_json_is_running_when_cameras_record, Fixture) {
  set_status(CameraState::recording, now_us());
  const Json j = get_json("/cctv/api/1/system.json");
  BOOST_TEST(j["status"] == "running");
  BOOST_TEST(j["problems"].empty());
  BOOST_TEST(j["version"].get<std::string>().find('.') != std::string::npos);
  BOOST_TEST(j["disk"]["freeBytes"] == 7'000'000'000);
  BOOST_TEST(j["disk"]["totalBytes"] == 10'000'000'000);
  // Two segment days of 1.5 MB and the converted file of 5539 bytes.
  BOOST_TEST(j["disk"]["archiveBytes"] == 3'005'539);
  BOOST_REQUIRE(j["cameras"].size() == 2U);
  BOOST_TEST(j["cameras"][0]["name"] == "back");
  BOOST_TEST(j["cameras"][0]["recording"].is_null());
  BOOST_TEST(j["cameras"][1]["name"] == "front");
  BOOST_TEST(j["cameras"][1]["recording"]["state"] == "recording");
  BOOST_TEST(j["cameras"][1]["recording"]["bitrateBps"] == 512'000);
}

BOOST_FIXTURE_TEST_CASE(system_json_says_error_and_why, Fixture) {
  set_status(CameraState::reconnecting, now_us(), "Connection refused");
  Json j = get_json("/cctv/api/1/system.json");
  BOOST_TEST(j["status"] == "error");
  BOOST_REQUIRE(j["problems"].size() == 1U);
  BOOST_TEST(j["problems"][0] == "front: reconnecting: Connection refused");
  // A recording status the worker stopped updating 10 minutes ago is stale.
  set_status(CameraState::recording, now_us() - 600'000'000);
  j = get_json("/cctv/api/1/system.json");
  BOOST_TEST(j["status"] == "error");
  BOOST_TEST(j["cameras"][1]["recording"]["state"] == "stale");
}

BOOST_FIXTURE_TEST_CASE(cameras_json_lists_each_camera_with_its_days, Fixture) {
  const Json j = get_json("/cctv/api/1/cameras.json");
  BOOST_REQUIRE(j["cameras"].size() == 2U);
  const Json& back = j["cameras"][0];
  BOOST_TEST(back["name"] == "back");
  BOOST_TEST(back["days"] == 0);
  BOOST_TEST(back["firstDate"].is_null());
  const Json& cam = j["cameras"][1];
  BOOST_TEST(cam["timeZone"] == "Europe/Berlin");
  BOOST_TEST(cam["days"] == 3);
  BOOST_TEST(cam["firstDate"] == "2026-10-31");
  BOOST_TEST(cam["lastDate"] == "2026-11-20");
  BOOST_TEST(cam["recordedSeconds"] == 18.0);
  BOOST_TEST(cam["daysUrl"] == "/cctv/api/1/cameras/front/days.json");
}

BOOST_FIXTURE_TEST_CASE(days_json_gives_each_day_in_utc_with_the_zone, Fixture) {
  const Json j = get_json("/cctv/api/1/cameras/front/days.json");
  BOOST_TEST(j["camera"] == "front");
  BOOST_TEST(j["timeZone"] == "Europe/Berlin");
  BOOST_REQUIRE(j["days"].size() == 3U);
  const Json& oct = j["days"][0];
  BOOST_TEST(oct["date"] == "2026-10-31");
  BOOST_TEST(oct["state"] != "converted");
  BOOST_TEST(oct["recordedSeconds"] == 6.0);
  BOOST_TEST(oct["gaps"] == 0);
  BOOST_TEST(oct["bytes"] == 1'500'000);
  // 10:15 in Berlin on 31 October (CET, summer time ended on the 25th) is 09:15 UTC.
  BOOST_TEST(oct["firstStart"] == "2026-10-31T09:15:00.000Z");
  BOOST_TEST(oct["lastEnd"] == "2026-10-31T09:15:06.000Z");
  BOOST_TEST(oct["playlistUrl"] == "/cctv/playlist.m3u8?camera=front&date=2026-10-31");
  BOOST_TEST(oct["segmentsUrl"] == "/cctv/api/1/cameras/front/2026-10-31/segments.json");
  BOOST_TEST(j["days"][1]["state"] == "converted");
  BOOST_TEST(j["days"][1]["bytes"] == 5539);
}

BOOST_FIXTURE_TEST_CASE(segments_json_of_a_day_of_segments, Fixture) {
  const Json j = get_json("/cctv/api/1/cameras/front/2026-11-20/segments.json");
  BOOST_TEST(j["kind"] == "segments");
  BOOST_REQUIRE(j["items"].size() == 3U);
  BOOST_TEST(j["items"][0]["start"] == "2026-11-20T09:15:00.000Z");
  BOOST_TEST(j["items"][1]["start"] == "2026-11-20T09:15:02.000Z");
  BOOST_TEST(j["items"][1]["duration"] == 2.0);
  BOOST_TEST(j["items"][2]["url"] == "/cctv/front/2026-11-20/video_101504.ts");
  BOOST_TEST(j["items"][2]["bytes"] == 500'000);
}

BOOST_FIXTURE_TEST_CASE(segments_json_of_a_converted_day_gives_byte_ranges, Fixture) {
  const Json j = get_json("/cctv/api/1/cameras/front/2026-11-19/segments.json");
  BOOST_TEST(j["kind"] == "fragments");
  BOOST_TEST(j["codec"] == "hevc 640x360");
  BOOST_TEST(j["file"]["url"] == "/cctv/front/2026-11-19/video.mp4");
  BOOST_TEST(j["file"]["init"]["length"] == 3739);
  BOOST_REQUIRE(j["items"].size() == 3U);
  BOOST_TEST(j["items"][1]["start"] == "2026-11-19T09:15:02.000Z");
  BOOST_TEST(j["items"][1]["offset"] == 4239);
  BOOST_TEST(j["items"][1]["length"] == 600);
}

BOOST_FIXTURE_TEST_CASE(a_percent_encoded_camera_name_is_decoded, Fixture) {
  const Json j = get_json("/cctv/api/1/cameras/fr%6Fnt/days.json");
  BOOST_TEST(j["camera"] == "front");
}

BOOST_FIXTURE_TEST_CASE(bad_requests_get_json_errors_with_the_right_status, Fixture) {
  struct Case {
    const char* uri;
    int status;
    const char* says;
  };
  for (const Case& c :
       {Case{"/cctv/api/1/cameras/garage/days.json", 404, "garage"},
        Case{"/cctv/api/1/cameras/front/2026-13-01/segments.json", 400, "date"},
        Case{"/cctv/api/1/cameras/front/2026-11-18/segments.json", 404, "2026-11-18"},
        Case{"/cctv/api/1/cameras/..%2Fetc/days.json", 400, "escape"},
        Case{"/cctv/api/1/cameras/%2e%2e/days.json", 400, "camera"},
        Case{"/cctv/api/1/cameras/front/days.json%zz", 400, "escape"},
        Case{"/cctv/api/1/cameras/front/days.json?a=1&a=2", 400, ""},
        Case{"/cctv/api/1/nothing.json", 404, "docs/api.md"}, Case{"/cctv/api/1/", 404, ""},
        Case{"/cctv/api/2/system.json", 404, ""}, Case{"/api/1/system.json", 404, ""}}) {
    const Json j = get_json(c.uri, c.status);
    BOOST_TEST(j["error"]["status"] == c.status, c.uri);
    const std::string message = j["error"]["message"];
    BOOST_TEST(message.find(c.says) != std::string::npos, c.uri << ": " << message);
    BOOST_TEST(message.find('\n') == std::string::npos);
  }
}

BOOST_FIXTURE_TEST_CASE(a_missing_catalog_is_503_but_system_json_still_answers, Fixture) {
  config.catalog_path = dir.path() / "missing" / "catalog.sqlite";
  const Json cams = get_json("/cctv/api/1/cameras.json", 503);
  BOOST_TEST(cams["error"]["status"] == 503);
  const Json sys = get_json("/cctv/api/1/system.json");
  BOOST_TEST(sys["status"] == "error");
  BOOST_TEST(!sys["problems"].empty());
}
