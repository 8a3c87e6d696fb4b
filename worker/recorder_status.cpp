#include "worker/recorder_status.hpp"

namespace cctv::worker {

StatusBoard::StatusBoard(std::int64_t camera_id, std::string camera, CameraState initial,
                         UtcMicros now) {
  m_status.camera_id = camera_id;
  m_status.camera = std::move(camera);
  m_status.state = initial;
  m_status.since_us = now;
  m_status.updated_us = now;
  m_last_report = now;
}

bool StatusBoard::set(CameraState state, std::string_view last_error, UtcMicros now) {
  const std::lock_guard lock(m_mutex);
  const bool new_state = state != m_status.state;
  if (!new_state && last_error == m_status.last_error) return false;
  if (new_state) m_status.since_us = now;
  m_status.state = state;
  m_status.last_error = last_error;
  return true;
}

void StatusBoard::add_bytes(std::int64_t bytes) {
  const std::lock_guard lock(m_mutex);
  m_bytes += bytes;
}

CameraStatus StatusBoard::report(UtcMicros now, std::int64_t segments_today) {
  const std::lock_guard lock(m_mutex);
  const std::int64_t elapsed = now - m_last_report;
  if (m_status.state != CameraState::recording) {
    m_status.bitrate_bps = 0;
  } else if (elapsed >= k_micros_per_second) {
    m_status.bitrate_bps = static_cast<std::int64_t>(static_cast<double>(m_bytes) * 8.0 * 1e6 /
                                                     static_cast<double>(elapsed));
  }
  if (elapsed >= k_micros_per_second || m_status.state != CameraState::recording) {
    m_bytes = 0;
    m_last_report = now;
  }
  m_status.segments_today = segments_today;
  m_status.updated_us = now;
  return m_status;
}

CameraStatus StatusBoard::snapshot() const {
  const std::lock_guard lock(m_mutex);
  return m_status;
}

}  // namespace cctv::worker
