// The daemon's single-threaded event loop: poll() on a signalfd and on every
// module's descriptor, with a timeout of at most a second so that ticks, status
// lines and the systemd watchdog keepalive run on time.
//   SIGTERM, SIGINT: STOPPING=1, every module stops, run() returns.
//   SIGHUP: every module resyncs (the watcher reindexes incrementally).
#pragma once

#include "core/error.hpp"
#include "worker/clock.hpp"
#include "worker/module.hpp"
#include "worker/notifier.hpp"
#include "worker/unique_fd.hpp"

#include <chrono>
#include <vector>

namespace cctv::worker {

class Daemon {
 public:
  // Blocks SIGTERM, SIGINT and SIGHUP for the calling thread (call it before any
  // other thread starts) and receives them through a signalfd.
  static Result<Daemon> create(Notifier& notifier, Clock clock = system_now);

  // The daemon does not own its modules; they must outlive it.
  void add(Module& module) { m_modules.push_back(&module); }

  // One turn of the loop: waits up to `max_wait` for input, handles it, runs the
  // ticks. Returns false once a stop signal was handled.
  Result<bool> run_once(std::chrono::milliseconds max_wait);
  // Runs until SIGTERM/SIGINT; an error is fatal (systemd restarts the worker).
  Result<void> run();

  [[nodiscard]] std::string status() const;

 private:
  Daemon(Notifier& notifier, Clock clock, UniqueFd signals)
      : m_notifier(&notifier), m_clock(std::move(clock)), m_signals(std::move(signals)) {}
  Result<bool> handle_signals();
  void stop_modules();

  Notifier* m_notifier;
  Clock m_clock;
  UniqueFd m_signals;
  std::vector<Module*> m_modules;
  bool m_stopped = false;
};

}  // namespace cctv::worker
