// The systemd notification protocol (sd_notify): READY, STATUS, WATCHDOG, STOPPING.
// Without $NOTIFY_SOCKET (run by hand, in tests) every call does nothing.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace cctv::worker {

class Notifier {
 public:
  // Reads $WATCHDOG_USEC (sd_watchdog_enabled): keepalives go at half of it.
  Notifier();

  void ready(std::string_view status);
  void status(std::string_view status);
  void stopping();
  // WATCHDOG=1 when half the watchdog period has passed since the last one; before
  // READY also extends the start timeout, so a long first reindex is not killed.
  void keepalive();
  // How long the loop may sleep before the next keepalive is due.
  [[nodiscard]] std::optional<std::chrono::milliseconds> period() const;

 private:
  std::optional<std::chrono::microseconds> m_period;  // half of WATCHDOG_USEC
  std::chrono::steady_clock::time_point m_last{};
  std::chrono::steady_clock::time_point m_last_extend{};
  bool m_ready = false;
  std::string m_status;
};

}  // namespace cctv::worker
