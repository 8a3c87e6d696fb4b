#include "worker/converter_module.hpp"

#include "core/log.hpp"
#include "worker/priority.hpp"

#include <algorithm>
#include <chrono>
#include <utility>

namespace cctv::worker {
namespace {

constexpr std::int64_t k_hour_us = 3600 * k_micros_per_second;
constexpr std::int64_t k_day_us = 24 * k_hour_us;
constexpr auto k_poll = std::chrono::minutes(1);

UtcMicros wall_now() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct Candidate {
  const Camera* camera = nullptr;
  DayRow day;
};

}  // namespace

std::int64_t conversion_retry_delay_us(std::int64_t failures) {
  if (failures <= 0) return 0;
  const std::int64_t shift = std::min<std::int64_t>(failures - 1, 5);
  return std::min(k_hour_us << shift, k_day_us);
}

bool is_conversion_due(const DayRow& day, UtcMicros day_end, std::int64_t failures,
                       const Config& config, UtcMicros now) {
  if (day.state != DayState::settled || day.segment_count == 0) return false;
  if (failures >= k_max_conversion_failures) return false;
  if (now < day_end + config.convert_after_hours * k_hour_us) return false;
  const std::int64_t settle_us =
      std::int64_t{config.convert_settle_minutes} * 60 * k_micros_per_second;
  if (now < day.last_end_us + settle_us || now < day.changed_us + settle_us) return false;
  return failures == 0 || now >= day.changed_us + conversion_retry_delay_us(failures);
}

Result<bool> release_failed_conversion(Catalog& catalog, std::int64_t camera_id, const Date& date) {
  auto day = catalog.find_day(camera_id, date);
  if (!day) return std::unexpected(day.error());
  if (!*day || (*day)->state != DayState::converting) return false;
  CCTV_TRY(catalog.set_day_state(camera_id, date, DayState::settled));
  return true;
}

Result<std::unique_ptr<ConverterModule>> ConverterModule::create(const Config& config,
                                                                 std::vector<Camera> cameras) {
  std::unique_ptr<ConverterModule> module(new ConverterModule(config, std::move(cameras)));
  module->m_thread.start([m = module.get()] { m->run(); });
  return module;
}

ConverterModule::~ConverterModule() { stop(); }

void ConverterModule::stop() { m_thread.stop(); }

std::string ConverterModule::status() const {
  return "converted " + std::to_string(m_converted.load()) + " days, " +
         std::to_string(m_failed.load()) + " failures";
}

void ConverterModule::run() {
  lower_thread_priority("converter");
  auto catalog = Catalog::open_writable(m_config.catalog_path);
  if (!catalog) {
    log::error("converter: " + catalog.error().message + "; no conversions");
    return;
  }
  // A day left `converting` by a crash is settled again (its .part is removed when it
  // is converted next).
  for (const Camera& cam : m_cameras) {
    auto days = catalog->days(cam.id);
    if (!days) continue;
    for (const DayRow& day : *days) {
      if (day.state == DayState::converting) {
        (void)catalog->set_day_state(cam.id, day.date, DayState::settled);
      }
    }
  }
  while (!m_thread.stopping()) {
    auto converted = convert_one(*catalog);
    if (!converted) log::warning("converter: " + converted.error().message);
    if (converted && *converted) continue;  // the next day at once
    m_thread.pause(k_poll);
  }
}

Result<bool> ConverterModule::convert_one(Catalog& catalog) {
  const UtcMicros now = wall_now();
  std::vector<Candidate> due;
  for (const Camera& cam : m_cameras) {
    auto days = catalog.days(cam.id);
    if (!days) return std::unexpected(days.error());
    for (const DayRow& day : *days) {
      if (day.state != DayState::settled) continue;
      auto failures = catalog.conversion_failures(cam.id, day.date);
      if (!failures) return std::unexpected(failures.error());
      const UtcMicros day_end = cam.zone.day_start(day.date) + k_day_us;
      if (is_conversion_due(day, day_end, failures->first, m_config, now)) {
        due.push_back(Candidate{&cam, day});
      }
    }
  }
  if (due.empty()) return false;
  const auto oldest = std::min_element(due.begin(), due.end(), [](const auto& a, const auto& b) {
    return days_from_civil(a.day.date) < days_from_civil(b.day.date);
  });
  const Camera& cam = *oldest->camera;
  const Date date = oldest->day.date;
  // `converting`: the indexer leaves the day alone while it is converted.
  CCTV_TRY(catalog.set_day_state(cam.id, date, DayState::converting));
  ConvertOptions options;
  options.preset = m_config.convert_preset;
  options.crf = m_config.convert_crf;
  options.x265_params = m_config.convert_x265_params;
  options.stop = m_thread.stop_flag();
  log::info("cam=" + cam.name + " converting " + format_date(date));
  auto done = convert_day(catalog, cam.id, cam.day_path(date), date, options);
  if (done) {
    ++m_converted;
    return true;
  }
  auto released = release_failed_conversion(catalog, cam.id, date);
  if (!released) return std::unexpected(released.error());
  if (!*released) {
    log::notice("cam=" + cam.name + " " + format_date(date) +
                " was changed by another process during its conversion (" + done.error().message +
                "); leaving it as it is");
    return true;
  }
  if (m_thread.stopping()) {
    log::notice("cam=" + cam.name + " conversion of " + format_date(date) + " abandoned: stopping");
    return false;
  }
  ++m_failed;
  log::warning("cam=" + cam.name + " conversion failed: " + done.error().message);
  CCTV_TRY(catalog.put_conversion_failure(cam.id, date, done.error().message));
  return true;
}

}  // namespace cctv::worker
