// The conversion scheduler: a worker module whose thread converts, one at a time and
// oldest first, the settled days that are old and quiet enough (conversion.afterHours
// after the end of the local day, conversion.settleMinutes after the last segment),
// at nice 10, SCHED_BATCH and idle I/O priority. A failure is counted in the day's
// conversion_failures and retried after a growing delay; SIGTERM abandons the
// conversion in hand (its .part; the segments stay). See docs/worker.md.
#pragma once

#include "core/catalog.hpp"
#include "core/config.hpp"
#include "worker/converter.hpp"
#include "worker/indexer.hpp"
#include "worker/module.hpp"
#include "worker/module_thread.hpp"

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace cctv::worker {

// Failures after which a day is no longer tried (it shows as failed).
inline constexpr std::int64_t k_max_conversion_failures = 8;

// The wait after `failures` failed conversions: 1 h, 2 h, 4 h ... at most 24 h.
std::int64_t conversion_retry_delay_us(std::int64_t failures);

// True when `day` (whose local day ends at `day_end`) is to be converted at `now`.
// `last_failure` is when it last failed (the row's changed time), if it has failures.
bool is_conversion_due(const DayRow& day, UtcMicros day_end, std::int64_t failures,
                       const Config& config, UtcMicros now);

// After a conversion of the day that did not succeed: sets it back to `settled` and
// returns true while it is still `converting` (the failure is ours to count). Returns
// false, changing nothing, when another process changed it meanwhile, e.g. a
// `cctv-worker --convert-now` of the same day that converted it (its segments vanished
// under this conversion): a converted day must not be set back to `settled`.
Result<bool> release_failed_conversion(Catalog& catalog, std::int64_t camera_id, const Date& date);

class ConverterModule final : public Module {
 public:
  // Starts the thread; `cameras` as the indexer loaded them.
  static Result<std::unique_ptr<ConverterModule>> create(const Config& config,
                                                         std::vector<Camera> cameras);
  ~ConverterModule() override;
  ConverterModule(const ConverterModule&) = delete;
  ConverterModule& operator=(const ConverterModule&) = delete;
  ConverterModule(ConverterModule&&) = delete;
  ConverterModule& operator=(ConverterModule&&) = delete;

  [[nodiscard]] std::string_view name() const override { return "converter"; }
  Result<void> tick(UtcMicros /*now*/) override { return {}; }
  void stop() override;
  [[nodiscard]] std::string status() const override;

 private:
  ConverterModule(Config config, std::vector<Camera> cameras)
      : m_config(std::move(config)), m_cameras(std::move(cameras)) {}
  void run();
  // Converts the one most due day, if any; false when there was none.
  Result<bool> convert_one(Catalog& catalog);

  Config m_config;
  std::vector<Camera> m_cameras;
  std::atomic<std::int64_t> m_converted{0};
  std::atomic<std::int64_t> m_failed{0};
  ModuleThread m_thread;  // last: stopped before the members its body uses go
};

}  // namespace cctv::worker
