// Retention, carried out: a worker module whose thread runs a pass every minute, and at
// once when the file system's free space falls below storageConfig.minFreeGB (checked
// every 5 s with statvfs). A pass plans with worker/retention.hpp and deletes each day in
// two phases (catalog marked, files deleted, rows removed), so that a crash never leaves
// rows for missing files; a day left marked is finished when the worker starts.
// `cctv-worker --once` runs one pass without the thread (class Retention).
// See docs/worker.md, "Retention".
#pragma once

#include "core/catalog.hpp"
#include "core/config.hpp"
#include "worker/clock.hpp"
#include "worker/indexer.hpp"
#include "worker/module.hpp"
#include "worker/module_thread.hpp"
#include "worker/retention.hpp"

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace cctv::worker {

// Whether a day's files are stored safely elsewhere (uploaded to S3 and verified), so
// that deleting them here loses nothing. Called on the retention thread with its own
// catalog connection; false when unsure.
using SafeElsewhere =
    std::function<bool(Catalog& catalog, std::int64_t camera_id, const Date& date)>;
// Without S3 (s3Config.s3Bucket empty) every day is "safe": there is no elsewhere to wait
// for. With S3 no day is, until the S3 sync provides its own answer.
SafeElsewhere default_safe_elsewhere(const Config& config);

// Bytes free for unprivileged users on the file system that holds `path` (statvfs).
using FreeSpace = std::function<Result<std::int64_t>(const std::filesystem::path& path)>;
Result<std::int64_t> statvfs_free_bytes(const std::filesystem::path& path);

struct RetentionSeams {
  SafeElsewhere safe;  // default_safe_elsewhere(config) when empty
  FreeSpace free_space = statvfs_free_bytes;
  Clock clock = system_now;
};

// What one pass did.
struct RetentionReport {
  std::size_t days = 0;       // whole days deleted
  std::size_t files = 0;      // files deleted (whole days and today's oldest)
  std::int64_t bytes = 0;     // their size
  std::size_t lost_days = 0;  // days (or today's files) deleted although not stored elsewhere
  std::size_t held_back = 0;  // days due that are kept: not yet stored elsewhere
  std::size_t failed = 0;     // deletions that failed (logged)
  bool size_ok = true;        // the archive is within clearWhenFilePathReachGB
  bool free_ok = true;        // the file system has minFreeGB free (or it is unknown)
};

// One retention pass over the catalog, on the caller's thread.
class Retention {
 public:
  Retention(Config config, std::vector<Camera> cameras, RetentionSeams seams = {});

  // Finishes the days that a crash left marked: deletes their files, forgets their rows.
  Result<std::size_t> finish_marked(Catalog& catalog);
  // Plans and carries out one pass.
  Result<RetentionReport> run_pass(Catalog& catalog);
  // True when the free-space floor is breached now (one statvfs; false when unknown).
  [[nodiscard]] bool below_floor() const;
  // A pass stops between days once `*stop` is true (SIGTERM).
  void set_stop(const std::atomic<bool>* stop) { m_stop = stop; }

 private:
  Result<RetentionState> gather(Catalog& catalog, std::vector<const Camera*>& owners) const;
  [[nodiscard]] std::filesystem::path camera_path(const std::string& directory) const;

  Config m_config;
  std::vector<Camera> m_cameras;
  RetentionSeams m_seams;
  RetentionLimits m_limits;
  const std::atomic<bool>* m_stop = nullptr;
};

class RetentionModule final : public Module {
 public:
  // Starts the thread; `cameras` as the indexer loaded them.
  static Result<std::unique_ptr<RetentionModule>> create(const Config& config,
                                                         std::vector<Camera> cameras,
                                                         RetentionSeams seams = {});
  ~RetentionModule() override;
  RetentionModule(const RetentionModule&) = delete;
  RetentionModule& operator=(const RetentionModule&) = delete;
  RetentionModule(RetentionModule&&) = delete;
  RetentionModule& operator=(RetentionModule&&) = delete;

  [[nodiscard]] std::string_view name() const override { return "retention"; }
  Result<void> tick(UtcMicros /*now*/) override { return {}; }
  void stop() override;
  [[nodiscard]] std::string status() const override;

 private:
  RetentionModule(const Config& config, std::vector<Camera> cameras, RetentionSeams seams)
      : m_catalog_path(config.catalog_path),
        m_retention(config, std::move(cameras), std::move(seams)) {
    m_retention.set_stop(m_thread.stop_flag());
  }
  void run();

  std::filesystem::path m_catalog_path;
  Retention m_retention;
  std::atomic<std::int64_t> m_deleted_days{0};
  std::atomic<std::int64_t> m_deleted_bytes{0};
  ModuleThread m_thread;  // last: stopped before the members its body uses go
};

}  // namespace cctv::worker
