// A camera's status as its recorder sees it (recording / reconnecting, since when,
// the last error, bitrate, segments today). The recorder's thread changes it; the
// daemon's thread reads snapshots for the systemd status line; the recorder writes
// it to the catalog's camera_status on every change and at most every 10 s while
// recording, so that the index page can show it.
#pragma once

#include "core/catalog.hpp"
#include "core/civil_time.hpp"

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

namespace cctv::worker {

class StatusBoard {
 public:
  StatusBoard(std::int64_t camera_id, std::string camera, CameraState initial, UtcMicros now);

  // A new state (since = now when it differs) and last error; true when either
  // changed, i.e. the row must be written now.
  bool set(CameraState state, std::string_view last_error, UtcMicros now);
  // Bytes written since the last report (for the bitrate).
  void add_bytes(std::int64_t bytes);
  // The row to write: bitrate over the time since the previous report while
  // recording (0 otherwise), `segments_today` as counted by the caller.
  CameraStatus report(UtcMicros now, std::int64_t segments_today);

  [[nodiscard]] CameraStatus snapshot() const;

 private:
  mutable std::mutex m_mutex;
  CameraStatus m_status;
  std::int64_t m_bytes = 0;
  UtcMicros m_last_report = 0;
};

}  // namespace cctv::worker
