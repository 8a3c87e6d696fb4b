// Cameras, days, segments and the schema. The camera status queries are in
// core/catalog_status.cpp, the converted days in core/catalog_converted.cpp.
#include "core/catalog.hpp"

#include "core/catalog_internal.hpp"

#include <algorithm>
#include <array>
#include <system_error>

namespace cctv {

extern const std::string_view k_schema_sql;

using catalog_detail::now_us;

namespace {

// Numbered upgrade steps: k_upgrades[i] takes the schema from version i+1 to i+2.
constexpr std::array<std::string_view, 4> k_upgrades{
    // 1 -> 2: the recorder's exact segments and the camera status.
    R"sql(
ALTER TABLE segment ADD COLUMN recorded INTEGER NOT NULL DEFAULT 0 CHECK (recorded IN (0, 1));
CREATE TABLE camera_status (
  camera_id INTEGER PRIMARY KEY REFERENCES camera (id) ON DELETE CASCADE,
  state TEXT NOT NULL
    CHECK (state IN ('recording', 'reconnecting', 'disabled', 'upload-only')),
  since_time_us INTEGER NOT NULL,
  last_error TEXT NOT NULL DEFAULT '',
  bitrate_bps INTEGER NOT NULL DEFAULT 0 CHECK (bitrate_bps >= 0),
  segments_today INTEGER NOT NULL DEFAULT 0 CHECK (segments_today >= 0),
  updated_time_us INTEGER NOT NULL
);
)sql",
    // 2 -> 3: converted days (one fragmented MP4 instead of segments).
    R"sql(
ALTER TABLE day ADD COLUMN conversion_failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE day ADD COLUMN conversion_error TEXT NOT NULL DEFAULT '';
CREATE TABLE converted_day (
  camera_id INTEGER NOT NULL,
  date TEXT NOT NULL,
  file_name TEXT NOT NULL,
  init_size_bytes INTEGER NOT NULL CHECK (init_size_bytes > 0),
  file_size_bytes INTEGER NOT NULL CHECK (file_size_bytes >= 0),
  source_size_bytes INTEGER NOT NULL CHECK (source_size_bytes >= 0),
  codec TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (camera_id, date),
  FOREIGN KEY (camera_id, date) REFERENCES day (camera_id, date) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE TABLE fragment (
  camera_id INTEGER NOT NULL,
  date TEXT NOT NULL,
  seq INTEGER NOT NULL,
  offset_bytes INTEGER NOT NULL CHECK (offset_bytes >= 0),
  size_bytes INTEGER NOT NULL CHECK (size_bytes > 0),
  start_time_us INTEGER NOT NULL,
  duration_us INTEGER NOT NULL CHECK (duration_us >= 0),
  PRIMARY KEY (camera_id, date, seq),
  FOREIGN KEY (camera_id, date) REFERENCES day (camera_id, date) ON DELETE CASCADE
) WITHOUT ROWID;
)sql",
    // 3 -> 4: retention's two-phase delete (a day marked for deletion).
    R"sql(
ALTER TABLE day ADD COLUMN delete_reason TEXT
  CHECK (delete_reason IN ('days', 'size', 'free space'));
CREATE TRIGGER day_marked_keeps_its_state BEFORE UPDATE OF state ON day
  WHEN OLD.delete_reason IS NOT NULL AND NEW.state != OLD.state
BEGIN
  SELECT RAISE(IGNORE);
END;
CREATE TRIGGER segment_not_into_marked_day BEFORE INSERT ON segment
  WHEN EXISTS (SELECT 1 FROM day WHERE camera_id = NEW.camera_id AND date = NEW.date
               AND delete_reason IS NOT NULL)
BEGIN
  SELECT RAISE(IGNORE);
END;
)sql",
    // 4 -> 5: the S3 sync queue (upload state per file) and its status.
    R"sql(
CREATE TABLE upload (
  camera_id INTEGER NOT NULL,
  date TEXT NOT NULL,
  name TEXT NOT NULL,
  object_key TEXT NOT NULL,
  start_time_us INTEGER NOT NULL,
  end_time_us INTEGER NOT NULL,
  size_bytes INTEGER NOT NULL DEFAULT 0 CHECK (size_bytes >= 0),
  state TEXT NOT NULL DEFAULT 'pending'
    CHECK (state IN ('pending', 'uploading', 'done', 'failed')),
  upload_id TEXT NOT NULL DEFAULT '',
  etag TEXT NOT NULL DEFAULT '',
  attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  next_try_time_us INTEGER NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT '',
  queued_time_us INTEGER NOT NULL,
  done_time_us INTEGER,
  only_in_s3 INTEGER NOT NULL DEFAULT 0 CHECK (only_in_s3 IN (0, 1)),
  PRIMARY KEY (camera_id, date, name),
  FOREIGN KEY (camera_id, date) REFERENCES day (camera_id, date) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX upload_waiting ON upload (state, start_time_us) WHERE state != 'done';
CREATE TABLE sync_status (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  state TEXT NOT NULL CHECK (state IN ('idle', 'uploading', 'retrying', 'blocked')),
  waiting_files INTEGER NOT NULL DEFAULT 0,
  waiting_bytes INTEGER NOT NULL DEFAULT 0,
  oldest_waiting_time_us INTEGER,
  uploaded_files INTEGER NOT NULL DEFAULT 0,
  uploaded_bytes INTEGER NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT '',
  updated_time_us INTEGER NOT NULL
);
)sql",
};

