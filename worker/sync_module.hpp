// The S3 sync (issue 5; docs/worker.md, "S3 sync"; docs/s3.md): a worker module whose
// thread uploads the files the queue (worker/sync_queue.hpp) holds, oldest first:
// small files `uploadConcurrency` at a time (one s3::Client each, keep-alive), large
// ones as multipart uploads whose id is recorded first; each verified with HEAD before
// it counts as done. Retryable failures wait with backoff; when S3 refuses (bad
// credentials, no such bucket) the error is logged once and the queue waits (5 min, or
// until SIGHUP) instead of spinning. With storageConfig.clearAfterUpload, a settled or
// converted day whose files are all verified in S3 becomes `archived` and only then are
// its local files deleted (the rows stay: the day is still listed and played from S3).
// The queue's length and the age of its oldest file go to the catalog's sync_status
// (the index page) and to systemd's STATUS=.
#pragma once

#include "core/catalog.hpp"
#include "core/config.hpp"
#include "worker/indexer.hpp"
#include "worker/module.hpp"
#include "worker/module_thread.hpp"
#include "worker/s3_client.hpp"
#include "worker/sync_queue.hpp"

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace cctv::worker {

struct SyncOptions {
  std::chrono::milliseconds poll{1000};                // looks for new files this often
  std::chrono::milliseconds blocked_recheck{300'000};  // S3 refused: tries again after this
  std::int64_t batch = 64;                             // files taken per turn
  std::function<double()> random;                      // jitter in [0, 1); default: random
};

// What one turn of the queue did.
struct SyncTurn {
  std::int64_t queued = 0;    // files newly queued
  std::int64_t uploaded = 0;  // uploaded and verified
  std::int64_t uploaded_bytes = 0;
  std::int64_t retrying = 0;  // failed, will be tried again
  std::int64_t archived_days = 0;
  std::optional<Error> refused;  // S3 refused a request: the queue waits
  bool idle = false;             // nothing was due
};

// The queue's work without a thread: the daemon's module runs it in its thread,
// `cctv-worker --once` in the main thread.
class Syncer {
 public:
  static Result<std::unique_ptr<Syncer>> create(const Config& config,
                                                const std::vector<Camera>& cameras,
                                                SyncOptions options = {});
  ~Syncer();
  Syncer(const Syncer&) = delete;
  Syncer& operator=(const Syncer&) = delete;
  Syncer(Syncer&&) = delete;
  Syncer& operator=(Syncer&&) = delete;

  // At start: aborts the multipart uploads a crash left (or logs that it cannot: s3rver
  // has no Abort), makes every waiting file due now, finishes deleting the local files
  // of archived days (a crash between the two phases).
  Result<void> recover();
  // Queues new files, uploads one batch of due files, clears verified days.
  Result<SyncTurn> turn();
  // Every waiting file due now (SIGHUP, a config fixed and restarted).
  Result<void> retry_now();
  Result<UploadQueueStats> stats() { return m_catalog.upload_queue_stats(); }
  // Writes the status row for the index page; `state`: idle, uploading, retrying, blocked.
  Result<SyncStatus> publish(std::string_view state, std::string_view error);

  // A turn stops between files once `*stop` is true (SIGTERM); what was sent is recorded.
  void set_stop(const std::atomic<bool>* stop) { m_stop = stop; }

  [[nodiscard]] std::int64_t uploaded_files() const { return m_uploaded_files; }
  [[nodiscard]] std::int64_t uploaded_bytes() const { return m_uploaded_bytes; }

 private:
  Syncer(const Config& config, SyncOptions options, Catalog catalog,
         std::vector<SyncCamera> cameras);
  struct Outcome {
    Upload upload;
    Result<s3::UploadResult> result;
    bool sent = false;
  };
  Result<void> record(SyncTurn& turn, const Outcome& outcome);
  Result<std::int64_t> clear_day(std::int64_t camera_id, const Date& date);
  Result<std::int64_t> delete_local_files(std::int64_t camera_id, const Date& date);

  Config m_config;
  SyncOptions m_options;
  Catalog m_catalog;
  SyncQueue m_queue;
  std::optional<s3::Client> m_client;                          // multipart uploads, aborts
  std::vector<s3::Client> m_pool;                              // small files, one per thread
  std::set<std::pair<std::int64_t, std::int64_t>> m_to_clear;  // days to check (clear)
  std::optional<Upload> m_current;                             // the multipart upload in hand
  std::int64_t m_uploaded_files = 0;
  std::int64_t m_uploaded_bytes = 0;
  bool m_logged_retry = false;
  std::string m_refused_logged;  // the refusal logged already (logged once)
  const std::atomic<bool>* m_stop = nullptr;
  [[nodiscard]] bool stopping() const { return m_stop != nullptr && m_stop->load(); }
};

class SyncModule final : public Module {
 public:
  // Starts the thread; `cameras` as the indexer loaded them.
  static Result<std::unique_ptr<SyncModule>> create(const Config& config,
                                                    const std::vector<Camera>& cameras,
                                                    SyncOptions options = {});
  ~SyncModule() override;
  SyncModule(const SyncModule&) = delete;
  SyncModule& operator=(const SyncModule&) = delete;
  SyncModule(SyncModule&&) = delete;
  SyncModule& operator=(SyncModule&&) = delete;

  [[nodiscard]] std::string_view name() const override { return "s3 sync"; }
  Result<void> tick(UtcMicros /*now*/) override { return {}; }
  // SIGHUP: every waiting file is tried again now, a refused queue included.
  Result<void> resync() override;
  void stop() override;
  [[nodiscard]] std::string status() const override;

 private:
  explicit SyncModule(std::unique_ptr<Syncer> syncer, SyncOptions options)
      : m_syncer(std::move(syncer)), m_options(std::move(options)) {
    m_syncer->set_stop(m_thread.stop_flag());
  }
  void run();

  std::unique_ptr<Syncer> m_syncer;
  SyncOptions m_options;
  std::atomic<bool> m_retry_now{false};
  std::atomic<std::int64_t> m_waiting{-1};  // -1 until the first turn
  std::atomic<std::int64_t> m_oldest_us{0};
  std::atomic<bool> m_refused{false};
  ModuleThread m_thread;  // last: stopped before the members its body uses go
};

// `cctv-worker --once`: one sync pass on the caller's thread (after the indexing).
struct SyncPassReport {
  enum class Outcome { synced, refused, timed_out, stopped };
  Outcome outcome = Outcome::synced;
  std::int64_t uploaded_files = 0;
  std::int64_t uploaded_bytes = 0;
  double seconds = 0;
  UploadQueueStats left;  // what still waits
  std::string error;      // S3's refusal, or the last retryable failure
};
// Uploads until the queue is empty (synced), S3 refuses (refused: logged once, nothing
// deleted), `timeout` has passed (timed_out) or `*stop` is set (stopped).
Result<SyncPassReport> run_sync_pass(const Config& config, const std::vector<Camera>& cameras,
                                     std::chrono::seconds timeout,
                                     const std::atomic<bool>* stop = nullptr,
                                     SyncOptions options = {});

// "12 files uploaded (48.2 MiB) in 3.10 s, 15.5 MiB/s", for the log.
std::string describe_pass(const SyncPassReport& report);

// The short text of the queue for status lines: "S3: 12 files waiting (3.4 MB), oldest
// 3 min", "S3: all uploaded".
std::string describe_queue(const UploadQueueStats& stats, UtcMicros now);

// Retention's "is this day safely stored elsewhere" (worker/retention_module.hpp,
// SafeElsewhere): with S3 on, true when every current file of the day is uploaded and
// verified (Catalog::day_in_s3; false when unsure); with S3 off, true (there is nothing to
// wait for). Called with the caller's own catalog connection.
std::function<bool(Catalog& catalog, std::int64_t camera_id, const Date& date)>
stored_elsewhere_hook(const Config& config);

// The queue's cameras from the indexer's (their videoFeedId from the config).
std::vector<SyncCamera> sync_cameras(const Config& config, const std::vector<Camera>& cameras);

}  // namespace cctv::worker
