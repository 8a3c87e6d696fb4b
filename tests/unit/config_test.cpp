// Unit tests for core/config: every key of the design (Izara keys plus this
// project's own), defaults, and errors that name their JSON path and never a secret.
// Recorded cameras' keys are in config_cameras_test.cpp, S3's in config_s3_test.cpp.
#define BOOST_TEST_MODULE config
#include <boost/test/unit_test.hpp>

#include "core/config.hpp"
#include "tests/unit/config_fixture.hpp"
#include "tests/unit/temp_dir.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

using namespace cctv;
using namespace cctv::test;
namespace fs = std::filesystem;

namespace {

// Every key the design names, with values that differ from the defaults.
constexpr std::string_view k_full_config = R"json({
  "cameras": [
    {
      "cameraName": "front",
      "ipAddress": "192.168.1.10",
      "userName": "admin",
      "password": "hunter2-front",
      "frameRate": 25,
      "resolution": "1920x1080",
      "videoDuration": 10,
      "videoFeedId": "Streaming/Channels/101",
      "url": "rtsp://192.168.1.10:554/Streaming/Channels/101",
      "timeZone": "America/New_York",
      "directory": "front-door"
    },
    {
      "cameraName": "back",
      "ipAddress": "192.168.1.11",
      "userName": "viewer",
      "password": "hunter2-back",
      "frameRate": 15,
      "resolution": "1280x720",
      "videoDuration": 6,
      "videoFeedId": "live/ch0"
    }
  ],
  "s3Config": {
    "s3Bucket": "cctv-archive",
    "region": "eu-central-1",
    "endpoint": "https://s3.example.net",
    "s3Path": "site1/",
    "pathStyle": true,
    "storageClass": "STANDARD_IA",
    "multipartThresholdMB": 128,
    "multipartPartSizeMB": 32,
    "uploadConcurrency": 8,
    "uploadLimitKBps": 2048,
    "presignSeconds": 3600,
    "uploadSegments": false,
    "verifyTls": false
  },
  "awsCredentials": {
    "accessKeyId": "AKIAIOSFODNN7EXAMPLE",
    "secretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "sessionToken": "FwoGZXIvYXdzEXAMPLETOKEN"
  },
  "storageConfig": {
    "savePath": "/srv/cctv",
    "catalogPath": "/var/lib/cctv/test.sqlite",
    "clearAfterUpload": true,
    "clearWhenFilePathReachGB": 500.5,
    "minFreeGB": 5
  },
  "timeZone": "Europe/Berlin",
  "daysToKeep": 30,
  "defaultCamera": "back",
  "conversion": { "enabled": false, "afterHours": 72 },
  "web": { "baseUrl": "/cctv/", "title": "Yard cameras", "threads": 8 }
})json";

constexpr std::string_view k_minimal = R"({"storageConfig": {"savePath": "/srv/cctv"}})";

using cctv::test::TempDir;

}  // namespace

// ---------------------------------------------------------------- valid configs