constexpr std::string_view k_day_columns =
    "camera_id, date, state, version, changed_time_us, segment_count, recorded_us, size_bytes, "
    "coalesce(first_start_time_us, 0), coalesce(last_end_time_us, 0), gap_count, gap_us, "
    "conversion_failures, conversion_error";

DayRow read_day(const sqlite::Statement& s) {
  DayRow day;
  day.camera_id = s.column_int(0);
  day.date = parse_date(s.column_text(1)).value_or(Date{});
  day.state = parse_day_state(s.column_text(2)).value_or(DayState::recording);
  day.version = s.column_int(3);
  day.changed_us = s.column_int(4);
  day.segment_count = s.column_int(5);
  day.recorded_us = s.column_int(6);
  day.size_bytes = s.column_int(7);
  day.first_start_us = s.column_int(8);
  day.last_end_us = s.column_int(9);
  day.gap_count = s.column_int(10);
  day.gap_us = s.column_int(11);
  day.conversion_failures = s.column_int(12);
  day.conversion_error = s.column_text(13);
  return day;
}

Result<std::vector<DayRow>> read_days(sqlite::Statement& s) {
  std::vector<DayRow> days;
  for (;;) {
    auto row = s.step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    days.push_back(read_day(s));
  }
  return days;
}

}  // namespace

std::string_view to_string(DayState state) {
  switch (state) {
    case DayState::recording:
      return "recording";
    case DayState::settled:
      return "settled";
    case DayState::converting:
      return "converting";
    case DayState::converted:
      return "converted";
    case DayState::archived:
      return "archived";
  }
  return "recording";
}

std::optional<DayState> parse_day_state(std::string_view text) {
  for (DayState s : {DayState::recording, DayState::settled, DayState::converting,
                     DayState::converted, DayState::archived}) {
    if (to_string(s) == text) return s;
  }
  return std::nullopt;
}

Result<Catalog> Catalog::open_writable(const std::filesystem::path& path) {
  std::error_code ec;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
  if (ec) {
    return fail(ErrorKind::unavailable,
                "create " + path.parent_path().string() + ": " + ec.message());
  }
  auto db = sqlite::Database::open(path, sqlite::Database::Mode::read_write_create);
  if (!db) return std::unexpected(db.error().context("catalog"));
  Catalog catalog(std::move(*db));
  CCTV_TRY(catalog.m_db.exec("PRAGMA journal_mode = WAL"));
  CCTV_TRY(catalog.m_db.exec("PRAGMA synchronous = NORMAL"));
  CCTV_TRY(catalog.m_db.exec("PRAGMA foreign_keys = ON"));
  if (auto r = catalog.migrate(); !r)
    return std::unexpected(r.error().context("catalog " + path.string()));
  return catalog;
}

