#include "worker/notifier.hpp"

#include <systemd/sd-daemon.h>

#include <string>

namespace cctv::worker {
namespace {

// While starting, each keepalive asks systemd for this much more time.
constexpr std::chrono::seconds k_start_extension{90};

void notify(const std::string& message) { (void)sd_notify(0, message.c_str()); }

}  // namespace

Notifier::Notifier() {
  std::uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
    m_period = std::chrono::microseconds(static_cast<std::int64_t>(usec / 2));
  }
}

void Notifier::ready(std::string_view status) {
  m_ready = true;
  m_status = status;
  notify("READY=1\nSTATUS=" + m_status);
  m_last = std::chrono::steady_clock::now();
}

void Notifier::status(std::string_view status) {
  if (status == m_status) return;
  m_status = status;
  notify("STATUS=" + m_status);
}

void Notifier::stopping() { notify("STOPPING=1\nSTATUS=stopping"); }

void Notifier::keepalive() {
  const auto now = std::chrono::steady_clock::now();
  if (!m_ready && now - m_last_extend >= k_start_extension / 3) {
    const auto usec = std::chrono::duration_cast<std::chrono::microseconds>(k_start_extension);
    notify("EXTEND_TIMEOUT_USEC=" + std::to_string(usec.count()));
    m_last_extend = now;
  }
  if (m_period && now - m_last >= *m_period) {
    notify("WATCHDOG=1");
    m_last = now;
  }
}

std::optional<std::chrono::milliseconds> Notifier::period() const {
  if (!m_period) return std::nullopt;
  return std::chrono::duration_cast<std::chrono::milliseconds>(*m_period);
}

}  // namespace cctv::worker
