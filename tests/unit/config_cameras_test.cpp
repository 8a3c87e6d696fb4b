// Unit tests for core/config's recorded cameras: the recorder keys and their defaults,
// the source URL built from the Izara keys (credentials percent-encoded), and the URLs,
// hosts, ports and segment lengths that are refused, with their JSON path and never the
// password.
#define BOOST_TEST_MODULE config_cameras
#include <boost/test/unit_test.hpp>

#include "core/config.hpp"
#include "tests/unit/config_fixture.hpp"

#include <string>
#include <string_view>

using namespace cctv;
using namespace cctv::test;

BOOST_AUTO_TEST_CASE(recorder_keys_and_their_defaults) {
  auto parsed = parse_config(with_cameras(
      R"({"cameraName": "a", "url": "rtsp://127.0.0.1:8554/cam1", "segmentSeconds": 2},
         {"cameraName": "b", "ipAddress": "10.0.0.5"},
         {"cameraName": "c"},
         {"cameraName": "d", "url": "/srv/test/clip.ts", "enabled": false})"));
  BOOST_TEST_REQUIRE(parsed.has_value(), (parsed ? "" : parsed.error().message));
  const auto& cams = parsed->cameras;
  BOOST_TEST(cams[0].segment_seconds == 2);
  BOOST_TEST(cams[0].recorded());
  BOOST_TEST(cams[0].source_url() == "rtsp://127.0.0.1:8554/cam1");
  BOOST_TEST(cams[1].rtsp_port == 554);
  BOOST_TEST(cams[1].rtsp_path == "/");
  BOOST_TEST(cams[1].source_url() == "rtsp://10.0.0.5:554/");
  BOOST_TEST(cams[1].enabled);
  BOOST_TEST(cams[2].upload_only());
  BOOST_TEST(!cams[2].recorded());
  BOOST_TEST(cams[2].source_url().empty());
  BOOST_TEST(!cams[3].enabled);
  BOOST_TEST(!cams[3].recorded());
  BOOST_TEST(!cams[3].upload_only());
}

BOOST_AUTO_TEST_CASE(source_url_is_built_from_the_izara_keys_with_encoded_credentials) {
  auto parsed = parse_config(with_cameras(
      R"({"cameraName": "a", "ipAddress": "192.168.1.10", "rtspPort": 8554,
          "videoFeedId": "Streaming/Channels/101", "userName": "ad min",
          "password": "p@ss:w/rd%"},
         {"cameraName": "b", "ipAddress": "cam.local", "rtspPath": "/live?ch=1",
          "videoFeedId": "ignored", "userName": "u"},
         {"cameraName": "c", "ipAddress": "fe80::1", "password": "x"})"));
  BOOST_TEST_REQUIRE(parsed.has_value(), (parsed ? "" : parsed.error().message));
  const auto& cams = parsed->cameras;
  BOOST_TEST(cams[0].rtsp_path == "/Streaming/Channels/101");
  BOOST_TEST(cams[0].source_url() ==
             "rtsp://ad%20min:p%40ss%3Aw%2Frd%25@192.168.1.10:8554/Streaming/Channels/101");
  BOOST_TEST(cams[1].source_url() == "rtsp://u@cam.local:554/live?ch=1");
  BOOST_TEST(cams[2].source_url() == "rtsp://:x@[fe80::1]:554/");
}

BOOST_AUTO_TEST_CASE(credentials_go_into_a_url_without_its_own) {
  auto parsed = parse_config(with_cameras(
      R"({"cameraName": "a", "url": "rtsp://cam:554/s", "userName": "admin", "password": "p w"},
         {"cameraName": "b", "url": "rtsp://me:mine@cam/s", "userName": "admin"},
         {"cameraName": "c", "url": "file:/tmp/x.ts", "userName": "admin"})"));
  BOOST_TEST_REQUIRE(parsed.has_value(), (parsed ? "" : parsed.error().message));
  BOOST_TEST(parsed->cameras[0].source_url() == "rtsp://admin:p%20w@cam:554/s");
  BOOST_TEST(parsed->cameras[1].source_url() == "rtsp://me:mine@cam/s");
  BOOST_TEST(parsed->cameras[2].source_url() == "file:/tmp/x.ts");
}

BOOST_AUTO_TEST_CASE(supported_urls_are_accepted) {
  for (const char* good :
       {"rtsp://cam/x", "RTSP://cam:554/x", "rtsps://cam/x", "http://10.0.0.1:8080/cam.ts",
        "https://cam.example/mjpeg", "rtsp://user:p%40ss@cam/x", "/var/test/clip.ts",
        "file:/var/test/clip.ts", "rtsp://[fe80::1]:554/x"}) {
    auto parsed =
        parse_config(with_cameras(R"({"cameraName": "a", "url": ")" + std::string(good) + R"("})"));
    BOOST_TEST(parsed.has_value(), good << ": " << (parsed ? "" : parsed.error().message));
  }
}

BOOST_AUTO_TEST_CASE(bad_urls_are_rejected_with_their_path_and_without_the_password) {
  for (const char* bad :
       {"", "ftp://cam/x", "cam/x", "rtsp:/cam", "rtsp://", "rtsp:///x", "rtsp://user:pw@/x",
        "relative/file.ts", "javascript:alert(1)", "rtsp://cam /x", "file:relative.ts",
        "rtsp://cam:554", "rtsp://admin:hunter2@cam/x\\u0000", "rtsp://cam/\\n"}) {
    const std::string cam = R"({"cameraName": "a", "url": ")" + std::string(bad) + R"("})";
    if (std::string_view(bad).empty()) {
      // An empty url means none: an upload-only camera.
      BOOST_TEST(parse_config(with_cameras(cam)).has_value());
      continue;
    }
    if (std::string_view(bad) == "rtsp://cam:554") {
      BOOST_TEST(parse_config(with_cameras(cam)).has_value());  // a path is optional
      continue;
    }
    const Error e = error_of(with_cameras(cam));
    BOOST_TEST(contains(e.message, "cameras[0].url"), bad << ": " << e.message);
    BOOST_TEST(!contains(e.message, "hunter2"), "secret leaked: " << e.message);
  }
  const Error e = error_of(with_cameras(R"({"cameraName": "a", "url": "ftp://admin:hunter2@x/"})"));
  BOOST_TEST(contains(e.message, "not a supported URL"), e.message);
  BOOST_TEST(!contains(e.message, "hunter2"), e.message);
}

BOOST_AUTO_TEST_CASE(bad_ports_hosts_and_paths_are_rejected_with_their_path) {
  check_error_names(with_cameras(R"({"cameraName": "a", "ipAddress": "cam", "rtspPort": 0})"),
                    "cameras[0].rtspPort");
  check_error_names(with_cameras(R"({"cameraName": "a", "ipAddress": "cam", "rtspPort": 65536})"),
                    "cameras[0].rtspPort");
  check_error_names(with_cameras(R"({"cameraName": "a", "ipAddress": "cam", "rtspPort": "554"})"),
                    "cameras[0].rtspPort");
  for (const char* bad : {"cam:554", "a b", "cam/x", "user@cam", "../x/y", "c\\u0001"}) {
    check_error_names(
        with_cameras(R"({"cameraName": "a", "ipAddress": ")" + std::string(bad) + R"("})"),
        "cameras[0].ipAddress");
  }
  check_error_names(with_cameras(R"({"cameraName": "a", "ipAddress": "cam", "rtspPath": "/a b"})"),
                    "cameras[0].rtspPath");
  check_error_names(
      with_cameras(R"({"cameraName": "a", "ipAddress": "cam", "videoFeedId": "x\"y"})"),
      "cameras[0].videoFeedId");
  check_error_names(
      with_cameras(R"({"cameraName": "a", "ipAddress": "cam", "password": "a\u0007b"})"),
      "cameras[0].password");
}

BOOST_AUTO_TEST_CASE(segment_seconds_and_its_alias) {
  auto alias = parse_config(with_cameras(R"({"cameraName": "a", "videoDuration": 6})"));
  BOOST_TEST_REQUIRE(alias.has_value());
  BOOST_TEST(alias->cameras[0].segment_seconds == 6);
  auto both =
      parse_config(with_cameras(R"({"cameraName": "a", "segmentSeconds": 5, "videoDuration": 5})"));
  BOOST_TEST_REQUIRE(both.has_value());
  BOOST_TEST(both->cameras[0].segment_seconds == 5);
  const Error differ =
      error_of(with_cameras(R"({"cameraName": "a", "segmentSeconds": 5, "videoDuration": 6})"));
  BOOST_TEST(contains(differ.message, "cameras[0].videoDuration"), differ.message);
  BOOST_TEST(contains(differ.message, "segmentSeconds"), differ.message);
  check_error_names(with_cameras(R"({"cameraName": "a", "segmentSeconds": 0})"),
                    "cameras[0].segmentSeconds");
  check_error_names(with_cameras(R"({"cameraName": "a", "segmentSeconds": 601})"),
                    "cameras[0].segmentSeconds");
  // An hour is fine for an upload-only camera, but a recorded one cuts at most every 600 s.
  check_error_names(
      with_cameras(R"({"cameraName": "a", "url": "rtsp://cam/x", "videoDuration": 3600})"),
      "cameras[0].videoDuration");
}

BOOST_AUTO_TEST_CASE(resolution_and_enabled_are_checked) {
  auto parsed = parse_config(
      with_cameras(R"({"cameraName": "a", "resolution": "1280x720", "enabled": true})"));
  BOOST_TEST_REQUIRE(parsed.has_value());
  BOOST_TEST(parsed->cameras[0].width == 1280);
  BOOST_TEST(parsed->cameras[0].height == 720);
  for (const char* bad : {"720p", "1280x", "x720", "0x0", "1280*720", "-1x5"}) {
    check_error_names(
        with_cameras(R"({"cameraName": "a", "resolution": ")" + std::string(bad) + R"("})"),
        "cameras[0].resolution");
  }
  check_error_names(with_cameras(R"({"cameraName": "a", "enabled": "yes"})"), "cameras[0].enabled");
}

BOOST_AUTO_TEST_CASE(hostile_camera_names_are_rejected_before_anything_is_recorded) {
  for (const char* bad : {"", "..", "../etc", "a/../b", "/abs", "a\\u0000b"}) {
    const std::string cam =
        R"({"cameraName": ")" + std::string(bad) + R"(", "url": "rtsp://cam/x"})";
    check_error_names(with_cameras(cam), "cameras[0].cameraName");
  }
}