Result<Catalog> Catalog::open_read_only(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return fail(ErrorKind::unavailable,
                "catalog " + path.string() + " does not exist yet (is cctv-worker running?)");
  }
  auto db = sqlite::Database::open(path, sqlite::Database::Mode::read_only);
  if (!db) return std::unexpected(db.error().context("catalog"));
  Catalog catalog(std::move(*db));
  auto version = catalog.m_db.prepared("PRAGMA user_version");
  if (!version) return std::unexpected(version.error().context("catalog " + path.string()));
  auto row = (*version)->step();
  if (!row) return std::unexpected(row.error().context("catalog " + path.string()));
  const std::int64_t found = *row ? (*version)->column_int(0) : 0;
  (*version)->reset();
  if (found != k_schema_version) {
    return fail(ErrorKind::unavailable, "catalog " + path.string() + " has schema version " +
                                            std::to_string(found) + ", this program needs " +
                                            std::to_string(k_schema_version));
  }
  return catalog;
}

Result<void> Catalog::migrate() {
  CCTV_STATEMENT(version, "PRAGMA user_version");
  auto row = version.step();
  if (!row) return std::unexpected(row.error());
  std::int64_t current = *row ? version.column_int(0) : 0;
  version.reset();
  if (current > k_schema_version) {
    return fail(ErrorKind::unavailable, "schema version " + std::to_string(current) +
                                            " is newer than this program's " +
                                            std::to_string(k_schema_version));
  }
  if (current == k_schema_version) return {};
  auto tx = transaction();
  if (!tx) return std::unexpected(tx.error());
  if (current == 0) {
    CCTV_TRY(m_db.exec(k_schema_sql));
  } else {
    for (auto i = static_cast<std::size_t>(current - 1); i < k_upgrades.size(); ++i) {
      CCTV_TRY(m_db.exec(k_upgrades.at(i)));
    }
  }
  CCTV_TRY(m_db.exec("PRAGMA user_version = " + std::to_string(k_schema_version)));
  return tx->commit();
}

Result<std::vector<CameraRow>> Catalog::cameras() {
  CCTV_STATEMENT(s, "SELECT id, name, directory, time_zone FROM camera ORDER BY name");
  std::vector<CameraRow> cameras;
  for (;;) {
    auto row = s.step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    cameras.push_back(
        CameraRow{s.column_int(0), s.column_text(1), s.column_text(2), s.column_text(3)});
  }
  return cameras;
}

Result<std::optional<CameraRow>> Catalog::find_camera(std::string_view name) {
  CCTV_STATEMENT(s, "SELECT id, name, directory, time_zone FROM camera WHERE name = ?1");
  s.bind(1, name);
  auto row = s.step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<CameraRow>();
  CameraRow camera{s.column_int(0), s.column_text(1), s.column_text(2), s.column_text(3)};
  s.reset();  // an unfinished statement would pin this connection to its snapshot
  return camera;
}

Result<std::vector<DayRow>> Catalog::days(std::int64_t camera_id) {
  static const std::string sql =
      "SELECT " + std::string(k_day_columns) + " FROM day WHERE camera_id = ?1 ORDER BY date";
  CCTV_STATEMENT(s, sql);
  s.bind(1, camera_id);
  return read_days(s);
}

Result<std::optional<DayRow>> Catalog::find_day(std::int64_t camera_id, const Date& date) {
  static const std::string sql =
      "SELECT " + std::string(k_day_columns) + " FROM day WHERE camera_id = ?1 AND date = ?2";
  CCTV_STATEMENT(s, sql);
  s.bind(1, camera_id).bind(2, format_date(date));
  auto days = read_days(s);
  if (!days) return std::unexpected(days.error());
  if (days->empty()) return std::optional<DayRow>();
  return days->front();
}

Result<std::vector<DayRow>> Catalog::days_from(std::int64_t camera_id, const Date& date) {
  static const std::string sql = "SELECT " + std::string(k_day_columns) +
                                 " FROM day WHERE camera_id = ?1 AND date >= ?2 ORDER BY date";
  CCTV_STATEMENT(s, sql);
  s.bind(1, camera_id).bind(2, format_date(date));
  return read_days(s);
}

