// Unit tests for worker/cli: option parsing (usage errors) and --check-config.
#define BOOST_TEST_MODULE cli
#include <boost/test/unit_test.hpp>

#include "tests/unit/worker_fixture.hpp"
#include "worker/cli.hpp"

using namespace cctv;
using namespace cctv::test;
using namespace cctv::worker;

namespace {
Result<Options> parse(std::initializer_list<std::string_view> args) {
  return parse_options(std::vector<std::string_view>(args));
}
}  // namespace

BOOST_AUTO_TEST_CASE(defaults_run_the_daemon) {
  const auto options = value_of(parse({}));
  BOOST_TEST(options.config == "");
  BOOST_TEST(!options.check_config);
  BOOST_TEST(!options.reindex);
  BOOST_TEST(!options.help);
  BOOST_TEST(static_cast<int>(options.log_level) == static_cast<int>(log::Level::info));
}

BOOST_AUTO_TEST_CASE(options_with_values_in_both_spellings) {
  auto options = value_of(parse({"--config", "/etc/x.json", "--log-level", "debug", "--reindex"}));
  BOOST_TEST(options.config == "/etc/x.json");
  BOOST_TEST(static_cast<int>(options.log_level) == static_cast<int>(log::Level::debug));
  BOOST_TEST(options.reindex);
  options = value_of(parse({"--config=/a b.json", "--log-level=warning", "--check-config"}));
  BOOST_TEST(options.config == "/a b.json");
  BOOST_TEST(static_cast<int>(options.log_level) == static_cast<int>(log::Level::warning));
  BOOST_TEST(options.check_config);
  BOOST_TEST(static_cast<int>(value_of(parse({"--log-level", "notice"})).log_level) ==
             static_cast<int>(log::Level::notice));
  BOOST_TEST(value_of(parse({"--help"})).help);
  BOOST_TEST(value_of(parse({"-h"})).help);
}

BOOST_AUTO_TEST_CASE(usage_errors) {
  for (const auto& args :
       std::vector<std::vector<std::string_view>>{{"--bogus"},
                                                  {"reindex"},
                                                  {"--config"},
                                                  {"--config="},
                                                  {"--log-level", "verbose"},
                                                  {"--log-level"},
                                                  {"--reindex=yes"},
                                                  {"--check-config", "--reindex"}}) {
    auto options = parse_options(args);
    BOOST_TEST(!options);
    if (!options) BOOST_TEST(options.error().kind == ErrorKind::invalid_argument);
  }
  BOOST_TEST(parse({"--bogus"}).error().message == "unknown option \"--bogus\"");
  BOOST_TEST(usage().find("--check-config") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(once_takes_a_timeout_for_the_uploads) {
  auto options = value_of(parse({"--once"}));
  BOOST_TEST(options.once);
  BOOST_TEST(options.timeout_seconds == 600);
  options = value_of(parse({"--once", "--timeout", "30"}));
  BOOST_TEST(options.timeout_seconds == 30);
  BOOST_TEST(value_of(parse({"--timeout=0", "--once"})).timeout_seconds == 0);
  BOOST_TEST(!parse({"--timeout", "30"}));  // only with --once
  BOOST_TEST(!parse({"--once", "--timeout", "-1"}));
  BOOST_TEST(!parse({"--once", "--timeout", "10s"}));
  BOOST_TEST(!parse({"--once", "--reindex"}));
  BOOST_TEST(usage().find("--timeout SECONDS") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(timelapse_now_takes_a_date_and_a_camera) {
  auto options = value_of(parse({"--timelapse-now", "2026-11-18"}));
  BOOST_TEST(options.timelapse_now == "2026-11-18");
  BOOST_TEST(options.camera.empty());
  options = value_of(parse({"--timelapse-now=2026-11-18", "--camera", "front"}));
  BOOST_TEST(options.timelapse_now == "2026-11-18");
  BOOST_TEST(options.camera == "front");
  BOOST_TEST(!parse({"--timelapse-now", "2026-13-01"}));
  BOOST_TEST(!parse({"--timelapse-now"}));
  BOOST_TEST(!parse({"--camera", "front"}));  // only with --convert-now or --timelapse-now
  BOOST_TEST(!parse({"--timelapse-now", "2026-11-18", "--once"}));
  BOOST_TEST(!parse({"--timelapse-now", "2026-11-18", "--reindex"}));
  BOOST_TEST(!parse({"--timelapse-now", "2026-11-18", "--convert-now", "2026-11-18"}));
  BOOST_TEST(usage().find("--timelapse-now DATE") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(check_config_says_what_it_found) {
  TempDir dir;
  const auto root = dir.path() / "archive";
  fs::create_directories(root / "front");
  fs::create_directories(root / "back");
  write_file(dir.path() / "discover.json", R"({"storageConfig": {"savePath": ")" + root.string() +
                                               R"(", "catalogPath": "/var/lib/cctv/x.sqlite"}})");
  BOOST_TEST(value_of(check_config(dir.path() / "discover.json")) ==
             "config OK: 2 cameras, archive " + root.string() + ", catalog /var/lib/cctv/x.sqlite");
  write_file(dir.path() / "one.json",
             R"({"storageConfig": {"savePath": ")" + root.string() +
                 R"("}, "cameras": [{"cameraName": "front", "url": "rtsp://cam/x"}]})");
  BOOST_TEST(value_of(check_config(dir.path() / "one.json")) ==
             "config OK: 1 cameras, archive " + root.string() +
                 ", catalog /var/lib/cctv/catalog.sqlite");
}

BOOST_AUTO_TEST_CASE(check_config_errors_name_the_file_and_json_path) {
  TempDir dir;
  const auto root = dir.path() / "archive";
  fs::create_directories(root);
  const auto file = dir.path() / "bad.json";
  write_file(file, R"({"storageConfig": {"savePath": ")" + root.string() +
                       R"("}, "cameras": [{"cameraName": "front", "url": 5}]})");
  auto verdict = check_config(file);
  BOOST_REQUIRE(!verdict);
  BOOST_TEST(verdict.error().message.find(file.string()) != std::string::npos);
  BOOST_TEST(verdict.error().message.find("cameras[0].url") != std::string::npos);
  BOOST_TEST(verdict.error().message.find('\n') == std::string::npos);

  write_file(file, R"({"storageConfig": {"savePath": "/nonexistent/cctv"}})");
  verdict = check_config(file);
  BOOST_REQUIRE(!verdict);
  BOOST_TEST(verdict.error().message.find("storageConfig.savePath") != std::string::npos);

  verdict = check_config(dir.path() / "missing.json");
  BOOST_REQUIRE(!verdict);
  BOOST_TEST(verdict.error().kind == ErrorKind::not_found);
}
