#include "worker/timelapse_module.hpp"

#include "core/av.hpp"
#include "core/files.hpp"
#include "core/log.hpp"
#include "worker/priority.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>

namespace cctv::worker {
namespace {

namespace fs = std::filesystem;

constexpr auto k_poll = std::chrono::minutes(1);
constexpr std::int64_t k_minute_us = 60 * k_micros_per_second;
constexpr std::int64_t k_max_retry_us = k_minute_us * 60 * 6;

bool stopping(const std::atomic<bool>* stop) { return stop != nullptr && stop->load(); }

std::string seconds_text(double seconds) {
  std::array<char, 32> buf{};
  (void)std::snprintf(buf.data(), buf.size(), "%.1f", seconds);
  return buf.data();
}

}  // namespace

TimelapseOptions timelapse_options(const Config& config) {
  TimelapseOptions options;
  options.seconds = config.timelapse_seconds;
  return options;
}

bool is_timelapse_state(DayState state) {
  return state == DayState::settled || state == DayState::converting ||
         state == DayState::converted;
}

bool is_timelapse_stale(DayState state, std::optional<std::int64_t> timelapse_mtime_ns,
                        std::int64_t newest_input_change_ns) {
  if (!timelapse_mtime_ns) return true;
  // A converted day gets no new segments (the indexer refuses them), and its video.mp4
  // holds what the segments held: its timelapse stays.
  if (state == DayState::converted) return false;
  return newest_input_change_ns > *timelapse_mtime_ns;
}

std::int64_t timelapse_retry_delay_us(std::int64_t failures) {
  if (failures <= 0) return 0;
  const std::int64_t shift = std::min<std::int64_t>(failures - 1, 9);
  return std::min(k_minute_us << shift, k_max_retry_us);
}

Result<TimelapseStats> make_day_timelapse(Catalog& catalog, const Camera& camera, const DayRow& day,
                                          const TimelapseOptions& options) {
  const fs::path dir = camera.day_path(day.date);
  const std::string what = "cam=" + camera.name + " timelapse of " + format_date(day.date);
  const std::int64_t listed_ns = utc_now() * 1000;  // the timelapse's mtime
  auto inputs = timelapse_inputs(catalog, camera.id, day, dir);
  if (!inputs) return std::unexpected(inputs.error().context(what));
  if (!*inputs) {
    return fail(ErrorKind::not_found, what + ": its files are not on this disk (state " +
                                          std::string(to_string(day.state)) + ")");
  }
  TimelapseOptions named = options;
  named.what = what;
  named.mtime_ns = listed_ns;
  const auto started = std::chrono::steady_clock::now();
  auto stats = make_timelapse(**inputs, timelapse_path(dir), named);
  if (!stats) return std::unexpected(stats.error());
  const double took =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  log::info(what + ": " + std::to_string(stats->frames) + " pictures from " +
            std::to_string(stats->decoded) + " of " + std::to_string(stats->keyframes) +
            " keyframes (" + std::to_string((*inputs)->size()) + " files, " +
            seconds_text(static_cast<double>(stats->recorded_us) / 1e6) + " s recorded), " +
            std::to_string(stats->width) + "x" + std::to_string(stats->height) + ", " +
            seconds_text(static_cast<double>(stats->duration_us) / 1e6) + " s, in " +
            seconds_text(took) + " s");
  return stats;
}

Result<bool> TimelapsePass::needs_work(Catalog& catalog, const Camera& camera, const DayRow& day,
                                       const Key& key, UtcMicros now) {
  const auto have = file_mtime_ns(timelapse_path(camera.day_path(day.date)));
  if (auto done = m_done.find(key); done != m_done.end()) {
    if (done->second == day.version && have) return false;
    m_done.erase(done);
  }
  if (auto failed = m_failures.find(key); failed != m_failures.end()) {
    if (failed->second.version != day.version) {
      m_failures.erase(failed);  // the day changed: at once
    } else if (now < failed->second.next_try_us) {
      return false;
    }
  }
  std::int64_t newest = 0;
  if (have && day.state != DayState::converted) {
    auto segments = catalog.segments(camera.id, day.date);
    if (!segments) return std::unexpected(segments.error());
    const fs::path dir = camera.day_path(day.date);
    for (const Segment& s : *segments) {
      newest = std::max(newest, file_ctime_ns(dir / s.name).value_or(0));
    }
  }
  if (!is_timelapse_stale(day.state, have, newest)) {
    m_done[key] = day.version;
    return false;
  }
  return true;
}

Result<TimelapsePassStats> TimelapsePass::run(Catalog& catalog, UtcMicros now,
                                              const std::atomic<bool>* stop) {
  TimelapsePassStats stats;
  struct Entry {
    const Camera* camera;
    DayRow day;
  };
  std::vector<Entry> entries;
  for (const Camera& cam : m_cameras) {
    auto days = catalog.days(cam.id);
    if (!days) return std::unexpected(days.error());
    for (DayRow& day : *days) {
      if (day.state == DayState::archived) {
        // Only in S3: nothing to read here; counted for one line.
        if (!file_mtime_ns(timelapse_path(cam.day_path(day.date)))) ++stats.remote;
        continue;
      }
      if (is_timelapse_state(day.state)) entries.push_back(Entry{&cam, std::move(day)});
    }
  }
  if (stats.remote != m_remote_logged && (stats.remote > 0 || m_remote_logged > 0)) {
    log::info("timelapse: " + std::to_string(stats.remote) +
              " archived days have no timelapse and get none (their files are only in S3)");
  }
  m_remote_logged = stats.remote;
  // Newest day first, across cameras.
  std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return days_from_civil(a.day.date) > days_from_civil(b.day.date);
  });
  for (const Entry& entry : entries) {
    if (stopping(stop)) {
      stats.stopped = true;
      break;
    }
    const Key key{entry.camera->id, days_from_civil(entry.day.date)};
    auto needed = needs_work(catalog, *entry.camera, entry.day, key, now);
    if (!needed) return std::unexpected(needed.error());
    if (!*needed) continue;
    TimelapseOptions options = m_options;
    options.stop = stop;
    options.missing_is_error = true;  // the day changed under us: made again later
    auto made = make_day_timelapse(catalog, *entry.camera, entry.day, options);
    if (made) {
      ++stats.made;
      m_done[key] = entry.day.version;
      m_failures.erase(key);
      continue;
    }
    if (stopping(stop)) {
      stats.stopped = true;
      break;
    }
    Failure& failure = m_failures[key];
    if (failure.version != entry.day.version) failure = Failure{0, entry.day.version, 0};
    ++failure.count;
    const std::int64_t delay = timelapse_retry_delay_us(failure.count);
    failure.next_try_us = now + delay;
    ++stats.failed;
    log::warning(made.error().message + " (attempt " + std::to_string(failure.count) +
                 ", next in " + std::to_string(delay / k_minute_us) + " min)");
  }
  return stats;
}

