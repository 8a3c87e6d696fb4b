// The converted days of the Catalog: a day's fragmented MP4 and its fragments, and the
// count of failed conversions. See core/catalog.hpp.
#include "core/catalog.hpp"

#include "core/catalog_internal.hpp"

#include <algorithm>

namespace cctv {

using catalog_detail::now_us;

Result<std::optional<ConvertedDay>> Catalog::converted_day(std::int64_t camera_id,
                                                           const Date& date) {
  return load_converted(camera_id, date, true);
}

Result<std::optional<ConvertedDay>> Catalog::converted_file(std::int64_t camera_id,
                                                            const Date& date) {
  return load_converted(camera_id, date, false);
}

Result<std::optional<ConvertedDay>> Catalog::load_converted(std::int64_t camera_id,
                                                            const Date& date, bool only_converted) {
  const std::string day_text = format_date(date);
  ConvertedDay day;
  {
    CCTV_STATEMENT(s, only_converted
                          ? "SELECT c.file_name, c.init_size_bytes, c.file_size_bytes, "
                            "c.source_size_bytes, c.codec FROM converted_day c JOIN day d "
                            "ON d.camera_id = c.camera_id AND d.date = c.date "
                            "WHERE c.camera_id = ?1 AND c.date = ?2 AND d.state = 'converted'"
                          : "SELECT file_name, init_size_bytes, file_size_bytes, "
                            "source_size_bytes, codec "
                            "FROM converted_day WHERE camera_id = ?1 AND date = ?2");
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

}  // namespace cctv
