// The daemon's single-threaded event loop: poll() on a signalfd and on every
// module's descriptor, with a timeout of at most a second so that ticks, status
// lines and the systemd watchdog keepalive run on time.
//   SIGTERM, SIGINT: STOPPING=1, every module stops, run() returns.
//   SIGHUP: every module resyncs (the watcher reindexes incrementally).
#pragma once

#include "core/error.hpp"
#include "core/unique_fd.hpp"
#include "worker/clock.hpp"
#include "worker/module.hpp"
#include "worker/notifier.hpp"

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
  // True once SIGTERM or SIGINT has arrived (checked without blocking), so that
  // long work outside the loop (the first reindex) can give up promptly.
  [[nodiscard]] bool stop_requested();

  [[nodiscard]] std::string status() const;

 private:
  Daemon(Notifier& notifier, Clock clock, UniqueFd signals)
      : m_notifier(&notifier), m_clock(std::move(clock)), m_signals(std::move(signals)) {}
  // Takes the pending signals into the flags below; never blocks.
  void read_signals();
  Result<bool> handle_signals();
  void stop_modules();

  Notifier* m_notifier;
  Clock m_clock;
  UniqueFd m_signals;
  std::vector<Module*> m_modules;
  bool m_stopped = false;
  int m_stop_signal = 0;  // SIGTERM or SIGINT once asked to stop
  bool m_resync_pending = false;
};

}  // namespace cctv::worker
