#include "core/catalog.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <system_error>

namespace cctv {

extern const std::string_view k_schema_sql;

namespace {

// Numbered upgrade steps: k_upgrades[i] takes the schema from version i+1 to i+2.
constexpr std::array<std::string_view, 2> k_upgrades{
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
};

UtcMicros now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

#define CCTV_STATEMENT(var, sql)                  \
  auto var##_result = m_db.prepared(sql);         \
  if (!var##_result) {                            \
    return std::unexpected(var##_result.error()); \
  }                                               \
  sqlite::Statement& var = **var##_result

constexpr std::string_view k_day_columns =
    "camera_id, date, state, version, changed_time_us, segment_count, recorded_us, size_bytes, "
    "coalesce(first_start_time_us, 0), coalesce(last_end_time_us, 0), gap_count, gap_us";

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

std::string_view to_string(CameraState state) {
  switch (state) {
    case CameraState::recording:
      return "recording";
    case CameraState::reconnecting:
      return "reconnecting";
    case CameraState::disabled:
      return "disabled";
    case CameraState::upload_only:
      return "upload-only";
  }
  return "reconnecting";
}

std::optional<CameraState> parse_camera_state(std::string_view text) {
  for (CameraState s : {CameraState::recording, CameraState::reconnecting, CameraState::disabled,
                        CameraState::upload_only}) {
    if (to_string(s) == text) return s;
  }
  return std::nullopt;
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

Result<std::vector<CameraStatus>> Catalog::camera_statuses() {
  CCTV_STATEMENT(s,
                 "SELECT s.camera_id, c.name, s.state, s.since_time_us, s.last_error, "
                 "s.bitrate_bps, s.segments_today, s.updated_time_us "
                 "FROM camera_status s JOIN camera c ON c.id = s.camera_id ORDER BY c.name");
  std::vector<CameraStatus> statuses;
  for (;;) {
    auto row = s.step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    CameraStatus status;
    status.camera_id = s.column_int(0);
    status.camera = s.column_text(1);
    status.state = parse_camera_state(s.column_text(2)).value_or(CameraState::reconnecting);
    status.since_us = s.column_int(3);
    status.last_error = s.column_text(4);
    status.bitrate_bps = s.column_int(5);
    status.segments_today = s.column_int(6);
    status.updated_us = s.column_int(7);
    statuses.push_back(std::move(status));
  }
  return statuses;
}

Result<std::optional<ConvertedDay>> Catalog::converted_day(std::int64_t camera_id,
                                                           const Date& date) {
  const std::string day_text = format_date(date);
  ConvertedDay day;
  {
    CCTV_STATEMENT(s,
                   "SELECT c.file_name, c.init_size_bytes, c.file_size_bytes, "
                   "c.source_size_bytes, c.codec FROM converted_day c JOIN day d "
                   "ON d.camera_id = c.camera_id AND d.date = c.date "
                   "WHERE c.camera_id = ?1 AND c.date = ?2 AND d.state = 'converted'");
    s.bind(1, camera_id).bind(2, day_text);
    auto row = s.step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return std::optional<ConvertedDay>();
    day.file_name = s.column_text(0);
    day.init_size_bytes = s.column_int(1);
    day.file_size_bytes = s.column_int(2);
    day.source_size_bytes = s.column_int(3);
    day.codec = s.column_text(4);
    s.reset();
  }
  CCTV_STATEMENT(f,
                 "SELECT offset_bytes, size_bytes, start_time_us, duration_us FROM fragment "
                 "WHERE camera_id = ?1 AND date = ?2 ORDER BY seq");
  f.bind(1, camera_id).bind(2, day_text);
  for (;;) {
    auto row = f.step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    day.fragments.push_back(
        Fragment{f.column_int(0), f.column_int(1), f.column_int(2), f.column_int(3)});
  }
  return std::optional<ConvertedDay>(std::move(day));
}

Result<void> Catalog::put_converted_day(std::int64_t camera_id, const Date& date,
                                        const ConvertedDay& day) {
  const std::string day_text = format_date(date);
  auto tx = transaction();
  if (!tx) return std::unexpected(tx.error());
  {
    CCTV_STATEMENT(del, "DELETE FROM fragment WHERE camera_id = ?1 AND date = ?2");
    del.bind(1, camera_id).bind(2, day_text);
    CCTV_TRY(del.run());
  }
  {
    CCTV_STATEMENT(c,
                   "INSERT OR REPLACE INTO converted_day (camera_id, date, file_name, "
                   "init_size_bytes, file_size_bytes, source_size_bytes, codec) "
                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    c.bind(1, camera_id)
        .bind(2, day_text)
        .bind(3, day.file_name)
        .bind(4, day.init_size_bytes)
        .bind(5, day.file_size_bytes)
        .bind(6, day.source_size_bytes)
        .bind(7, day.codec);
    CCTV_TRY(c.run());
  }
  std::int64_t recorded = 0;
  UtcMicros first = day.fragments.empty() ? 0 : day.fragments.front().start_us;
  UtcMicros last = first;
  for (std::size_t i = 0; i < day.fragments.size(); ++i) {
    const Fragment& frag = day.fragments[i];
    CCTV_STATEMENT(f,
                   "INSERT INTO fragment (camera_id, date, seq, offset_bytes, size_bytes, "
                   "start_time_us, duration_us) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    f.bind(1, camera_id)
        .bind(2, day_text)
        .bind(3, static_cast<std::int64_t>(i))
        .bind(4, frag.offset_bytes)
        .bind(5, frag.size_bytes)
        .bind(6, frag.start_us)
        .bind(7, frag.duration_us);
    CCTV_TRY(f.run());
    recorded += frag.duration_us;
    first = std::min(first, frag.start_us);
    last = std::max(last, frag.start_us + frag.duration_us);
  }
  {
    CCTV_STATEMENT(seg, "DELETE FROM segment WHERE camera_id = ?1 AND date = ?2");
    seg.bind(1, camera_id).bind(2, day_text);
    CCTV_TRY(seg.run());
  }
  CCTV_STATEMENT(d,
                 "UPDATE day SET state = 'converted', version = version + 1, "
                 "changed_time_us = ?3, segment_count = ?4, recorded_us = ?5, size_bytes = ?6, "
                 "first_start_time_us = ?7, last_end_time_us = ?8, conversion_error = '' "
                 "WHERE camera_id = ?1 AND date = ?2");
  d.bind(1, camera_id)
      .bind(2, day_text)
      .bind(3, now_us())
      .bind(4, static_cast<std::int64_t>(day.fragments.size()))
      .bind(5, recorded)
      .bind(6, day.file_size_bytes)
      .bind(7, first)
      .bind(8, last);
  CCTV_TRY(d.run());
  if (m_db.changes() == 0) {
    return fail(ErrorKind::not_found, "no day " + day_text + " to mark converted");
  }
  return tx->commit();
}

Result<void> Catalog::put_conversion_failure(std::int64_t camera_id, const Date& date,
                                             std::string_view error) {
  CCTV_STATEMENT(s,
                 "UPDATE day SET conversion_failures = conversion_failures + 1, "
                 "conversion_error = ?3, version = version + 1, changed_time_us = ?4 "
                 "WHERE camera_id = ?1 AND date = ?2");
  s.bind(1, camera_id).bind(2, format_date(date)).bind(3, error).bind(4, now_us());
  return s.run();
}

Result<std::pair<std::int64_t, std::string>> Catalog::conversion_failures(std::int64_t camera_id,
                                                                          const Date& date) {
  CCTV_STATEMENT(s,
                 "SELECT conversion_failures, conversion_error FROM day "
                 "WHERE camera_id = ?1 AND date = ?2");
  s.bind(1, camera_id).bind(2, format_date(date));
  auto row = s.step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::pair<std::int64_t, std::string>(0, "");
  std::pair<std::int64_t, std::string> result(s.column_int(0), s.column_text(1));
  s.reset();
  return result;
}

Result<void> Catalog::put_camera_status(const CameraStatus& status) {
  CCTV_STATEMENT(s,
                 "INSERT INTO camera_status (camera_id, state, since_time_us, last_error, "
                 "bitrate_bps, segments_today, updated_time_us) "
                 "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
                 "ON CONFLICT (camera_id) DO UPDATE SET state = excluded.state, "
                 "since_time_us = excluded.since_time_us, last_error = excluded.last_error, "
                 "bitrate_bps = excluded.bitrate_bps, segments_today = excluded.segments_today, "
                 "updated_time_us = excluded.updated_time_us");
  s.bind(1, status.camera_id)
      .bind(2, to_string(status.state))
      .bind(3, status.since_us)
      .bind(4, status.last_error)
      .bind(5, std::max<std::int64_t>(status.bitrate_bps, 0))
      .bind(6, std::max<std::int64_t>(status.segments_today, 0))
      .bind(7, status.updated_us != 0 ? status.updated_us : now_us());
  return s.run();
}

Result<void> Catalog::clear_camera_statuses() { return m_db.exec("DELETE FROM camera_status"); }

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