BOOST_AUTO_TEST_CASE(full_config_reads_every_key) {
  auto parsed = parse_config(k_full_config);
  BOOST_TEST_REQUIRE(parsed.has_value(), (parsed ? "" : parsed.error().message));
  const Config& c = *parsed;
  BOOST_TEST(c.save_path == fs::path("/srv/cctv"));
  BOOST_TEST(c.catalog_path == fs::path("/var/lib/cctv/test.sqlite"));
  BOOST_TEST(c.clear_after_upload);
  BOOST_TEST(c.clear_when_path_reach_gb == 500.5);
  BOOST_TEST(c.min_free_gb == 5.0);
  BOOST_TEST(c.time_zone == "Europe/Berlin");
  BOOST_TEST(c.days_to_keep == 30);
  BOOST_TEST(c.default_camera == "back");
  BOOST_TEST(!c.convert_enabled);
  BOOST_TEST(c.convert_after_hours == 72);
  BOOST_TEST(c.web_base_url == "/cctv/");
  BOOST_TEST(c.web_title == "Yard cameras");
  BOOST_TEST(c.web_threads == 8);

  BOOST_TEST(c.s3.enabled());
  BOOST_TEST(c.s3.bucket == "cctv-archive");
  BOOST_TEST(c.s3.region == "eu-central-1");
  BOOST_TEST(c.s3.endpoint == "https://s3.example.net");
  BOOST_TEST(c.s3.prefix == "site1");  // no '/' at either end
  BOOST_TEST(c.s3.path_style);
  BOOST_TEST(c.s3.storage_class == "STANDARD_IA");
  BOOST_TEST(c.s3.multipart_threshold_mb == 128);
  BOOST_TEST(c.s3.multipart_part_size_mb == 32);
  BOOST_TEST(c.s3.upload_concurrency == 8);
  BOOST_TEST(c.s3.upload_limit_kbps == 2048);
  BOOST_TEST(c.s3.presign_seconds == 3600);
  BOOST_TEST(!c.s3.upload_segments);
  BOOST_TEST(!c.s3.verify_tls);
  BOOST_TEST(c.s3.access_key_id == "AKIAIOSFODNN7EXAMPLE");
  BOOST_TEST(c.s3.secret_access_key == "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
  BOOST_TEST(c.s3.session_token == "FwoGZXIvYXdzEXAMPLETOKEN");
  BOOST_TEST(c.s3.credentials_source == "config");
  BOOST_TEST(c.s3.key_for("front/2026-11-20/a.ts") == "site1/front/2026-11-20/a.ts");

  BOOST_TEST_REQUIRE(c.cameras.size() == 2u);
  const CameraConfig& front = c.cameras[0];
  BOOST_TEST(front.name == "front");
  BOOST_TEST(front.directory == "front-door");
  BOOST_TEST(front.url == "rtsp://192.168.1.10:554/Streaming/Channels/101");
  BOOST_TEST(front.ip_address == "192.168.1.10");
  BOOST_TEST(front.user_name == "admin");
  BOOST_TEST(front.password == "hunter2-front");
  BOOST_TEST(front.frame_rate == 25);
  BOOST_TEST(front.resolution == "1920x1080");
  BOOST_TEST(front.segment_seconds == 10);
  BOOST_TEST(front.video_feed_id == "Streaming/Channels/101");
  BOOST_TEST(front.time_zone == "America/New_York");
  const CameraConfig& back = c.cameras[1];
  BOOST_TEST(back.name == "back");
  BOOST_TEST(back.directory == "back");  // defaults to the camera name
  BOOST_TEST(back.url.empty());          // built from ipAddress by the recorder
  BOOST_TEST(back.segment_seconds == 6);
  BOOST_TEST(back.time_zone.empty());  // the global timeZone applies
}

BOOST_AUTO_TEST_CASE(minimal_config_gets_the_documented_defaults) {
  auto parsed = parse_config(k_minimal);
  BOOST_TEST_REQUIRE(parsed.has_value());
  const Config& c = *parsed;
  BOOST_TEST(c.save_path == fs::path("/srv/cctv"));
  BOOST_TEST(c.catalog_path == fs::path("/var/lib/cctv/catalog.sqlite"));
  BOOST_TEST(!c.clear_after_upload);
  BOOST_TEST(c.clear_when_path_reach_gb == 0.0);
  BOOST_TEST(c.min_free_gb == 1.0);
  BOOST_TEST(c.cameras.empty());  // discovered from savePath
  BOOST_TEST(c.default_camera.empty());
  BOOST_TEST(c.time_zone.empty());
  BOOST_TEST(c.days_to_keep == 0);
  BOOST_TEST(c.convert_after_hours == 48);
  BOOST_TEST(c.convert_enabled);
  BOOST_TEST(!c.s3.enabled());
  BOOST_TEST(c.s3.region == "us-east-1");
  BOOST_TEST(c.s3.endpoint.empty());
  BOOST_TEST(!c.s3.path_style);
  BOOST_TEST(c.s3.storage_class.empty());
  BOOST_TEST(c.s3.multipart_threshold_mb == 64);
  BOOST_TEST(c.s3.multipart_part_size_mb == 16);
  BOOST_TEST(c.s3.upload_concurrency == 4);
  BOOST_TEST(c.s3.upload_limit_kbps == 0);
  BOOST_TEST(c.s3.presign_seconds == 21600);
  BOOST_TEST(c.s3.upload_segments);
  BOOST_TEST(c.s3.verify_tls);
  BOOST_TEST(c.s3.key_for("front/x.ts") == "front/x.ts");
  BOOST_TEST(c.web_base_url == "/");
  BOOST_TEST(c.web_title == "CCTV archive");
  BOOST_TEST(c.web_threads == 4);
}

BOOST_AUTO_TEST_CASE(camera_defaults) {
  auto parsed = parse_config(with_cameras(R"({"cameraName": "front"})"));
  BOOST_TEST_REQUIRE(parsed.has_value());
  const CameraConfig& cam = parsed->cameras.at(0);
  BOOST_TEST(cam.directory == "front");
  BOOST_TEST(cam.frame_rate == 0);
  BOOST_TEST(cam.segment_seconds == 10);
  BOOST_TEST(cam.password.empty());
}

BOOST_AUTO_TEST_CASE(null_values_mean_the_default) {
  auto parsed = parse_config(with(R"("daysToKeep": null, "web": {"baseUrl": null})"));
  BOOST_TEST_REQUIRE(parsed.has_value());
  BOOST_TEST(parsed->days_to_keep == 0);
  BOOST_TEST(parsed->web_base_url == "/");
}

BOOST_AUTO_TEST_CASE(directory_dot_means_the_legacy_root) {
  auto parsed = parse_config(with_cameras(R"({"cameraName": "yard", "directory": "."})"));
  BOOST_TEST_REQUIRE(parsed.has_value());
  BOOST_TEST(parsed->cameras.at(0).name == "yard");
  BOOST_TEST(parsed->cameras.at(0).directory == "");
}

BOOST_AUTO_TEST_CASE(boundary_values_are_accepted) {
  auto low =
      parse_config(with_cameras(R"({"cameraName": "a", "frameRate": 0, "videoDuration": 1})"));
  BOOST_TEST(low.has_value());
  auto high =
      parse_config(with_cameras(R"({"cameraName": "a", "frameRate": 240, "videoDuration": 3600})"));
  BOOST_TEST(high.has_value());
  auto threads = parse_config(with(R"("web": {"threads": 64})"));
  BOOST_TEST(threads.has_value());
}

// ---------------------------------------------------------------- errors name their path

BOOST_AUTO_TEST_CASE(errors_start_with_the_origin) {
  auto config = parse_config("{}", "/etc/cctv/config.json");
  BOOST_TEST_REQUIRE(!config.has_value());
  BOOST_TEST(config.error().message.starts_with("/etc/cctv/config.json: "), config.error().message);
}

BOOST_AUTO_TEST_CASE(unknown_keys_are_reported_with_their_path) {
  check_error_names(with_cameras(R"({"cameraName": "a"}, {"cameraName": "b", "foo": 1})"),
                    "cameras[1].foo");
  check_error_names(with(R"("fooBar": true)"), "fooBar");
  check_error_names(R"({"storageConfig": {"savePath": "/srv", "savepath": "/x"}})",
                    "storageConfig.savepath");
  check_error_names(with(R"("web": {"baseURL": "/x/"})"), "web.baseURL");
  check_error_names(with(R"("s3Config": {"bucket": "b", "Region": "x"})"), "s3Config.Region");
  check_error_names(with(R"("conversion": {"after_hours": 3})"), "conversion.after_hours");
  const Error e = error_of(with(R"("fooBar": true)"));
  BOOST_TEST(contains(e.message, "unknown key"), e.message);
}

BOOST_AUTO_TEST_CASE(wrong_types_are_reported_with_their_path_and_expectation) {
  const Error e = error_of(with_cameras(R"({"cameraName": "a", "frameRate": "25"})"));
  BOOST_TEST(contains(e.message, "cameras[0].frameRate: expected an integer"), e.message);
  check_error_names(with(R"("daysToKeep": 1.5)"), "daysToKeep");
  check_error_names(with(R"("daysToKeep": "30")"), "daysToKeep");
  check_error_names(R"({"storageConfig": {"savePath": "/srv", "clearAfterUpload": "yes"}})",
                    "storageConfig.clearAfterUpload");
  check_error_names(R"({"storageConfig": {"savePath": "/srv", "clearWhenFilePathReachGB": "5"}})",
                    "storageConfig.clearWhenFilePathReachGB");
  check_error_names(R"({"storageConfig": {"savePath": 5}})", "storageConfig.savePath");
  check_error_names(R"({"storageConfig": "/srv"})", "storageConfig");
  check_error_names(with(R"("cameras": {"cameraName": "a"})"), "cameras");
  check_error_names(with(R"("cameras": ["a"])"), "cameras[0]");
  check_error_names(with_cameras(R"({"cameraName": 7})"), "cameras[0].cameraName");
  check_error_names(with_cameras(R"({"cameraName": "a", "url": ["rtsp://x"]})"), "cameras[0].url");
  check_error_names(with(R"("web": {"threads": 2.5})"), "web.threads");
  check_error_names(with(R"("s3Config": {"pathStyle": 1})"), "s3Config.pathStyle");
  check_error_names(with(R"("timeZone": 1)"), "timeZone");
}

BOOST_AUTO_TEST_CASE(x265_params_are_checked_and_may_not_undo_one_fragment_per_segment) {
  auto def = parse_config(k_minimal);
  BOOST_TEST_REQUIRE(def.has_value());
  BOOST_TEST(def->convert_preset == "superfast");
  BOOST_TEST(def->convert_x265_params == "rc-lookahead=5:b-adapt=0:min-cu-size=16:rd=1");
  auto set = parse_config(with(R"("conversion": {"x265Params": "bframes=2:no-sao"})"));
  BOOST_TEST_REQUIRE(set.has_value());
  BOOST_TEST(set->convert_x265_params == "bframes=2:no-sao");
  auto none = parse_config(with(R"("conversion": {"x265Params": ""})"));
  BOOST_TEST_REQUIRE(none.has_value());
  BOOST_TEST(none->convert_x265_params.empty());
  for (const char* bad : {R"("keyint=250")", R"("bframes=2:scenecut=40")", R"("open-gop")",
                          R"("a=b;rm -rf")", R"("log-level=debug")"}) {
    const Error e = error_of(with(std::string(R"("conversion": {"x265Params": )") + bad + "}"));
    BOOST_TEST(contains(e.message, "conversion.x265Params"), e.message);
  }
  check_error_names(with(R"("conversion": {"x265Params": 3})"), "conversion.x265Params");
}

BOOST_AUTO_TEST_CASE(a_top_level_that_is_not_an_object_is_an_error) {
  check_error_names("[]", "top level");
  check_error_names("\"/srv\"", "top level");
}

BOOST_AUTO_TEST_CASE(out_of_range_values_are_reported_with_their_path) {
  check_error_names(with(R"("daysToKeep": -1)"), "daysToKeep");
  check_error_names(with_cameras(R"({"cameraName": "a", "videoDuration": 0})"),
                    "cameras[0].videoDuration");
  check_error_names(with_cameras(R"({"cameraName": "a", "videoDuration": 3601})"),
                    "cameras[0].videoDuration");
  check_error_names(with_cameras(R"({"cameraName": "a", "frameRate": 241})"),
                    "cameras[0].frameRate");
  check_error_names(with_cameras(R"({"cameraName": "a", "frameRate": -1})"),
                    "cameras[0].frameRate");
  check_error_names(R"({"storageConfig": {"savePath": "/srv", "clearWhenFilePathReachGB": -1}})",
                    "storageConfig.clearWhenFilePathReachGB");
  check_error_names(with(R"("web": {"threads": 0})"), "web.threads");
  check_error_names(with(R"("web": {"threads": 65})"), "web.threads");
  check_error_names(with(R"("conversion": {"afterHours": 0})"), "conversion.afterHours");
  const Error e = error_of(with(R"("daysToKeep": -1)"));
  BOOST_TEST(contains(e.message, "out of range"), e.message);
}

BOOST_AUTO_TEST_CASE(integers_beyond_64_bits_are_errors_not_wrapped_values) {
  // 2^64 - 1 must not wrap to -1 (or anything else) and must not be accepted.
  check_error_names(with(R"("daysToKeep": 18446744073709551615)"), "daysToKeep");
  check_error_names(with(R"("daysToKeep": 9223372036854775808)"), "daysToKeep");
  check_error_names(with(R"("daysToKeep": 4294967326)"), "daysToKeep");  // 2^32 + 30
}

BOOST_AUTO_TEST_CASE(deeply_nested_json_is_an_error_not_a_crash) {
  const std::string deep = with("\"web\": " + std::string(100000, '[') + std::string(100000, ']'));
  check_error_names(deep, "web");
}

BOOST_AUTO_TEST_CASE(numbers_too_large_for_a_double_are_errors_not_exceptions) {
  std::string json = with(R"("daysToKeep": 1e400)");
  BOOST_CHECK_NO_THROW((void)parse_config(json));
  Result<Config> parsed = fail(ErrorKind::internal, "not run");
  try {
    parsed = parse_config(json, "test.json");
  } catch (const std::exception& e) {
    BOOST_FAIL("parse_config threw: " << e.what());
  }
  BOOST_TEST_REQUIRE(!parsed.has_value());
  BOOST_TEST(parsed.error().kind == ErrorKind::invalid_argument);
  BOOST_TEST(contains(parsed.error().message, "test.json"), parsed.error().message);
}

BOOST_AUTO_TEST_CASE(missing_or_relative_save_path_is_an_error) {
  check_error_names("{}", "storageConfig.savePath");
  check_error_names(R"({"storageConfig": {}})", "storageConfig.savePath");
  const Error relative = error_of(R"({"storageConfig": {"savePath": "srv/cctv"}})");
  BOOST_TEST(contains(relative.message, "storageConfig.savePath"), relative.message);
  BOOST_TEST(contains(relative.message, "absolute"), relative.message);
  check_error_names(R"({"storageConfig": {"savePath": "./cctv"}})", "storageConfig.savePath");
  check_error_names(R"({"storageConfig": {"savePath": "/srv", "catalogPath": "cat.sqlite"}})",
                    "storageConfig.catalogPath");
}

BOOST_AUTO_TEST_CASE(camera_name_is_required_and_must_be_valid) {
  check_error_names(with_cameras(R"({"ipAddress": "10.0.0.1"})"), "cameras[0].cameraName");
  check_error_names(with_cameras(R"({"cameraName": ""})"), "cameras[0].cameraName");
  for (const char* bad : {"../x", "2026-01-01", "assets", "a/b", ".hidden", "a b", "live"}) {
    const std::string cams =
        R"({"cameraName": "ok"}, {"cameraName": ")" + std::string(bad) + R"("})";
    const Error e = error_of(with_cameras(cams));
    BOOST_TEST(contains(e.message, "cameras[1].cameraName"), e.message);
    BOOST_TEST(contains(e.message, "not a valid camera name"), e.message);
  }
}

BOOST_AUTO_TEST_CASE(camera_directory_must_be_a_plain_name_or_dot) {
  for (const char* bad : {"..", "../elsewhere", "/srv/other", "a/b", ".hidden"}) {
    const std::string cam = R"({"cameraName": "a", "directory": ")" + std::string(bad) + R"("})";
    check_error_names(with_cameras(cam), "cameras[0].directory");
  }
}

BOOST_AUTO_TEST_CASE(duplicate_camera_names_and_directories_are_errors) {
  const Error e = error_of(with_cameras(R"({"cameraName": "a"}, {"cameraName": "a"})"));
  BOOST_TEST(contains(e.message, "cameras[1].cameraName"), e.message);
  BOOST_TEST(contains(e.message, "used twice"), e.message);
  // Camera "a" stored in directory "b" clashes with camera "b".
  check_error_names(with_cameras(R"({"cameraName": "a", "directory": "b"}, {"cameraName": "b"})"),
                    "cameras[1].directory");
}

BOOST_AUTO_TEST_CASE(only_a_single_camera_may_use_the_legacy_root) {
  check_error_names(with_cameras(R"({"cameraName": "a", "directory": "."}, {"cameraName": "b"})"),
                    "cameras");
  const Error e =
      error_of(with_cameras(R"({"cameraName": "a", "directory": "."}, {"cameraName": "b"})"));
  BOOST_TEST(contains(e.message, "single camera"), e.message);
}

BOOST_AUTO_TEST_CASE(unknown_time_zones_are_errors_that_name_path_and_zone) {
  const Error global = error_of(with(R"("timeZone": "Mars/Base")"));
  BOOST_TEST(global.message.starts_with("test.json: timeZone: "), global.message);
  BOOST_TEST(contains(global.message, "Mars/Base"), global.message);
  const Error cam = error_of(with_cameras(R"({"cameraName": "a", "timeZone": "../etc/passwd"})"));
  BOOST_TEST(contains(cam.message, "cameras[0].timeZone"), cam.message);
  check_error_names(with(R"("timeZone": "Europe")"), "timeZone");
}

BOOST_AUTO_TEST_CASE(default_camera_must_be_one_of_the_cameras) {
  const Error e = error_of(with(R"("defaultCamera": "garage", "cameras": [{"cameraName": "a"}])"));
  BOOST_TEST(contains(e.message, "defaultCamera"), e.message);
  BOOST_TEST(contains(e.message, "garage"), e.message);
  // Without configured cameras they are discovered later, so any name is allowed.
  BOOST_TEST(parse_config(with(R"("defaultCamera": "garage")")).has_value());
}

BOOST_AUTO_TEST_CASE(web_base_url_must_be_a_url_path_ending_in_a_slash) {
  for (const char* bad : {"", "cctv/", "/cctv", "/a b/", "/x?y/", "/x#y/", "/<script>/", "/\\\"/",
                          "http://example.com/"}) {
    const std::string json = with(R"("web": {"baseUrl": ")" + std::string(bad) + R"("})");
    check_error_names(json, "web.baseUrl");
  }
  for (const char* good : {"/", "/cctv/", "/a/b/"}) {
    const std::string json = with(R"("web": {"baseUrl": ")" + std::string(good) + R"("})");
    auto parsed = parse_config(json);
    BOOST_TEST_REQUIRE(parsed.has_value(), good);
    BOOST_TEST(parsed->web_base_url == good);
  }
}

BOOST_AUTO_TEST_CASE(invalid_json_reports_the_byte_position) {
  const std::string json = "{\n  \"daysToKeep\": 5,\n  \"timeZone\": ]\n}";
  const Error e = error_of(json);
  BOOST_TEST(e.kind == ErrorKind::invalid_argument);
  BOOST_TEST(contains(e.message, "not valid JSON"), e.message);
  // The offending ']' is byte json.find(']') + 1 (1-based).
  const std::string byte = "(byte " + std::to_string(json.find(']') + 1) + ")";
  BOOST_TEST(contains(e.message, byte), e.message);
  BOOST_TEST(e.message.starts_with("test.json: "), e.message);
  check_error_names("", "not valid JSON");
  check_error_names("{\"a\": 1,}", "not valid JSON");
  check_error_names("// comment\n{}", "not valid JSON");
}

// ---------------------------------------------------------------- secrets

BOOST_AUTO_TEST_CASE(secrets_never_appear_in_error_messages) {
  const std::string_view secret = "hunter2";
  for (const std::string& json : {
           // A password of the wrong type.
           with_cameras(R"({"cameraName": "a", "password": ["hunter2"]})"),
           with_cameras(R"({"cameraName": "a", "password": {"v": "hunter2"}})"),
           // A misspelt key holding a secret.
           with_cameras(R"({"cameraName": "a", "pasword": "hunter2"})"),
           // An S3 secret of the wrong type, and a misspelt one.
           with(R"("awsCredentials": {"secretAccessKey": ["hunter2"]})"),
           with(R"("awsCredentials": {"secret": "hunter2"})"),
           // An S3 secret or token with a bad character, or without its key id.
           with(R"("awsCredentials": {"accessKeyId": "AK", "secretAccessKey": "hunter2 x"})"),
           with(R"("awsCredentials": {"accessKeyId": "AK", "secretAccessKey": "hunter2\n"})"),
           with(R"("awsCredentials": {"secretAccessKey": "hunter2"})"),
           with(R"("awsCredentials": {"accessKeyId": "AK", "secretAccessKey": "s",
                                     "sessionToken": "hunter2\t"})"),
           with(R"("s3Config": {"s3Bucket": "b_b"},
                   "awsCredentials": {"accessKeyId": "AK", "secretAccessKey": "hunter2"})"),
           // A URL with credentials where an object was expected.
           with_cameras(R"({"cameraName": "a", "url": {"u": "rtsp://admin:hunter2@cam/"}})"),
           // Another error in a camera that has a password.
           with_cameras(R"({"cameraName": "a", "password": "hunter2", "frameRate": 999})"),
           with_cameras(R"({"cameraName": "a", "password": "hunter2"}, {"cameraName": "a"})"),
           // Invalid JSON right inside the secret.
           with_cameras(R"({"cameraName": "a", "password": "hunter2\u00zz"})"),
           with_cameras(R"({"cameraName": "a", "password": "hunter2)"),
       }) {
    const Error e = error_of(json);
    BOOST_TEST(!contains(e.message, secret), "secret leaked: " << e.message);
  }
}

// ---------------------------------------------------------------- files

BOOST_AUTO_TEST_CASE(load_config_reads_a_file_and_names_it_in_errors) {
  TempDir dir;
  const fs::path good = dir.path() / "config.json";
  std::ofstream(good) << k_full_config;
  auto config = load_config(good);
  BOOST_TEST_REQUIRE(config.has_value());
  BOOST_TEST(config->cameras.size() == 2u);

  const fs::path bad = dir.path() / "bad.json";
  std::ofstream(bad) << with(R"("daysToKeep": -5)");
  auto error = load_config(bad);
  BOOST_TEST_REQUIRE(!error.has_value());
  BOOST_TEST(error.error().message.starts_with(bad.string() + ": daysToKeep"),
             error.error().message);
}

BOOST_AUTO_TEST_CASE(load_config_of_a_missing_file_is_not_found) {
  TempDir dir;
  auto config = load_config(dir.path() / "nope.json");
  BOOST_TEST_REQUIRE(!config.has_value());
  BOOST_TEST(config.error().kind == ErrorKind::not_found);
  BOOST_TEST(contains(config.error().message, "nope.json"), config.error().message);
}

BOOST_AUTO_TEST_CASE(default_config_path_prefers_argument_then_environment) {
  ::setenv("CCTV_CONFIG", "/tmp/from-env.json", 1);
  BOOST_TEST(default_config_path("/tmp/arg.json") == fs::path("/tmp/arg.json"));
  BOOST_TEST(default_config_path(nullptr) == fs::path("/tmp/from-env.json"));
  BOOST_TEST(default_config_path("") == fs::path("/tmp/from-env.json"));
  ::unsetenv("CCTV_CONFIG");
  BOOST_TEST(default_config_path(nullptr) == fs::path("/etc/cctv/config.json"));
  ::setenv("CCTV_CONFIG", "", 1);
  BOOST_TEST(default_config_path(nullptr) == fs::path("/etc/cctv/config.json"));
  ::unsetenv("CCTV_CONFIG");
}

BOOST_AUTO_TEST_CASE(export_max_minutes) {
  auto defaults = parse_config(k_minimal);
  BOOST_TEST_REQUIRE(defaults.has_value());
  BOOST_TEST(defaults->export_max_minutes == 60);
  auto set = parse_config(with(R"("export": {"maxMinutes": 120})"));
  BOOST_TEST_REQUIRE(set.has_value());
  BOOST_TEST(set->export_max_minutes == 120);
  auto zero = parse_config(with(R"("export": {"maxMinutes": 0})"));
  BOOST_TEST_REQUIRE(!zero.has_value());
  BOOST_TEST(zero.error().message.find("export.maxMinutes") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(timelapse_keys) {
  auto defaults = parse_config(k_minimal);
  BOOST_TEST_REQUIRE(defaults.has_value());
  BOOST_TEST(defaults->timelapse_enabled);
  BOOST_TEST(defaults->timelapse_seconds == 60);
  auto set = parse_config(with(R"("timelapse": {"enabled": false, "seconds": 120})"));
  BOOST_TEST_REQUIRE(set.has_value(), set.error().message);
  BOOST_TEST(!set->timelapse_enabled);
  BOOST_TEST(set->timelapse_seconds == 120);
  for (const char* bad : {R"("timelapse": {"seconds": 9})", R"("timelapse": {"seconds": 601})",
                          R"("timelapse": {"seconds": "60"})"}) {
    const Error e = error_of(with(bad));
    BOOST_TEST(contains(e.message, "timelapse.seconds"), e.message);
  }
  check_error_names(with(R"("timelapse": {"enabled": 1})"), "timelapse.enabled");
  check_error_names(with(R"("timelapse": {"length": 60})"), "timelapse.length");
}