TimelapseModule::TimelapseModule(Config config, std::vector<Camera> cameras)
    : m_config(std::move(config)), m_pass(std::move(cameras), timelapse_options(m_config)) {}

Result<std::unique_ptr<TimelapseModule>> TimelapseModule::create(const Config& config,
                                                                 std::vector<Camera> cameras) {
  std::unique_ptr<TimelapseModule> module(new TimelapseModule(config, std::move(cameras)));
  module->m_thread.start([m = module.get()] { m->run(); });
  return module;
}

TimelapseModule::~TimelapseModule() { stop(); }

void TimelapseModule::stop() { m_thread.stop(); }

std::string TimelapseModule::status() const {
  return std::to_string(m_made.load()) + " timelapses";
}

void TimelapseModule::run() {
  lower_thread_priority("timelapse");
  av::set_thread_log_context("timelapse");
  auto catalog = Catalog::open_writable(m_config.catalog_path);
  if (!catalog) {
    log::error("timelapse: " + catalog.error().message + "; no timelapses");
    return;
  }
  while (!m_thread.stopping()) {
    auto pass = m_pass.run(*catalog, utc_now(), m_thread.stop_flag());
    if (!pass) {
      log::warning("timelapse: " + pass.error().message);
    } else {
      m_made += pass->made;
    }
    m_thread.pause(k_poll);
  }
}

}  // namespace cctv::worker
