// The recorder as a module of the worker daemon: one Recorder (and thread) per
// recorded camera. On creation it salvages the `*.part` files a crash left behind,
// writes every configured camera's status (upload-only and disabled cameras too),
// and starts the recorders. stop() (SIGTERM) asks every recorder to close its
// segment and waits for all of them. The daemon's loop stays single-threaded: it
// only reads the recorders' status snapshots.
#pragma once

#include "core/catalog.hpp"
#include "core/config.hpp"
#include "worker/indexer.hpp"
#include "worker/module.hpp"
#include "worker/recorder.hpp"

#include <memory>
#include <string>
#include <vector>

namespace cctv::worker {

class RecorderModule final : public Module {
 public:
  // `cameras` are the indexer's (ids in the catalog); those configured for recording
  // get a recorder. `catalog` is the daemon's connection, used here only.
  static Result<std::unique_ptr<RecorderModule>> create(const Config& config,
                                                        const std::vector<Camera>& cameras,
                                                        Catalog& catalog,
                                                        const RecorderOptions& options = {},
                                                        const RecorderSeams& seams = {});
  RecorderModule(const RecorderModule&) = delete;
  RecorderModule& operator=(const RecorderModule&) = delete;
  ~RecorderModule() override { stop(); }

  // Starts every recorder's thread.
  void start();

  [[nodiscard]] std::string_view name() const override { return "recorder"; }
  Result<void> tick(UtcMicros /*now*/) override { return {}; }
  void stop() override;
  // "recording 2/2 cameras, 1234 segments today"; "" without recorded cameras
  [[nodiscard]] std::string status() const override;

  [[nodiscard]] std::size_t recorder_count() const { return m_recorders.size(); }
  [[nodiscard]] std::vector<CameraStatus> statuses() const;

 private:
  RecorderModule() = default;
  std::vector<std::unique_ptr<Recorder>> m_recorders;
};

}  // namespace cctv::worker
