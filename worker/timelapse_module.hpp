// The timelapse module: a worker thread at low CPU and I/O priority (nice 10,
// SCHED_BATCH, idle I/O class) that makes `<day dir>/timelapse.mp4`
// (worker/timelapse.hpp) for every closed day (settled, converting, converted), newest
// first, once a minute. A day of segments whose newest segment file is newer than its
// timelapse (a late upload) gets it made again; a converted day keeps the one it has. A
// failure is retried after 1 min, 2 min, 4 min ... at most 6 h; an archived day (files
// only in S3) gets none. See docs/worker.md, "Timelapse".
#pragma once

#include "core/catalog.hpp"
#include "core/config.hpp"
#include "worker/indexer.hpp"
#include "worker/module.hpp"
#include "worker/module_thread.hpp"
#include "worker/timelapse.hpp"

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace cctv::worker {

// The options of the timelapse from the config (timelapse.seconds).
TimelapseOptions timelapse_options(const Config& config);

// True for the days that get a timelapse: closed, with their files on this disk.
bool is_timelapse_state(DayState state);

// True when a day needs its timelapse made: it has none (`timelapse_mtime_ns` nullopt),
// or it is a day of segments (not converted) and the newest status change (ctime) of
// its segment files, `newest_input_change_ns`, is after the timelapse's mtime (the time
// its inputs were listed). The ctime, because a copy that keeps the old mtime
// (`cp -p`, `rsync -t`) still gets a new ctime.
bool is_timelapse_stale(DayState state, std::optional<std::int64_t> timelapse_mtime_ns,
                        std::int64_t newest_input_change_ns);

// The wait after `failures` failed attempts: 1 min, 2 min, 4 min ... at most 6 h.
std::int64_t timelapse_retry_delay_us(std::int64_t failures);

// Makes the timelapse of one day of `camera` now and logs one line about it (made, or
// why not). not_found when the day's files are not on this disk.
Result<TimelapseStats> make_day_timelapse(Catalog& catalog, const Camera& camera, const DayRow& day,
                                          const TimelapseOptions& options);

struct TimelapsePassStats {
  std::int64_t made = 0;    // timelapses written in this pass
  std::int64_t failed = 0;  // days that failed (retried later)
  std::int64_t remote = 0;  // closed days without a timelapse whose files are only in S3
  bool stopped = false;     // *stop was set before the pass finished
};

// One pass over every camera's closed days, newest first; remembers which days are done
// at which catalog version, and the failures with their next try.
class TimelapsePass {
 public:
  TimelapsePass(std::vector<Camera> cameras, TimelapseOptions options)
      : m_cameras(std::move(cameras)), m_options(std::move(options)) {}

  // `now` orders the retries (the wall clock; tests move it).
  Result<TimelapsePassStats> run(Catalog& catalog, UtcMicros now,
                                 const std::atomic<bool>* stop = nullptr);

 private:
  struct Failure {
    std::int64_t count = 0;
    std::int64_t version = 0;  // of the day when it failed: a change retries at once
    UtcMicros next_try_us = 0;
  };
  using Key = std::pair<std::int64_t, std::int64_t>;  // (camera id, day number)

  // Whether the day needs its timelapse now (and records a day found done).
  Result<bool> needs_work(Catalog& catalog, const Camera& camera, const DayRow& day, const Key& key,
                          UtcMicros now);

  std::vector<Camera> m_cameras;
  TimelapseOptions m_options;
  std::map<Key, std::int64_t> m_done;  // the day's version when its timelapse was current
  std::map<Key, Failure> m_failures;
  std::int64_t m_remote_logged = -1;  // the count of remote days last logged
};

class TimelapseModule final : public Module {
 public:
  // Starts the thread; `cameras` as the indexer loaded them.
  static Result<std::unique_ptr<TimelapseModule>> create(const Config& config,
                                                         std::vector<Camera> cameras);
  ~TimelapseModule() override;
  TimelapseModule(const TimelapseModule&) = delete;
  TimelapseModule& operator=(const TimelapseModule&) = delete;
  TimelapseModule(TimelapseModule&&) = delete;
  TimelapseModule& operator=(TimelapseModule&&) = delete;

  [[nodiscard]] std::string_view name() const override { return "timelapse"; }
  Result<void> tick(UtcMicros /*now*/) override { return {}; }
  void stop() override;
  [[nodiscard]] std::string status() const override;

 private:
  TimelapseModule(Config config, std::vector<Camera> cameras);
  void run();

  Config m_config;
  TimelapsePass m_pass;
  std::atomic<std::int64_t> m_made{0};
  ModuleThread m_thread;  // last: stopped before the members its body uses go
};

}  // namespace cctv::worker
