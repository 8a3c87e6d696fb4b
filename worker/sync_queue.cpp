#include "worker/sync_queue.hpp"

#include "worker/sync_naming.hpp"

#include <algorithm>
#include <cmath>
#include <system_error>

namespace cctv::worker {

std::chrono::milliseconds sync_retry_delay(std::int64_t attempts, double unit) {
  const std::int64_t shift = std::clamp<std::int64_t>(attempts - 1, 0, 20);
  const std::int64_t base = std::min(k_sync_retry_first.count() << shift, k_sync_retry_max.count());
  const double factor = 1.0 + 0.2 * (2.0 * std::clamp(unit, 0.0, 1.0) - 1.0);
  return std::chrono::milliseconds{std::llround(static_cast<double>(base) * factor)};
}

std::string_view to_string(FailureClass failure) {
  switch (failure) {
    case FailureClass::retry:
      return "retryable";
    case FailureClass::blocked:
      return "refused";
    case FailureClass::gone:
      return "file gone";
  }
  return "retryable";
}

FailureClass classify_failure(const Error& error, bool file_exists) {
  if (!file_exists) return FailureClass::gone;
  switch (error.kind) {
    case ErrorKind::unavailable:
    case ErrorKind::timeout:
    case ErrorKind::data_loss:  // BadDigest, a mismatch after the upload: send it again
      return FailureClass::retry;
    case ErrorKind::invalid_argument:
    case ErrorKind::not_found:
    case ErrorKind::internal:
      return FailureClass::blocked;
  }
  return FailureClass::blocked;
}

SyncQueue::SyncQueue(const Config& config, std::vector<SyncCamera> cameras, Catalog& catalog)
    : m_s3(config.s3), m_cameras(std::move(cameras)), m_catalog(catalog) {}

Result<std::int64_t> SyncQueue::refresh() {
  std::int64_t queued = 0;
  for (const SyncCamera& cam : m_cameras) {
    auto days = m_catalog.days(cam.id);
    if (!days) return std::unexpected(days.error());
    for (const DayRow& day : *days) {
      const auto key = std::make_pair(cam.id, days_from_civil(day.date));
      const auto seen = m_seen.find(key);
      if (seen != m_seen.end() && seen->second == day.version) continue;
      auto n = refresh_day(cam, day);
      if (!n) return std::unexpected(n.error());
      queued += *n;
      m_seen[key] = day.version;
      m_changed.push_back(day);
    }
  }
  return queued;
}

Result<std::int64_t> SyncQueue::refresh_day(const SyncCamera& camera, const DayRow& day) {
  // An archived day's files are in S3 only; a day being converted or deleted changes
  // under us: its files are looked at again once its version changes.
  if (day.state == DayState::archived || day.state == DayState::converting) return 0;
  auto tx = m_catalog.transaction();
  if (!tx) return std::unexpected(tx.error());
  CCTV_TRY(m_catalog.drop_stale_uploads(camera.id, day.date));
  auto files = m_catalog.unqueued_files(camera.id, day.date, m_s3.upload_segments);
  if (!files) return std::unexpected(files.error());
  for (const UploadFile& file : *files) {
    const std::string key = object_key(m_s3, KeyParts{camera.name, camera.feed_id, file.date,
                                                      file.start_us, file.end_us, file.name});
    CCTV_TRY(m_catalog.queue_upload(file, key));
  }
  CCTV_TRY(tx->commit());
  return static_cast<std::int64_t>(files->size());
}

Result<std::vector<Upload>> SyncQueue::due(UtcMicros now, std::int64_t limit) {
  return m_catalog.due_uploads(now, limit);
}

Result<void> SyncQueue::started(const Upload& upload, std::string_view upload_id) {
  return m_catalog.put_upload_started(upload, upload_id);
}

Result<void> SyncQueue::done(const Upload& upload, std::int64_t size_bytes, std::string_view etag) {
  return m_catalog.put_upload_done(upload, size_bytes, etag);
}

Result<FailureClass> SyncQueue::failed(const Upload& upload, const Error& error, UtcMicros now,
                                       double unit) {
  std::error_code ec;
  const std::filesystem::path path = file_path(upload);
  const bool exists = !path.empty() && std::filesystem::exists(path, ec);
  const FailureClass failure = classify_failure(error, exists);
  UtcMicros next = now + k_sync_refused_wait_us;
  if (failure == FailureClass::retry) {
    next = now + std::chrono::duration_cast<std::chrono::microseconds>(
                     sync_retry_delay(upload.attempts + 1, unit))
                     .count();
  }
  CCTV_TRY(m_catalog.put_upload_failed(upload, error.message, next, true));
  if (failure == FailureClass::gone) {
    CCTV_TRY(m_catalog.drop_stale_uploads(upload.camera_id, upload.date));
  }
  return failure;
}

const SyncCamera* SyncQueue::camera(std::int64_t id) const {
  const auto it = std::find_if(m_cameras.begin(), m_cameras.end(),
                               [id](const SyncCamera& c) { return c.id == id; });
  return it == m_cameras.end() ? nullptr : &*it;
}

std::filesystem::path SyncQueue::file_path(const Upload& upload) const {
  const SyncCamera* cam = camera(upload.camera_id);
  if (cam == nullptr) return {};
  return cam->path / format_date(upload.date) / upload.name;
}

}  // namespace cctv::worker
