// The camera status queries of the Catalog (the recorder writes them, the index page
// reads them). See core/catalog.hpp.
#include "core/catalog.hpp"

#include "core/catalog_internal.hpp"

#include <algorithm>

namespace cctv {

using catalog_detail::now_us;

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

}  // namespace cctv
