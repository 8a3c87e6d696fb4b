// Retention's two-phase delete of a day: mark (phase 1), the worker deletes the files
// (phase 2), forget the rows (phase 3). See core/catalog.hpp and docs/worker.md.
#include "core/catalog.hpp"

#include "core/catalog_internal.hpp"

namespace cctv {

using catalog_detail::now_us;

Result<bool> Catalog::mark_day_deleting(std::int64_t camera_id, const Date& date,
                                        std::string_view reason) {
  CCTV_STATEMENT(s,
                 "UPDATE day SET delete_reason = ?3, version = version + 1, changed_time_us = ?4 "
                 "WHERE camera_id = ?1 AND date = ?2 AND state != 'converting' "
                 "AND delete_reason IS NULL");
  s.bind(1, camera_id).bind(2, format_date(date)).bind(3, reason).bind(4, now_us());
  CCTV_TRY(s.run());
  return m_db.changes() > 0;
}

Result<std::optional<std::string>> Catalog::delete_mark(std::int64_t camera_id, const Date& date) {
  CCTV_STATEMENT(s,
                 "SELECT delete_reason FROM day WHERE camera_id = ?1 AND date = ?2 "
                 "AND delete_reason IS NOT NULL");
  s.bind(1, camera_id).bind(2, format_date(date));
  auto row = s.step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<std::string>();
  std::string reason = s.column_text(0);
  s.reset();
  return std::optional<std::string>(std::move(reason));
}

Result<std::vector<MarkedDay>> Catalog::marked_days() {
  CCTV_STATEMENT(s,
                 "SELECT d.camera_id, c.name, c.directory, d.date, d.delete_reason "
                 "FROM day d JOIN camera c ON c.id = d.camera_id "
                 "WHERE d.delete_reason IS NOT NULL ORDER BY d.date, c.name");
  std::vector<MarkedDay> days;
  for (;;) {
    auto row = s.step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    MarkedDay day;
    day.camera_id = s.column_int(0);
    day.camera = s.column_text(1);
    day.directory = s.column_text(2);
    day.date = parse_date(s.column_text(3)).value_or(Date{});
    day.reason = s.column_text(4);
    days.push_back(std::move(day));
  }
  return days;
}

Result<bool> Catalog::forget_marked_day(std::int64_t camera_id, const Date& date) {
  const std::string day_text = format_date(date);
  auto tx = transaction();
  if (!tx) return std::unexpected(tx.error());
  auto mark = delete_mark(camera_id, date);
  if (!mark) return std::unexpected(mark.error());
  if (!*mark) return false;
  for (const char* sql : {"DELETE FROM segment WHERE camera_id = ?1 AND date = ?2",
                          "DELETE FROM fragment WHERE camera_id = ?1 AND date = ?2",
                          "DELETE FROM converted_day WHERE camera_id = ?1 AND date = ?2",
                          "DELETE FROM day WHERE camera_id = ?1 AND date = ?2"}) {
    CCTV_STATEMENT(s, sql);
    s.bind(1, camera_id).bind(2, day_text);
    CCTV_TRY(s.run());
  }
  CCTV_TRY(tx->commit());
  return true;
}

}  // namespace cctv
