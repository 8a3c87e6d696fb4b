// The SQLite catalog: all SQL of the project lives in core/catalog*.cpp (cameras, days,
// segments and the schema in catalog.cpp; camera status in catalog_status.cpp; converted
// days in catalog_converted.cpp; retention's deletes in catalog_retention.cpp).
// The worker opens it writable (and is its only writer); the web programs open it
// read-only. See core/schema.sql for the tables.
#pragma once

#include "core/civil_time.hpp"
#include "core/error.hpp"
#include "core/segment.hpp"
#include "core/sqlite.hpp"

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cctv {

enum class DayState { recording, settled, converting, converted, archived };
std::string_view to_string(DayState state);
std::optional<DayState> parse_day_state(std::string_view text);

// What a configured camera is doing (the recorder keeps it up to date).
enum class CameraState { recording, reconnecting, disabled, upload_only };
std::string_view to_string(CameraState state);  // "upload-only" for upload_only
std::optional<CameraState> parse_camera_state(std::string_view text);

struct CameraStatus {
  std::int64_t camera_id = 0;
  std::string camera;  // the camera's name (filled in by camera_statuses())
  CameraState state = CameraState::reconnecting;
  UtcMicros since_us = 0;           // when it entered `state`
  std::string last_error;           // the latest failure, without secrets; "" = none
  std::int64_t bitrate_bps = 0;     // while recording, over the last status interval
  std::int64_t segments_today = 0;  // segments of the camera's current local day
  UtcMicros updated_us = 0;         // when this row was written
};

struct CameraRow {
  std::int64_t id = 0;
  std::string name;
  std::string directory;  // relative to the archive root; "" = the root
  std::string time_zone;
};

struct DayRow {
  std::int64_t camera_id = 0;
  Date date;
  DayState state = DayState::recording;
  std::int64_t version = 0;
  UtcMicros changed_us = 0;
  std::int64_t segment_count = 0;
  std::int64_t recorded_us = 0;
  std::int64_t size_bytes = 0;
  UtcMicros first_start_us = 0;
  UtcMicros last_end_us = 0;
  std::int64_t gap_count = 0;
  std::int64_t gap_us = 0;
  // Failed conversions so far (kept after a later success) and the latest reason (one
  // line, no secret; cleared by a successful conversion). See put_conversion_failure.
  std::int64_t conversion_failures = 0;
  std::string conversion_error;
};

// One moof + mdat pair of a converted day's video.mp4.
struct Fragment {
  std::int64_t offset_bytes = 0;  // of the moof box
  std::int64_t size_bytes = 0;    // moof + mdat
  UtcMicros start_us = 0;
  std::int64_t duration_us = 0;
};

// A day whose segments were replaced by one fragmented MP4 (the converter's output).
struct ConvertedDay {
  std::string file_name = "video.mp4";
  std::int64_t init_size_bytes = 0;  // ftyp + moov: #EXT-X-MAP BYTERANGE="n@0"
  std::int64_t file_size_bytes = 0;
  std::int64_t source_size_bytes = 0;  // the segments it replaced
  std::string codec;                   // e.g. "hevc 1280x720"
  std::vector<Fragment> fragments;     // in order
};

// A day marked for deletion by retention (phase 1 of its two-phase delete), with where
// its files are: see Catalog::mark_day_deleting.
struct MarkedDay {
  std::int64_t camera_id = 0;
  std::string camera;     // the camera's name
  std::string directory;  // the camera's directory, relative to the archive root
  Date date;
  std::string reason;  // "days", "size" or "free space"
};

// What the catalog knows of a file, to skip unchanged files when reindexing.
struct FileStamp {
  std::int64_t size_bytes = 0;
  std::int64_t mtime_ns = 0;
};

// The S3 sync queue (core/catalog_upload.cpp): one row per file that must go up.
enum class UploadState { pending, uploading, done, failed };
std::string_view to_string(UploadState state);
std::optional<UploadState> parse_upload_state(std::string_view text);

// A file of a day that must go up to S3 and has no upload row yet (or one for an older
// version of the file): a segment, or a converted day's video.mp4 and its .sha512sum.
struct UploadFile {
  std::int64_t camera_id = 0;
  Date date;
  std::string name;  // inside the day directory
  UtcMicros start_us = 0;
  UtcMicros end_us = 0;
  std::int64_t size_bytes = 0;  // as the catalog knows it (0 for the .sha512sum)
};

struct Upload {
  std::int64_t camera_id = 0;
  Date date;
  std::string name;  // inside the day directory
  std::string key;   // the object key
  UtcMicros start_us = 0;
  UtcMicros end_us = 0;
  std::int64_t size_bytes = 0;
  UploadState state = UploadState::pending;
  std::string upload_id;  // the multipart upload in progress (state uploading)
  std::string etag;       // verified (state done)
  std::int64_t attempts = 0;
  UtcMicros next_try_us = 0;
  std::string last_error;
  UtcMicros queued_us = 0;
  bool only_in_s3 = false;  // deleted locally after the verified upload (clearAfterUpload)
};

// The files not uploaded yet.
struct UploadQueueStats {
  std::int64_t files = 0;
  std::int64_t bytes = 0;
  UtcMicros oldest_end_us = 0;  // the end of the oldest waiting file; 0 = none waits
};

// The sync module's summary for the index page (one row, sync_status).
struct SyncStatus {
  std::string state = "idle";  // idle, uploading, retrying, blocked
  std::int64_t waiting_files = 0;
  std::int64_t waiting_bytes = 0;
  UtcMicros oldest_waiting_us = 0;  // 0 = nothing waits
  std::int64_t uploaded_files = 0;  // since the worker started
  std::int64_t uploaded_bytes = 0;
  std::string last_error;  // why it is retrying or blocked; never a secret
  UtcMicros updated_us = 0;
};

class Catalog {
 public:
  static constexpr int k_schema_version = 5;

  // Writable: creates the file and its directory, sets WAL, applies upgrades.
  static Result<Catalog> open_writable(const std::filesystem::path& path);
  // Read-only, for the web programs; fails if the catalog does not exist yet.
  static Result<Catalog> open_read_only(const std::filesystem::path& path);

  // --- reads ---
  Result<std::vector<CameraRow>> cameras();
  Result<std::optional<CameraRow>> find_camera(std::string_view name);
  // All days of a camera, oldest first.
  Result<std::vector<DayRow>> days(std::int64_t camera_id);
  Result<std::optional<DayRow>> find_day(std::int64_t camera_id, const Date& date);
  // `date` and every later day, oldest first.
  Result<std::vector<DayRow>> days_from(std::int64_t camera_id, const Date& date);
  // Segments of one day in time order.
  Result<std::vector<Segment>> segments(std::int64_t camera_id, const Date& date);
  Result<std::map<std::string, FileStamp>> file_stamps(std::int64_t camera_id, const Date& date);
  // The stamp of one file, nullopt when the catalog does not have it.
  Result<std::optional<FileStamp>> file_stamp(std::int64_t camera_id, const Date& date,
                                              std::string_view name);
  // Every camera's status, by camera name.
  Result<std::vector<CameraStatus>> camera_statuses();
  // The converted file of a day, nullopt unless the day is converted.
  Result<std::optional<ConvertedDay>> converted_day(std::int64_t camera_id, const Date& date);

  // --- writes (the worker only) ---
  Result<std::int64_t> ensure_camera(std::string_view name, std::string_view directory,
                                     std::string_view time_zone);
  // Inserts or replaces a segment (by day and name) and, unless told not to (a
  // bulk reindex refreshes each day once at the end), refreshes the day. A row the
  // recorder wrote is kept as it is while the file's size and mtime are unchanged.
  Result<void> put_segment(std::int64_t camera_id, const Segment& segment, bool refresh = true);
  // The recorder's segment, with its exact start; refreshes the day.
  Result<void> put_recorded_segment(std::int64_t camera_id, const Segment& segment);
  // Removes a segment; a day left without segments is removed too.
  Result<void> remove_segment(std::int64_t camera_id, const Date& date, std::string_view name);
  Result<void> remove_day(std::int64_t camera_id, const Date& date);
  // Forgets a camera that has no days left (a camera no longer configured or found).
  Result<void> remove_camera_if_empty(std::int64_t camera_id);
  Result<void> set_day_state(std::int64_t camera_id, const Date& date, DayState state);
  // Recomputes a day's aggregates from its segments (and bumps its version).
  Result<void> refresh_day(std::int64_t camera_id, const Date& date);
  // One transaction: stores the fragments, sets the day's state to `converted` (bumping
  // its version), and removes the day's segment rows (the files are deleted after this).
  // The day's aggregates then describe the file: size_bytes = file size, segment_count =
  // fragments, recorded_us = their total; the gaps are kept. The day must exist.
  Result<void> put_converted_day(std::int64_t camera_id, const Date& date, const ConvertedDay& day);
  // Counts a failed conversion of a day and keeps its reason (one line, no secret).
  Result<void> put_conversion_failure(std::int64_t camera_id, const Date& date,
                                      std::string_view error);
  // Failed conversions of a day so far and the latest reason.
  Result<std::pair<std::int64_t, std::string>> conversion_failures(std::int64_t camera_id,
                                                                   const Date& date);
  // Inserts or replaces the status of camera `status.camera_id` (`camera` is ignored).
  Result<void> put_camera_status(const CameraStatus& status);
  // Forgets every status (the worker writes the configured cameras' again on start).
  Result<void> clear_camera_statuses();
  // --- the S3 sync queue (core/catalog_upload.cpp) ---
  // The files of a day that need an upload row: segments (when `segments`) without one or
  // whose size changed (unless only in S3), and a converted day's file and its
  // .sha512sum without one.
  Result<std::vector<UploadFile>> unqueued_files(std::int64_t camera_id, const Date& date,
                                                 bool segments);
  // Queues a file as pending under `key` (an existing row starts again from pending).
  Result<void> queue_upload(const UploadFile& file, std::string_view key);
  // Removes the rows of a day whose file is no longer one of its current files (a
  // segment deleted or converted), unless only in S3. Returns how many.
  Result<std::int64_t> drop_stale_uploads(std::int64_t camera_id, const Date& date);
  // Files not done whose next try is due at `now`, oldest first (by start time).
  Result<std::vector<Upload>> due_uploads(UtcMicros now, std::int64_t limit);
  // Rows left `uploading` with a multipart upload id (a crash or a stop mid-upload).
  Result<std::vector<Upload>> unfinished_uploads();
  Result<std::optional<Upload>> find_upload(std::int64_t camera_id, const Date& date,
                                            std::string_view name);
  // Every row of a day, by name.
  Result<std::vector<Upload>> uploads_of_day(std::int64_t camera_id, const Date& date);
  // State changes of one row (by camera, date and name).
  Result<void> put_upload_started(const Upload& upload, std::string_view upload_id);
  Result<void> put_upload_done(const Upload& upload, std::int64_t size_bytes,
                               std::string_view etag);
  // Back to waiting until `next_try_us` with the reason; `count` adds an attempt.
  Result<void> put_upload_failed(const Upload& upload, std::string_view error,
                                 UtcMicros next_try_us, bool count);
  // Every waiting file due now (next try in the past), e.g. after SIGHUP.
  Result<void> retry_uploads_now(UtcMicros now);
  Result<UploadQueueStats> upload_queue_stats();
  // True when every current file of the day (its segments, or its converted file and
  // checksum) is uploaded and verified: the day is safely stored in S3. False for a day
  // without files or without rows (nothing uploaded, or S3 off).
  Result<bool> day_in_s3(std::int64_t camera_id, const Date& date);
  // clearAfterUpload, phase 1: when the day is `settled` or `converted`, not marked for
  // deletion and in S3, sets it `archived` and its rows only in S3 in one transaction;
  // the caller then deletes the local files. False, changing nothing, otherwise.
  Result<bool> archive_day(std::int64_t camera_id, const Date& date);
  // The converted file of a day whatever its state (an archived day keeps it).
  Result<std::optional<ConvertedDay>> converted_file(std::int64_t camera_id, const Date& date);
  Result<std::optional<SyncStatus>> sync_status();
  Result<void> put_sync_status(const SyncStatus& status);
  Result<sqlite::Transaction> transaction() { return sqlite::Transaction::begin(m_db); }

  // --- retention's two-phase delete (core/catalog_retention.cpp) ---
  // Phase 1: marks a day for deletion with its reason ("days", "size", "free space").
  // False, changing nothing, when the day is gone, `converting` or marked already. A
  // marked day keeps its state and gets no new segment rows (triggers in schema.sql).
  Result<bool> mark_day_deleting(std::int64_t camera_id, const Date& date, std::string_view reason);
  // The reason a day is marked for, nullopt when it is not marked (or absent).
  Result<std::optional<std::string>> delete_mark(std::int64_t camera_id, const Date& date);
  // Every marked day (a crash between phases leaves some), oldest first.
  Result<std::vector<MarkedDay>> marked_days();
  // Phase 3, after its files are deleted: removes a marked day's rows (day, segments,
  // converted file, fragments) in one transaction. False when it was not marked.
  Result<bool> forget_marked_day(std::int64_t camera_id, const Date& date);

 private:
  explicit Catalog(sqlite::Database db) : m_db(std::move(db)) {}
  Result<void> migrate();
  Result<void> upsert_segment(std::int64_t camera_id, const Segment& segment, bool recorded);
  // A day's converted file and fragments; only while the day is `converted` when
  // `only_converted` (converted_day), whatever its state otherwise (converted_file).
  Result<std::optional<ConvertedDay>> load_converted(std::int64_t camera_id, const Date& date,
                                                     bool only_converted);

  sqlite::Database m_db;
};

}  // namespace cctv
