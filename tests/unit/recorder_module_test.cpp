// Unit tests for worker/recorder_module: every configured camera's status row
// (recorded, upload-only, disabled), the salvage at creation, the systemd status
// line, and a real-time file camera recorded on its own thread and stopped like
// SIGTERM: within 2 s, every segment playable and in the catalog.
#define BOOST_TEST_MODULE recorder_module
#include <boost/test/unit_test.hpp>

#include "core/layout.hpp"
#include "tests/unit/recorder_fixture.hpp"
#include "worker/recorder_module.hpp"

#include <thread>

using namespace cctv;
using namespace cctv::test;
using namespace cctv::worker;
using namespace std::chrono_literals;

namespace {

struct Setup {
  TempDir dir;
  fs::path root = dir.path() / "archive";
  fs::path catalog_path = dir.path() / "catalog.sqlite";
  Catalog catalog = open_catalog(catalog_path);
  Config config = make_config(root, catalog_path);

  Setup() { fs::create_directories(root); }

  CameraConfig& add(const std::string& name, const std::string& url, bool enabled = true) {
    CameraConfig cam;
    cam.name = name;
    cam.directory = name;
    cam.url = url;
    cam.enabled = enabled;
    cam.segment_seconds = 1;
    config.cameras.push_back(cam);
    return config.cameras.back();
  }

  std::unique_ptr<RecorderModule> module(Indexer& indexer) {
    check([&]() -> Result<void> {
      CCTV_TRY(indexer.load_cameras());
      return {};
    }());
    return value_of(RecorderModule::create(config, indexer.cameras(), catalog));
  }
};

CameraStatus status_of(const std::vector<CameraStatus>& statuses, const std::string& name) {
  for (const auto& s : statuses) {
    if (s.camera == name) return s;
  }
  throw std::runtime_error("no status for " + name);
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_configured_camera_gets_a_status_and_only_recorded_ones_a_recorder) {
  Setup s;
  s.add("front", "rtsp://127.0.0.1:1/x");
  s.add("yard", "");                             // a camera streamer box: uploads only
  s.add("back", "rtsp://127.0.0.1:1/y", false);  // disabled
  s.add("shed", "", false);                      // an upload camera switched off
  Indexer indexer(s.config, s.catalog);
  // A stale row of a camera that is no longer configured goes away.
  const auto gone = value_of(s.catalog.ensure_camera("gone", "gone", "UTC"));
  CameraStatus stale;
  stale.camera_id = gone;
  stale.state = CameraState::recording;
  check(s.catalog.put_camera_status(stale));
  auto module = s.module(indexer);
  BOOST_TEST(module->recorder_count() == 1u);
  const auto statuses = value_of(s.catalog.camera_statuses());
  BOOST_TEST(statuses.size() == 4u);
  BOOST_TEST(status_of(statuses, "front").state == CameraState::reconnecting);
  BOOST_TEST(status_of(statuses, "yard").state == CameraState::upload_only);
  BOOST_TEST(status_of(statuses, "back").state == CameraState::disabled);
  BOOST_TEST(status_of(statuses, "shed").state == CameraState::disabled);
  BOOST_TEST(module->status() == "recording 0/1 cameras, 0 segments today");
  BOOST_TEST(module->name() == "recorder");
}

BOOST_AUTO_TEST_CASE(without_recorded_cameras_the_status_line_says_nothing) {
  Setup s;
  s.add("yard", "");
  Indexer indexer(s.config, s.catalog);
  auto module = s.module(indexer);
  BOOST_TEST(module->recorder_count() == 0u);
  BOOST_TEST(module->status().empty());
  module->start();
  module->stop();
}

BOOST_AUTO_TEST_CASE(leftover_parts_are_salvaged_when_the_module_is_made) {
  Setup s;
  s.add("front", "rtsp://127.0.0.1:1/x");
  make_ts(s.root / "front" / "2026-11-20" / "video_101500.ts.part", 2);
  write_file(s.root / "front" / "2026-11-20" / "video_101510.ts.part", "garbage");
  Indexer indexer(s.config, s.catalog);
  auto module = s.module(indexer);
  BOOST_TEST(
      files_in(s.root / "front" / "2026-11-20") == std::vector<std::string>{"video_101500.ts"},
      boost::test_tools::per_element());
  const auto camera = value_of(s.catalog.find_camera("front"));
  BOOST_TEST(value_of(s.catalog.segments(camera->id, Date{2026, 11, 20})).size() == 1u);
}

BOOST_AUTO_TEST_CASE(recorders_run_on_their_own_threads_and_stop_within_two_seconds) {
  Setup s;
  const fs::path clip = s.dir.path() / "clip.ts";
  make_clip(clip, 30);
  s.add("front", clip.string());  // a file: played in real time, like a camera
  s.add("side", "file:" + clip.string());
  Indexer indexer(s.config, s.catalog);
  auto module = s.module(indexer);
  module->start();
  // Wait until both record and have closed a segment or two.
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < deadline) {
    const auto statuses = module->statuses();
    if (module->status().starts_with("recording 2/2") &&
        files_in(s.root / "side" / format_date(TimeZone::utc().date_of(system_now()))).size() >=
            2 &&
        files_in(s.root / "front" / format_date(TimeZone::utc().date_of(system_now()))).size() >=
            2) {
      break;
    }
    std::this_thread::sleep_for(100ms);
  }
  BOOST_TEST(module->status().starts_with("recording 2/2 cameras"), module->status());
  std::this_thread::sleep_for(500ms);  // in the middle of a segment
  const auto start = std::chrono::steady_clock::now();
  module->stop();  // what the daemon does on SIGTERM
  const double took =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  BOOST_TEST(took < 2.0);
  for (const char* name : {"front", "side"}) {
    const auto camera = value_of(s.catalog.find_camera(name));
    for (const Date& date : list_days(s.root / name)) {
      const auto rows = value_of(s.catalog.segments(camera->id, date));
      const auto files = files_in(s.root / name / format_date(date));
      BOOST_TEST(rows.size() == files.size(), name << " " << format_date(date));  // no .part left
      for (const auto& row : rows) {
        const double probed = ffprobe_duration(s.root / name / format_date(date) / row.name);
        BOOST_TEST(std::abs(probed - static_cast<double>(row.duration_us) / 1e6) < 0.15,
                   row.name << " " << probed);
      }
    }
  }
  const auto statuses = value_of(s.catalog.camera_statuses());
  BOOST_TEST(status_of(statuses, "front").last_error == "the worker stopped");
}
