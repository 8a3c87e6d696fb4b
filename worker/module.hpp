// One job of the worker daemon (the watcher now; the recorder, converter, S3 sync
// and retention later). The daemon's single event loop polls every module's file
// descriptor, calls tick() at least once a second, and asks each module for a
// status line for systemd. A module with its own threads starts them in its
// factory and joins them in stop().
#pragma once

#include "core/civil_time.hpp"
#include "core/error.hpp"

#include <string>
#include <string_view>

namespace cctv::worker {

// Errors a module can keep running after (logged, the loop goes on): a busy
// catalog, a camera or file that is not there right now. Others are fatal: the
// daemon exits non-zero and systemd restarts it.
inline bool is_transient(const Error& error) {
  return error.kind == ErrorKind::unavailable || error.kind == ErrorKind::timeout ||
         error.kind == ErrorKind::not_found;
}

class Module {
 public:
  Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;
  virtual ~Module() = default;

  [[nodiscard]] virtual std::string_view name() const = 0;
  // A descriptor the daemon polls for input, or -1.
  [[nodiscard]] virtual int fd() const { return -1; }
  // fd() is readable.
  virtual Result<void> on_readable() { return {}; }
  // Periodic work; `now` is the wall clock (UTC).
  virtual Result<void> tick(UtcMicros now) = 0;
  // SIGHUP: bring everything in line with the disk again.
  virtual Result<void> resync() { return {}; }
  // SIGTERM: finish what is in hand (e.g. the segment being written) and stop.
  virtual void stop() {}
  // A short summary for systemd's STATUS= ("watching 3 cameras, 1234 segments").
  [[nodiscard]] virtual std::string status() const = 0;

 protected:
  Module(Module&&) = default;
  Module& operator=(Module&&) = default;
};

}  // namespace cctv::worker
