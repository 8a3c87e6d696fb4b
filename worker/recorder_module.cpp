#include "worker/recorder_module.hpp"

#include "core/log.hpp"
#include "worker/recorder_salvage.hpp"

#include <algorithm>

namespace cctv::worker {

Result<std::unique_ptr<RecorderModule>> RecorderModule::create(const Config& config,
                                                               const std::vector<Camera>& cameras,
                                                               Catalog& catalog,
                                                               const RecorderOptions& options,
                                                               const RecorderSeams& seams) {
  std::unique_ptr<RecorderModule> module(new RecorderModule());
  const UtcMicros now = seams.clock ? seams.clock() : system_now();
  std::vector<CameraStatus> rows;
  for (const CameraConfig& cam : config.cameras) {
    const auto camera = std::find_if(cameras.begin(), cameras.end(),
                                     [&](const Camera& c) { return c.name == cam.name; });
    if (camera == cameras.end()) continue;
    CameraStatus row;
    row.camera_id = camera->id;
    row.since_us = now;
    row.updated_us = now;
    if (cam.recorded()) {
      auto salvaged = salvage_camera(*camera, catalog);
      if (!salvaged) {  // logged; the files stay for the next start
        log::error("cam=" + cam.name + " salvage: " + salvaged.error().message);
      } else if (salvaged->kept + salvaged->removed > 0) {
        log::notice("cam=" + cam.name + " salvage: " + std::to_string(salvaged->kept) + " kept, " +
                    std::to_string(salvaged->removed) + " removed");
      }
      module->m_recorders.push_back(
          std::make_unique<Recorder>(cam, *camera, config.catalog_path, options, seams));
      row.state = CameraState::reconnecting;
    } else {
      row.state = cam.enabled ? CameraState::upload_only : CameraState::disabled;
    }
    rows.push_back(std::move(row));
  }
  auto tx = catalog.transaction();
  if (!tx) return std::unexpected(tx.error());
  CCTV_TRY(catalog.clear_camera_statuses());
  for (const CameraStatus& row : rows) CCTV_TRY(catalog.put_camera_status(row));
  CCTV_TRY(tx->commit());
  return module;
}

void RecorderModule::start() {
  for (auto& recorder : m_recorders) recorder->start();
}

void RecorderModule::stop() {
  // Everyone is asked first, so that they close their segments in parallel.
  for (auto& recorder : m_recorders) recorder->request_stop();
  for (auto& recorder : m_recorders) recorder->join();
}

std::vector<CameraStatus> RecorderModule::statuses() const {
  std::vector<CameraStatus> statuses;
  statuses.reserve(m_recorders.size());
  for (const auto& recorder : m_recorders) statuses.push_back(recorder->status());
  return statuses;
}

std::string RecorderModule::status() const {
  if (m_recorders.empty()) return {};  // nothing to say (the daemon skips it)
  std::size_t recording = 0;
  std::int64_t today = 0;
  for (const CameraStatus& s : statuses()) {
    if (s.state == CameraState::recording) ++recording;
    today += s.segments_today;
  }
  return "recording " + std::to_string(recording) + "/" + std::to_string(m_recorders.size()) +
         " cameras, " + std::to_string(today) + " segments today";
}

}  // namespace cctv::worker