Result<std::vector<Segment>> Catalog::segments(std::int64_t camera_id, const Date& date) {
  CCTV_STATEMENT(s,
                 "SELECT id, name, start_time_us, duration_us, size_bytes, codec, mtime_ns "
                 "FROM segment WHERE camera_id = ?1 AND date = ?2 ORDER BY start_time_us, name");
  s.bind(1, camera_id).bind(2, format_date(date));
  std::vector<Segment> segments;
  for (;;) {
    auto row = s.step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    Segment seg;
    seg.id = s.column_int(0);
    seg.date = date;
    seg.name = s.column_text(1);
    seg.start_us = s.column_int(2);
    seg.duration_us = s.column_int(3);
    seg.size_bytes = s.column_int(4);
    seg.codec = s.column_text(5);
    seg.mtime_ns = s.column_int(6);
    segments.push_back(std::move(seg));
  }
  return segments;
}

Result<std::map<std::string, FileStamp>> Catalog::file_stamps(std::int64_t camera_id,
                                                              const Date& date) {
  CCTV_STATEMENT(s,
                 "SELECT name, size_bytes, mtime_ns FROM segment WHERE camera_id = ?1 AND "
                 "date = ?2");
  s.bind(1, camera_id).bind(2, format_date(date));
  std::map<std::string, FileStamp> stamps;
  for (;;) {
    auto row = s.step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    stamps.emplace(s.column_text(0), FileStamp{s.column_int(1), s.column_int(2)});
  }
  return stamps;
}

Result<std::optional<FileStamp>> Catalog::file_stamp(std::int64_t camera_id, const Date& date,
                                                     std::string_view name) {
  CCTV_STATEMENT(s,
                 "SELECT size_bytes, mtime_ns FROM segment WHERE camera_id = ?1 AND date = ?2 "
                 "AND name = ?3");
  s.bind(1, camera_id).bind(2, format_date(date)).bind(3, name);
  auto row = s.step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<FileStamp>();
  const FileStamp stamp{s.column_int(0), s.column_int(1)};
  s.reset();
  return stamp;
}

Result<std::int64_t> Catalog::ensure_camera(std::string_view name, std::string_view directory,
                                            std::string_view time_zone) {
  CCTV_STATEMENT(s,
                 "INSERT INTO camera (name, directory, time_zone) VALUES (?1, ?2, ?3) "
                 "ON CONFLICT (name) DO UPDATE SET directory = excluded.directory, "
                 "time_zone = excluded.time_zone RETURNING id");
  s.bind(1, name).bind(2, directory).bind(3, time_zone);
  auto row = s.step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return fail(ErrorKind::internal, "ensure_camera returned no id");
  const std::int64_t id = s.column_int(0);
  s.reset();
  return id;
}

Result<void> Catalog::put_segment(std::int64_t camera_id, const Segment& segment, bool refresh) {
  CCTV_TRY(upsert_segment(camera_id, segment, false));
  if (!refresh) return {};
  return refresh_day(camera_id, segment.date);
}

Result<void> Catalog::put_recorded_segment(std::int64_t camera_id, const Segment& segment) {
  CCTV_TRY(upsert_segment(camera_id, segment, true));
  return refresh_day(camera_id, segment.date);
}

Result<void> Catalog::upsert_segment(std::int64_t camera_id, const Segment& segment,
                                     bool recorded) {
  const std::string date = format_date(segment.date);
  {
    CCTV_STATEMENT(d,
                   "INSERT INTO day (camera_id, date, changed_time_us) VALUES (?1, ?2, ?3) "
                   "ON CONFLICT DO NOTHING");
    d.bind(1, camera_id).bind(2, date).bind(3, now_us());
    CCTV_TRY(d.run());
  }
  // The indexer (recorded = 0) reads the start from the file name, to the second: it
  // must not replace the recorder's exact row for the very same file.
  CCTV_STATEMENT(s,
                 "INSERT INTO segment (camera_id, date, name, start_time_us, duration_us, "
                 "size_bytes, codec, mtime_ns, recorded) "
                 "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
                 "ON CONFLICT (camera_id, date, name) DO UPDATE SET "
                 "start_time_us = excluded.start_time_us, duration_us = excluded.duration_us, "
                 "size_bytes = excluded.size_bytes, codec = excluded.codec, "
                 "mtime_ns = excluded.mtime_ns, recorded = excluded.recorded "
                 "WHERE excluded.recorded = 1 OR segment.recorded = 0 OR "
                 "segment.size_bytes != excluded.size_bytes OR "
                 "segment.mtime_ns != excluded.mtime_ns");
  s.bind(1, camera_id)
      .bind(2, date)
      .bind(3, segment.name)
      .bind(4, segment.start_us)
      .bind(5, segment.duration_us)
      .bind(6, segment.size_bytes)
      .bind(7, segment.codec)
      .bind(8, segment.mtime_ns)
      .bind(9, std::int64_t{recorded ? 1 : 0});
  return s.run();
}

