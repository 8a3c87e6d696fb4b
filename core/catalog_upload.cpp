// The S3 sync queue of the Catalog: one row per file that must go up, its state, and
// the sync status the index page shows. See core/catalog.hpp and core/schema.sql.
#include "core/catalog.hpp"

#include "core/catalog_internal.hpp"

#include <algorithm>

namespace cctv {

using catalog_detail::now_us;

namespace {

constexpr std::string_view k_upload_columns =
    "camera_id, date, name, object_key, start_time_us, end_time_us, size_bytes, state, "
    "upload_id, etag, attempts, next_try_time_us, last_error, queued_time_us, only_in_s3";

Upload read_upload(const sqlite::Statement& s) {
  Upload u;
  u.camera_id = s.column_int(0);
  u.date = parse_date(s.column_text(1)).value_or(Date{});
  u.name = s.column_text(2);
  u.key = s.column_text(3);
  u.start_us = s.column_int(4);
  u.end_us = s.column_int(5);
  u.size_bytes = s.column_int(6);
  u.state = parse_upload_state(s.column_text(7)).value_or(UploadState::pending);
  u.upload_id = s.column_text(8);
  u.etag = s.column_text(9);
  u.attempts = s.column_int(10);
  u.next_try_us = s.column_int(11);
  u.last_error = s.column_text(12);
  u.queued_us = s.column_int(13);
  u.only_in_s3 = s.column_int(14) != 0;
  return u;
}

Result<std::vector<Upload>> read_uploads(sqlite::Statement& s) {
  std::vector<Upload> out;
  for (;;) {
    auto row = s.step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    out.push_back(read_upload(s));
  }
  return out;
}

// The condition "this upload row is one of its day's current files" (alias `upload`).
constexpr std::string_view k_current_file =
    "(EXISTS (SELECT 1 FROM segment s WHERE s.camera_id = upload.camera_id AND "
    "s.date = upload.date AND s.name = upload.name) OR EXISTS (SELECT 1 FROM converted_day c "
    "WHERE c.camera_id = upload.camera_id AND c.date = upload.date AND "
    "(c.file_name = upload.name OR c.file_name || '.sha512sum' = upload.name)))";

}  // namespace

std::string_view to_string(UploadState state) {
  switch (state) {
    case UploadState::pending:
      return "pending";
    case UploadState::uploading:
      return "uploading";
    case UploadState::done:
      return "done";
    case UploadState::failed:
      return "failed";
  }
  return "pending";
}

std::optional<UploadState> parse_upload_state(std::string_view text) {
  for (UploadState s :
       {UploadState::pending, UploadState::uploading, UploadState::done, UploadState::failed}) {
    if (to_string(s) == text) return s;
  }
  return std::nullopt;
}

Result<std::vector<UploadFile>> Catalog::unqueued_files(std::int64_t camera_id, const Date& date,
                                                        bool segments) {
  const std::string day_text = format_date(date);
  std::vector<UploadFile> files;
  if (segments) {
    CCTV_STATEMENT(s,
                   "SELECT s.name, s.start_time_us, s.duration_us, s.size_bytes FROM segment s "
                   "LEFT JOIN upload u ON u.camera_id = s.camera_id AND u.date = s.date AND "
                   "u.name = s.name WHERE s.camera_id = ?1 AND s.date = ?2 AND "
                   "(u.name IS NULL OR (u.only_in_s3 = 0 AND u.size_bytes != s.size_bytes)) "
                   "ORDER BY s.start_time_us, s.name");
    s.bind(1, camera_id).bind(2, day_text);
    for (;;) {
      auto row = s.step();
      if (!row) return std::unexpected(row.error());
      if (!*row) break;
      const UtcMicros start = s.column_int(1);
      files.push_back(UploadFile{camera_id, date, s.column_text(0), start, start + s.column_int(2),
                                 s.column_int(3)});
    }
  }
  CCTV_STATEMENT(c,
                 "SELECT c.file_name, c.file_size_bytes, "
                 "(SELECT min(start_time_us) FROM fragment f WHERE f.camera_id = c.camera_id "
                 "AND f.date = c.date), (SELECT max(start_time_us + duration_us) FROM fragment f "
                 "WHERE f.camera_id = c.camera_id AND f.date = c.date), "
                 "(SELECT count(*) FROM upload u WHERE u.camera_id = c.camera_id AND "
                 "u.date = c.date AND u.name = c.file_name), "
                 "(SELECT count(*) FROM upload u WHERE u.camera_id = c.camera_id AND "
                 "u.date = c.date AND u.name = c.file_name || '.sha512sum') "
                 "FROM converted_day c WHERE c.camera_id = ?1 AND c.date = ?2");
  c.bind(1, camera_id).bind(2, day_text);
  auto row = c.step();
  if (!row) return std::unexpected(row.error());
  if (*row) {
    const std::string file = c.column_text(0);
    const std::int64_t size = c.column_int(1);
    const UtcMicros start = c.column_int(2);
    const UtcMicros end = std::max(c.column_int(3), start);
    const bool has_file = c.column_int(4) != 0;
    const bool has_sum = c.column_int(5) != 0;
    c.reset();
    if (!has_file) files.push_back(UploadFile{camera_id, date, file, start, end, size});
    if (!has_sum) files.push_back(UploadFile{camera_id, date, file + ".sha512sum", start, end, 0});
  }
  return files;
}

Result<void> Catalog::queue_upload(const UploadFile& file, std::string_view key) {
  CCTV_STATEMENT(s,
                 "INSERT INTO upload (camera_id, date, name, object_key, start_time_us, "
                 "end_time_us, size_bytes, queued_time_us) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
                 "ON CONFLICT (camera_id, date, name) DO UPDATE SET "
                 "object_key = excluded.object_key, start_time_us = excluded.start_time_us, "
                 "end_time_us = excluded.end_time_us, size_bytes = excluded.size_bytes, "
                 "state = 'pending', upload_id = '', etag = '', attempts = 0, "
                 "next_try_time_us = 0, last_error = '', queued_time_us = excluded.queued_time_us, "
                 "done_time_us = NULL, only_in_s3 = 0");
  s.bind(1, file.camera_id)
      .bind(2, format_date(file.date))
      .bind(3, file.name)
      .bind(4, key)
      .bind(5, file.start_us)
      .bind(6, file.end_us)
      .bind(7, std::max<std::int64_t>(file.size_bytes, 0))
      .bind(8, now_us());
  return s.run();
}

Result<std::int64_t> Catalog::drop_stale_uploads(std::int64_t camera_id, const Date& date) {
  static const std::string sql =
      "DELETE FROM upload WHERE camera_id = ?1 AND date = ?2 AND only_in_s3 = 0 AND NOT " +
      std::string(k_current_file);
  CCTV_STATEMENT(s, sql);
  s.bind(1, camera_id).bind(2, format_date(date));
  CCTV_TRY(s.run());
  return std::int64_t{m_db.changes()};
}

Result<std::vector<Upload>> Catalog::due_uploads(UtcMicros now, std::int64_t limit) {
  static const std::string sql = "SELECT " + std::string(k_upload_columns) +
                                 " FROM upload WHERE state != 'done' AND next_try_time_us <= ?1 "
                                 "ORDER BY start_time_us, camera_id, name LIMIT ?2";
  CCTV_STATEMENT(s, sql);
  s.bind(1, now).bind(2, limit);
  return read_uploads(s);
}

Result<std::vector<Upload>> Catalog::unfinished_uploads() {
  static const std::string sql = "SELECT " + std::string(k_upload_columns) +
                                 " FROM upload WHERE state = 'uploading' AND upload_id != '' "
                                 "ORDER BY start_time_us";
  CCTV_STATEMENT(s, sql);
  return read_uploads(s);
}

Result<std::optional<Upload>> Catalog::find_upload(std::int64_t camera_id, const Date& date,
                                                   std::string_view name) {
  static const std::string sql = "SELECT " + std::string(k_upload_columns) +
                                 " FROM upload WHERE camera_id = ?1 AND date = ?2 AND name = ?3";
  CCTV_STATEMENT(s, sql);
  s.bind(1, camera_id).bind(2, format_date(date)).bind(3, name);
  auto rows = read_uploads(s);
  if (!rows) return std::unexpected(rows.error());
  if (rows->empty()) return std::optional<Upload>();
  return std::optional<Upload>(std::move(rows->front()));
}

Result<std::vector<Upload>> Catalog::uploads_of_day(std::int64_t camera_id, const Date& date) {
  static const std::string sql = "SELECT " + std::string(k_upload_columns) +
                                 " FROM upload WHERE camera_id = ?1 AND date = ?2 ORDER BY name";
  CCTV_STATEMENT(s, sql);
  s.bind(1, camera_id).bind(2, format_date(date));
  return read_uploads(s);
}

Result<void> Catalog::put_upload_started(const Upload& upload, std::string_view upload_id) {
  CCTV_STATEMENT(s,
                 "UPDATE upload SET state = 'uploading', upload_id = ?4 "
                 "WHERE camera_id = ?1 AND date = ?2 AND name = ?3");
  s.bind(1, upload.camera_id).bind(2, format_date(upload.date)).bind(3, upload.name);
  s.bind(4, upload_id);
  return s.run();
}

Result<void> Catalog::put_upload_done(const Upload& upload, std::int64_t size_bytes,
                                      std::string_view etag) {
  CCTV_STATEMENT(s,
                 "UPDATE upload SET state = 'done', upload_id = '', etag = ?4, size_bytes = ?5, "
                 "last_error = '', done_time_us = ?6 "
                 "WHERE camera_id = ?1 AND date = ?2 AND name = ?3");
  s.bind(1, upload.camera_id).bind(2, format_date(upload.date)).bind(3, upload.name);
  s.bind(4, etag).bind(5, size_bytes).bind(6, now_us());
  return s.run();
}

Result<void> Catalog::put_upload_failed(const Upload& upload, std::string_view error,
                                        UtcMicros next_try_us, bool count) {
  CCTV_STATEMENT(s,
                 "UPDATE upload SET state = 'failed', upload_id = '', last_error = ?4, "
                 "next_try_time_us = ?5, attempts = attempts + ?6 "
                 "WHERE camera_id = ?1 AND date = ?2 AND name = ?3");
  s.bind(1, upload.camera_id).bind(2, format_date(upload.date)).bind(3, upload.name);
  s.bind(4, error).bind(5, next_try_us).bind(6, std::int64_t{count ? 1 : 0});
  return s.run();
}

Result<void> Catalog::retry_uploads_now(UtcMicros now) {
  CCTV_STATEMENT(s,
                 "UPDATE upload SET next_try_time_us = ?1 WHERE state != 'done' AND "
                 "next_try_time_us > ?1");
  s.bind(1, now);
  return s.run();
}

Result<UploadQueueStats> Catalog::upload_queue_stats() {
  CCTV_STATEMENT(s,
                 "SELECT count(*), coalesce(sum(size_bytes), 0), coalesce(min(end_time_us), 0) "
                 "FROM upload WHERE state != 'done'");
  auto row = s.step();
  if (!row) return std::unexpected(row.error());
  UploadQueueStats stats;
  if (*row) {
    stats.files = s.column_int(0);
    stats.bytes = s.column_int(1);
    stats.oldest_end_us = s.column_int(2);
  }
  s.reset();
  return stats;
}

Result<bool> Catalog::day_in_s3(std::int64_t camera_id, const Date& date) {
  const std::string day_text = format_date(date);
  {
    // A converted day: its file and checksum.
    CCTV_STATEMENT(c,
                   "SELECT (SELECT count(*) FROM upload u WHERE u.camera_id = c.camera_id AND "
                   "u.date = c.date AND u.state = 'done' AND (u.name = c.file_name OR "
                   "u.name = c.file_name || '.sha512sum')) FROM converted_day c "
                   "WHERE c.camera_id = ?1 AND c.date = ?2");
    c.bind(1, camera_id).bind(2, day_text);
    auto row = c.step();
    if (!row) return std::unexpected(row.error());
    if (*row) {
      const bool both = c.column_int(0) == 2;
      c.reset();
      return both;
    }
  }
  // A day of segments: every one uploaded as it is now (or only in S3 already).
  CCTV_STATEMENT(s,
                 "SELECT count(*), coalesce(sum(NOT EXISTS (SELECT 1 FROM upload u WHERE "
                 "u.camera_id = s.camera_id AND u.date = s.date AND u.name = s.name AND "
                 "u.state = 'done' AND (u.only_in_s3 = 1 OR u.size_bytes = s.size_bytes))), 0) "
                 "FROM segment s WHERE s.camera_id = ?1 AND s.date = ?2");
  s.bind(1, camera_id).bind(2, day_text);
  auto row = s.step();
  if (!row) return std::unexpected(row.error());
  const bool safe = *row && s.column_int(0) > 0 && s.column_int(1) == 0;
  s.reset();
  return safe;
}

Result<bool> Catalog::archive_day(std::int64_t camera_id, const Date& date) {
  const std::string day_text = format_date(date);
  auto tx = transaction();
  if (!tx) return std::unexpected(tx.error());
  {
    CCTV_STATEMENT(d,
                   "SELECT 1 FROM day WHERE camera_id = ?1 AND date = ?2 AND "
                   "state IN ('settled', 'converted') AND delete_reason IS NULL");
    d.bind(1, camera_id).bind(2, day_text);
    auto row = d.step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return false;
    d.reset();
  }
  auto safe = day_in_s3(camera_id, date);
  if (!safe) return std::unexpected(safe.error());
  if (!*safe) return false;
  {
    static const std::string sql =
        "UPDATE upload SET only_in_s3 = 1 WHERE camera_id = ?1 AND date = ?2 AND "
        "state = 'done' AND " +
        std::string(k_current_file);
    CCTV_STATEMENT(u, sql);
    u.bind(1, camera_id).bind(2, day_text);
    CCTV_TRY(u.run());
  }
  CCTV_TRY(set_day_state(camera_id, date, DayState::archived));
  CCTV_TRY(tx->commit());
  return true;
}

Result<std::optional<SyncStatus>> Catalog::sync_status() {
  CCTV_STATEMENT(s,
                 "SELECT state, waiting_files, waiting_bytes, coalesce(oldest_waiting_time_us, 0), "
                 "uploaded_files, uploaded_bytes, last_error, updated_time_us FROM sync_status "
                 "WHERE id = 1");
  auto row = s.step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<SyncStatus>();
  SyncStatus st;
  st.state = s.column_text(0);
  st.waiting_files = s.column_int(1);
  st.waiting_bytes = s.column_int(2);
  st.oldest_waiting_us = s.column_int(3);
  st.uploaded_files = s.column_int(4);
  st.uploaded_bytes = s.column_int(5);
  st.last_error = s.column_text(6);
  st.updated_us = s.column_int(7);
  s.reset();
  return std::optional<SyncStatus>(std::move(st));
}

Result<void> Catalog::put_sync_status(const SyncStatus& status) {
  CCTV_STATEMENT(s,
                 "INSERT OR REPLACE INTO sync_status (id, state, waiting_files, waiting_bytes, "
                 "oldest_waiting_time_us, uploaded_files, uploaded_bytes, last_error, "
                 "updated_time_us) VALUES (1, ?1, ?2, ?3, nullif(?4, 0), ?5, ?6, ?7, ?8)");
  s.bind(1, status.state)
      .bind(2, status.waiting_files)
      .bind(3, status.waiting_bytes)
      .bind(4, status.oldest_waiting_us)
      .bind(5, status.uploaded_files)
      .bind(6, status.uploaded_bytes)
      .bind(7, status.last_error)
      .bind(8, status.updated_us != 0 ? status.updated_us : now_us());
  return s.run();
}

}  // namespace cctv
