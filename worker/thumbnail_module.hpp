// The thumbnail module: a worker thread at low CPU and I/O priority that writes a
// thumbnail (worker/thumbnailer.hpp) for every indexed segment that has none, newest
// day and newest segment first: `<day dir>/thumbs/video_HHMMSS.jpg`. A converted day
// keeps the thumbnails of its segments (the converter deletes only the segments); a
// converted day without them gets one per fragment, named after the fragment's local
// start time. A piece that cannot be decoded is logged once and skipped until the
// worker restarts. See docs/worker.md, "Thumbnails".
#pragma once

#include "core/catalog.hpp"
#include "core/config.hpp"
#include "worker/indexer.hpp"
#include "worker/module.hpp"
#include "worker/module_thread.hpp"
#include "worker/thumbnailer.hpp"

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace cctv::worker {

struct ThumbnailPassStats {
  std::int64_t written = 0;  // thumbnails made in this pass
  std::int64_t failed = 0;   // pieces that could not be decoded
  bool stopped = false;      // *stop was set before the pass finished
};

// Remembers which days are complete at which version of their catalog row, so that a
// pass only looks again at days that changed (a recording day, a converted day).
class ThumbnailPass {
 public:
  ThumbnailPass(std::vector<Camera> cameras, ThumbnailOptions options = {})
      : m_cameras(std::move(cameras)), m_options(options) {}

  // One pass over every camera's days, newest first; returns early when *stop is set.
  Result<ThumbnailPassStats> run(Catalog& catalog, const std::atomic<bool>* stop = nullptr);

 private:
  Result<void> run_day(Catalog& catalog, const Camera& camera, const DayRow& day,
                       const std::atomic<bool>* stop, ThumbnailPassStats& stats);

  std::vector<Camera> m_cameras;
  ThumbnailOptions m_options;
  std::map<std::pair<std::int64_t, std::int64_t>, std::int64_t> m_done;  // (camera, day) -> version
  std::set<std::string> m_failed;  // paths of pieces that could not be decoded (logged once)
};

class ThumbnailModule final : public Module {
 public:
  // Starts the thread; `cameras` as the indexer loaded them.
  static Result<std::unique_ptr<ThumbnailModule>> create(const Config& config,
                                                         std::vector<Camera> cameras);
  ~ThumbnailModule() override;
  ThumbnailModule(const ThumbnailModule&) = delete;
  ThumbnailModule& operator=(const ThumbnailModule&) = delete;
  ThumbnailModule(ThumbnailModule&&) = delete;
  ThumbnailModule& operator=(ThumbnailModule&&) = delete;

  [[nodiscard]] std::string_view name() const override { return "thumbnails"; }
  Result<void> tick(UtcMicros /*now*/) override { return {}; }
  void stop() override;
  [[nodiscard]] std::string status() const override;

 private:
  ThumbnailModule(Config config, std::vector<Camera> cameras)
      : m_config(std::move(config)), m_pass(std::move(cameras)) {}
  void run();

  Config m_config;
  ThumbnailPass m_pass;
  std::atomic<std::int64_t> m_written{0};
  ModuleThread m_thread;  // last: stopped before the members its body uses go
};

}  // namespace cctv::worker