Result<void> Catalog::remove_segment(std::int64_t camera_id, const Date& date,
                                     std::string_view name) {
  CCTV_STATEMENT(s, "DELETE FROM segment WHERE camera_id = ?1 AND date = ?2 AND name = ?3");
  s.bind(1, camera_id).bind(2, format_date(date)).bind(3, name);
  CCTV_TRY(s.run());
  if (m_db.changes() == 0) return {};
  return refresh_day(camera_id, date);
}

Result<void> Catalog::remove_day(std::int64_t camera_id, const Date& date) {
  CCTV_STATEMENT(seg, "DELETE FROM segment WHERE camera_id = ?1 AND date = ?2");
  seg.bind(1, camera_id).bind(2, format_date(date));
  CCTV_TRY(seg.run());
  CCTV_STATEMENT(day, "DELETE FROM day WHERE camera_id = ?1 AND date = ?2");
  day.bind(1, camera_id).bind(2, format_date(date));
  return day.run();
}

Result<void> Catalog::remove_camera_if_empty(std::int64_t camera_id) {
  CCTV_STATEMENT(s,
                 "DELETE FROM camera WHERE id = ?1 AND NOT EXISTS "
                 "(SELECT 1 FROM day WHERE camera_id = ?1)");
  s.bind(1, camera_id);
  return s.run();
}

Result<void> Catalog::set_day_state(std::int64_t camera_id, const Date& date, DayState state) {
  CCTV_STATEMENT(s,
                 "UPDATE day SET state = ?3, version = version + 1, changed_time_us = ?4 "
                 "WHERE camera_id = ?1 AND date = ?2 AND state != ?3");
  s.bind(1, camera_id).bind(2, format_date(date)).bind(3, to_string(state)).bind(4, now_us());
  return s.run();
}

Result<void> Catalog::refresh_day(std::int64_t camera_id, const Date& date) {
  auto segs = segments(camera_id, date);
  if (!segs) return std::unexpected(segs.error());
  if (segs->empty()) {
    CCTV_STATEMENT(d,
                   "DELETE FROM day WHERE camera_id = ?1 AND date = ?2 AND state IN "
                   "('recording', 'settled')");
    d.bind(1, camera_id).bind(2, format_date(date));
    return d.run();
  }
  std::int64_t recorded = 0;
  std::int64_t bytes = 0;
  std::int64_t gaps = 0;
  std::int64_t gap_us = 0;
  UtcMicros last_end = segs->front().end_us();
  for (std::size_t i = 0; i < segs->size(); ++i) {
    const Segment& seg = (*segs)[i];
    recorded += seg.duration_us;
    bytes += seg.size_bytes;
    if (i > 0 && is_gap((*segs)[i - 1], seg)) {
      ++gaps;
      gap_us += seg.start_us - (*segs)[i - 1].end_us();
    }
    last_end = std::max(last_end, seg.end_us());
  }
  CCTV_STATEMENT(s,
                 "UPDATE day SET version = version + 1, changed_time_us = ?3, segment_count = ?4, "
                 "recorded_us = ?5, size_bytes = ?6, first_start_time_us = ?7, "
                 "last_end_time_us = ?8, gap_count = ?9, gap_us = ?10 "
                 "WHERE camera_id = ?1 AND date = ?2");
  s.bind(1, camera_id)
      .bind(2, format_date(date))
      .bind(3, now_us())
      .bind(4, static_cast<std::int64_t>(segs->size()))
      .bind(5, recorded)
      .bind(6, bytes)
      .bind(7, segs->front().start_us)
      .bind(8, last_end)
      .bind(9, gaps)
      .bind(10, gap_us);
  return s.run();
}

}  // namespace cctv
