// The S3 sync queue's rules and its catalog side (issue 5; docs/worker.md, "S3 sync"):
// which files must go up (every segment when s3Config.uploadSegments, every converted
// video.mp4 and its .sha512sum), under which key (worker/sync_naming.hpp), and what a
// failure does to a file:
//   retry    5xx, SlowDown, timeouts, connection errors, a verification mismatch: the
//            file waits sync_retry_delay(attempts) (1 s doubling to 5 min, +-20 %);
//   blocked  S3 refuses the request whatever the file (bad credentials, no such
//            bucket, wrong region, a certificate that does not verify): the file waits
//            an hour and the whole queue waits (worker/sync_module.hpp);
//   gone     the local file vanished (converted, deleted): its row is dropped once the
//            catalog forgets the file.
// Every state change is one row update in the catalog, so a restart resumes the queue.
#pragma once

#include "core/catalog.hpp"
#include "core/config.hpp"
#include "core/error.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace cctv::worker {

inline constexpr std::chrono::milliseconds k_sync_retry_first{1000};
inline constexpr std::chrono::milliseconds k_sync_retry_max{300'000};
// How long a file that S3 refused (blocked) or that is gone waits before it is tried again.
inline constexpr std::int64_t k_sync_refused_wait_us = 3600 * k_micros_per_second;

// The wait before the next try of a file that has failed `attempts` times (>= 1) with a
// retryable error: 1 s doubling up to 5 min, jittered by +-20 % (`unit` in [0, 1) picks
// where in the band; 0.5 is the middle).
std::chrono::milliseconds sync_retry_delay(std::int64_t attempts, double unit);

enum class FailureClass { retry, blocked, gone };
std::string_view to_string(FailureClass failure);
// What a failed upload means; `file_exists` is whether the local file is still there.
FailureClass classify_failure(const Error& error, bool file_exists);

// A camera as the queue names and finds its files.
struct SyncCamera {
  std::int64_t id = 0;
  std::string name;
  std::string feed_id;         // videoFeedId ("" when none)
  std::filesystem::path path;  // the camera directory
};

class SyncQueue {
 public:
  SyncQueue(const Config& config, std::vector<SyncCamera> cameras, Catalog& catalog);

  // Queues the files of every day that changed since the last call (all days the
  // first time) and drops the rows of files that are no longer there. Returns how
  // many files were queued.
  Result<std::int64_t> refresh();
  // The waiting files due at `now`, oldest first.
  Result<std::vector<Upload>> due(UtcMicros now, std::int64_t limit);

  // A multipart upload was created (its id is kept until the file is done).
  Result<void> started(const Upload& upload, std::string_view upload_id);
  Result<void> done(const Upload& upload, std::int64_t size_bytes, std::string_view etag);
  // Records a failure and returns its class; the file's next try is set accordingly.
  Result<FailureClass> failed(const Upload& upload, const Error& error, UtcMicros now, double unit);

  [[nodiscard]] const SyncCamera* camera(std::int64_t id) const;
  // The local file of an upload row; empty when its camera is unknown.
  [[nodiscard]] std::filesystem::path file_path(const Upload& upload) const;
  [[nodiscard]] const std::vector<SyncCamera>& cameras() const { return m_cameras; }
  [[nodiscard]] Catalog& catalog() { return m_catalog; }
  // The days refresh() found changed since the last call (as they were then).
  std::vector<DayRow> take_changed() { return std::exchange(m_changed, {}); }

 private:
  Result<std::int64_t> refresh_day(const SyncCamera& camera, const DayRow& day);

  S3Config m_s3;
  std::vector<SyncCamera> m_cameras;
  Catalog& m_catalog;
  std::map<std::pair<std::int64_t, std::int64_t>, std::int64_t> m_seen;  // day -> version
  std::vector<DayRow> m_changed;
};

}  // namespace cctv::worker
