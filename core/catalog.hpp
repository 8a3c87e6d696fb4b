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

class Catalog {
 public:
  static constexpr int k_schema_version = 4;

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
  Result<sqlite::Transaction> transaction() { return sqlite::Transaction::begin(m_db); }

  // --- retention's two-phase delete (core/catalog_retention.cpp) ---
  // Phase 1: marks a day for deletion with its reason ("days", "size", "free space").
  // False, changing nothing, when the day is gone, `converting` or marked already. A
  // marked day keeps its state and gets no new segment rows (triggers in schema.sql).
  Result<bool> mark_day_deleting(std::int64_t camera_id, const Date& date,
                                 std::string_view reason);
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

  sqlite::Database m_db;
};

}  // namespace cctv
