#include "worker/sync_module.hpp"

#include "core/log.hpp"
#include "worker/clock.hpp"
#include "worker/recorder_backoff.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdio>
#include <random>
#include <system_error>
#include <utility>

namespace cctv::worker {
namespace {

// What S3 refused, without the object: "HTTP 403 SignatureDoesNotMatch: ..." (the same
// refusal of every file is logged once).
std::string refusal(const std::string& message) {
  const auto http = message.find(": HTTP ");
  return http == std::string::npos ? message : message.substr(http + 2);
}

std::string where(const Upload& upload) { return format_date(upload.date) + "/" + upload.name; }

std::string seconds_text(std::chrono::milliseconds d) {
  const auto tenths = (d.count() + 50) / 100;
  return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + "s";
}

std::string age_text(std::int64_t us) {
  const std::int64_t s = std::max<std::int64_t>(us / k_micros_per_second, 0);
  if (s < 60) return std::to_string(s) + " s";
  if (s < 7200) return std::to_string(s / 60) + " min";
  if (s < std::int64_t{2} * 86400) return std::to_string(s / 3600) + " h";
  return std::to_string(s / 86400) + " days";
}

std::string megabytes(std::int64_t bytes) {
  const std::int64_t tenths = (bytes * 10 + (1 << 19)) >> 20U;
  return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + " MiB";
}

std::function<double()> default_random() {
  auto engine = std::make_shared<std::mt19937_64>(std::random_device{}());
  return [engine] { return std::uniform_real_distribution<double>(0.0, 1.0)(*engine); };
}

}  // namespace

std::vector<SyncCamera> sync_cameras(const Config& config, const std::vector<Camera>& cameras) {
  std::vector<SyncCamera> out;
  out.reserve(cameras.size());
  for (const Camera& cam : cameras) {
    SyncCamera sc{cam.id, cam.name, "", cam.path};
    for (const CameraConfig& cc : config.cameras) {
      if (cc.name == cam.name) sc.feed_id = cc.video_feed_id;
    }
    out.push_back(std::move(sc));
  }
  return out;
}

std::string describe_pass(const SyncPassReport& report) {
  std::array<char, 64> rate{};
  const double mib = static_cast<double>(report.uploaded_bytes) / static_cast<double>(1 << 20);
  (void)std::snprintf(rate.data(), rate.size(), "in %.2f s, %.1f MiB/s", report.seconds,
                      report.seconds > 0 ? mib / report.seconds : 0.0);
  return std::to_string(report.uploaded_files) + " files uploaded (" +
         megabytes(report.uploaded_bytes) + ") " + rate.data();
}

std::string describe_queue(const UploadQueueStats& stats, UtcMicros now) {
  if (stats.files == 0) return "S3: all uploaded";
  return "S3: " + std::to_string(stats.files) + (stats.files == 1 ? " file" : " files") +
         " waiting (" + megabytes(stats.bytes) + "), oldest " + age_text(now - stats.oldest_end_us);
}

std::function<bool(Catalog&, std::int64_t, const Date&)> stored_elsewhere_hook(
    const Config& config) {
  const bool s3_on = config.s3.enabled();
  return [s3_on](Catalog& catalog, std::int64_t camera_id, const Date& date) {
    if (!s3_on) return true;
    auto safe = catalog.day_in_s3(camera_id, date);
    return safe && *safe;
  };
}

// --- Syncer ---

Syncer::Syncer(const Config& config, SyncOptions options, Catalog catalog,
               std::vector<SyncCamera> cameras)
    : m_config(config),
      m_options(std::move(options)),
      m_catalog(std::move(catalog)),
      m_queue(m_config, std::move(cameras), m_catalog) {}

Syncer::~Syncer() = default;

Result<std::unique_ptr<Syncer>> Syncer::create(const Config& config,
                                               const std::vector<Camera>& cameras,
                                               SyncOptions options) {
  if (!options.random) options.random = default_random();
  auto catalog = Catalog::open_writable(config.catalog_path);
  if (!catalog) return std::unexpected(catalog.error());
  std::unique_ptr<Syncer> syncer(
      new Syncer(config, std::move(options), std::move(*catalog), sync_cameras(config, cameras)));
  Syncer* self = syncer.get();
  s3::ClientOptions base = s3::client_options(config.s3);
  // Records the id of a multipart upload before its parts go out (called in this thread).
  s3::ClientOptions main = base;
  main.on_multipart_created = [self](std::string_view key, std::string_view upload_id) {
    if (!self->m_current || self->m_current->key != key) return;
    if (auto r = self->m_queue.started(*self->m_current, upload_id); !r) {
      log::warning("s3: cannot record the upload id of " + std::string(key) + ": " +
                   r.error().message);
    }
  };
  auto client = s3::Client::create(main);
  if (!client) return std::unexpected(client.error());
  syncer->m_client.emplace(std::move(*client));
  const int threads = std::max(1, config.s3.upload_concurrency);
  s3::ClientOptions small = base;
  if (small.upload_limit_bytes_per_second > 0) {
    small.upload_limit_bytes_per_second = std::max<std::uint64_t>(
        1, small.upload_limit_bytes_per_second / static_cast<std::uint64_t>(threads));
  }
  for (int i = 0; i < threads; ++i) {
    auto c = s3::Client::create(small);
    if (!c) return std::unexpected(c.error());
    syncer->m_pool.push_back(std::move(*c));
  }
  return syncer;
}

Result<void> Syncer::recover() {
  auto unfinished = m_catalog.unfinished_uploads();
  if (!unfinished) return std::unexpected(unfinished.error());
  for (const Upload& u : *unfinished) {
    const std::string name = m_client->object_name(u.key);
    if (auto aborted = m_client->abort_multipart_upload(u.key, u.upload_id); aborted) {
      log::notice("s3: aborted the unfinished multipart upload of " + name +
                  " (interrupted); it starts over");
    } else {
      log::warning("s3: cannot abort the unfinished multipart upload " + u.upload_id + " of " +
                   name + " (" + aborted.error().message +
                   "); it starts over, and its parts stay in the bucket until a lifecycle rule "
                   "removes incomplete multipart uploads");
    }
    CCTV_TRY(m_catalog.put_upload_failed(u, "interrupted", 0, false));
  }
  CCTV_TRY(retry_now());
  // clearAfterUpload: an archived day whose files a crash left behind.
  for (const SyncCamera& cam : m_queue.cameras()) {
    auto days = m_catalog.days(cam.id);
    if (!days) return std::unexpected(days.error());
    for (const DayRow& day : *days) {
      if (day.state == DayState::archived) {
        auto deleted = delete_local_files(cam.id, day.date);
        if (!deleted) return std::unexpected(deleted.error());
        if (*deleted > 0) {
          log::notice("cam=" + cam.name + " " + format_date(day.date) + ": " +
                      std::to_string(*deleted) +
                      " local files of an archived day deleted (left by an interruption)");
        }
      }
    }
  }
  return {};
}

Result<void> Syncer::retry_now() {
  m_refused_logged.clear();
  return m_catalog.retry_uploads_now(system_now());
}

Result<SyncTurn> Syncer::turn() {
  SyncTurn turn;
  // Days whose version changed (new files, settled, converted) are looked at again.
  auto queued = m_queue.refresh();
  if (!queued) return std::unexpected(queued.error());
  turn.queued = *queued;
  for (const DayRow& day : m_queue.take_changed()) {
    if (m_config.clear_after_upload &&
        (day.state == DayState::settled || day.state == DayState::converted)) {
      m_to_clear.emplace(day.camera_id, days_from_civil(day.date));
    }
  }
  auto due = m_queue.due(system_now(), m_options.batch);
  if (!due) return std::unexpected(due.error());
  turn.idle = due->empty();

  // Files the queue no longer knows how to find (a camera gone from the config) wait.
  std::vector<Outcome> small;
  std::vector<Upload> large;
  const auto threshold = m_client->options().multipart_threshold;
  for (Upload& u : *due) {
    const std::filesystem::path path = m_queue.file_path(u);
    std::error_code ec;
    const auto size = path.empty() ? 0 : std::filesystem::file_size(path, ec);
    if (!path.empty() && !ec && size > threshold) {
      large.push_back(std::move(u));
    } else {
      small.push_back(Outcome{std::move(u), fail(ErrorKind::internal, "not sent"), false});
    }
  }
  // Small files in parallel, one client (and connection) per thread.
  {
    std::atomic<std::size_t> next{0};
    const auto work = [&](s3::Client& client) {
      for (std::size_t i = next++; i < small.size() && !stopping(); i = next++) {
        Outcome& o = small[i];
        o.sent = true;
        const std::filesystem::path path = m_queue.file_path(o.upload);
        o.result = path.empty() ? fail(ErrorKind::not_found, "camera not configured")
                                : client.upload_file(o.upload.key, path);
      }
    };
    std::vector<std::jthread> pool;
    const std::size_t threads = std::min(m_pool.size(), small.size());
    pool.reserve(threads);
    for (std::size_t t = 0; t < threads; ++t) pool.emplace_back(work, std::ref(m_pool[t]));
  }
  // Every answer is recorded (those after a refusal too: they may have succeeded).
  for (const Outcome& o : small) {
    if (o.sent) {
      CCTV_TRY(record(turn, o));
    }
  }
  if (turn.refused) return turn;
  for (const Upload& u : large) {
    if (stopping()) break;
    m_current = u;
    Outcome o{u, m_client->upload_file(u.key, m_queue.file_path(u)), true};
    m_current.reset();
    CCTV_TRY(record(turn, o));
    if (turn.refused) return turn;
  }
  // clearAfterUpload: days whose files are all verified in S3.
  if (m_config.clear_after_upload) {
    auto pending = std::move(m_to_clear);
    m_to_clear.clear();
    for (const auto& [camera_id, day_number] : pending) {
      auto cleared = clear_day(camera_id, civil_from_days(day_number));
      if (!cleared) return std::unexpected(cleared.error());
      if (*cleared >= 0) ++turn.archived_days;
    }
  }
  if (turn.uploaded > 0) m_logged_retry = false;
  return turn;
}

Result<void> Syncer::record(SyncTurn& turn, const Outcome& outcome) {
  const Upload& u = outcome.upload;
  if (outcome.result) {
    const auto& r = *outcome.result;
    CCTV_TRY(m_queue.done(u, static_cast<std::int64_t>(r.size), r.etag));
    ++turn.uploaded;
    turn.uploaded_bytes += static_cast<std::int64_t>(r.size);
    ++m_uploaded_files;
    m_uploaded_bytes += static_cast<std::int64_t>(r.size);
    log::debug("s3: uploaded " + where(u) + " to " + m_client->object_name(u.key) + " (" +
               std::to_string(r.size) + " bytes" +
               (r.parts > 0 ? " in " + std::to_string(r.parts) + " parts" : std::string()) +
               ", verified)");
    if (m_config.clear_after_upload) m_to_clear.emplace(u.camera_id, days_from_civil(u.date));
    if (!m_refused_logged.empty()) {
      log::notice("s3: uploads resumed");
      m_refused_logged.clear();
    }
    return {};
  }
  const Error& error = outcome.result.error();
  const UtcMicros now = system_now();
  auto failure = m_queue.failed(u, error, now, m_options.random());
  if (!failure) return std::unexpected(failure.error());
  const SyncCamera* cam = m_queue.camera(u.camera_id);
  const std::string who = "cam=" + (cam != nullptr ? cam->name : std::string("?")) + " ";
  switch (*failure) {
    case FailureClass::retry: {
      ++turn.retrying;
      const auto delay = sync_retry_delay(u.attempts + 1, 0.5);
      const std::string line = who + "upload of " + where(u) + " failed (attempt " +
                               std::to_string(u.attempts + 1) + ", next in about " +
                               seconds_text(delay) + "): " + error.message;
      // One warning per run of failures (a server that is down fails every file).
      if (!m_logged_retry) {
        log::warning(line);
        m_logged_retry = true;
      } else {
        log::debug(line);
      }
      break;
    }
    case FailureClass::gone:
      log::info(who + where(u) + " is gone before its upload; dropped from the queue");
      break;
    case FailureClass::blocked:
      turn.refused = error;
      if (m_refused_logged != refusal(error.message)) {
        log::error("s3: uploads stopped: " + error.message +
                   ". Nothing is deleted locally. Check s3Config and awsCredentials, then "
                   "restart the worker (or send SIGHUP to try again now); trying again every " +
                   std::to_string(m_options.blocked_recheck.count() / 1000) + " s");
        m_refused_logged = refusal(error.message);
      } else {
        log::debug("s3: still refused: " + error.message);
      }
      break;
  }
  return {};
}

Result<std::int64_t> Syncer::clear_day(std::int64_t camera_id, const Date& date) {
  auto archived = m_catalog.archive_day(camera_id, date);
  if (!archived) return std::unexpected(archived.error());
  if (!*archived) return -1;
  auto deleted = delete_local_files(camera_id, date);
  if (!deleted) return std::unexpected(deleted.error());
  const SyncCamera* cam = m_queue.camera(camera_id);
  log::info("cam=" + (cam != nullptr ? cam->name : std::string("?")) + " day " + format_date(date) +
            " archived: every file verified in S3, " + std::to_string(*deleted) +
            " local files deleted (clearAfterUpload)");
  return *deleted;
}

Result<std::int64_t> Syncer::delete_local_files(std::int64_t camera_id, const Date& date) {
  auto rows = m_catalog.uploads_of_day(camera_id, date);
  if (!rows) return std::unexpected(rows.error());
  std::int64_t deleted = 0;
  for (const Upload& u : *rows) {
    if (!u.only_in_s3) continue;
    const std::filesystem::path path = m_queue.file_path(u);
    if (path.empty()) continue;
    if (::unlink(path.c_str()) == 0) ++deleted;
    if (u.name.ends_with(".ts")) (void)::unlink((path.string() + ".duration").c_str());
  }
  return deleted;
}

Result<SyncStatus> Syncer::publish(std::string_view state, std::string_view error) {
  auto stats = m_catalog.upload_queue_stats();
  if (!stats) return std::unexpected(stats.error());
  SyncStatus status;
  status.state = std::string(state);
  status.waiting_files = stats->files;
  status.waiting_bytes = stats->bytes;
  status.oldest_waiting_us = stats->oldest_end_us;
  status.uploaded_files = m_uploaded_files;
  status.uploaded_bytes = m_uploaded_bytes;
  status.last_error = std::string(error);
  status.updated_us = system_now();
  CCTV_TRY(m_catalog.put_sync_status(status));
  return status;
}

Result<SyncPassReport> run_sync_pass(const Config& config, const std::vector<Camera>& cameras,
                                     std::chrono::seconds timeout, const std::atomic<bool>* stop,
                                     SyncOptions options) {
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + timeout;
  auto syncer = Syncer::create(config, cameras, std::move(options));
  if (!syncer) return std::unexpected(syncer.error().context("s3 sync"));
  CCTV_TRY((*syncer)->recover());
  SyncPassReport report;
  std::string last_error;
  for (;;) {
    auto turn = (*syncer)->turn();
    if (!turn) return std::unexpected(turn.error().context("s3 sync"));
    auto stats = (*syncer)->stats();
    if (!stats) return std::unexpected(stats.error());
    report.left = *stats;
    if (turn->refused) {
      report.outcome = SyncPassReport::Outcome::refused;
      report.error = turn->refused->message;
      (void)(*syncer)->publish("blocked", report.error);
      break;
    }
    if (turn->retrying > 0) last_error = "an upload failed and waits for its next try";
    if (stats->files == 0) {
      report.outcome = SyncPassReport::Outcome::synced;
      (void)(*syncer)->publish("idle", "");
      break;
    }
    (void)(*syncer)->publish(turn->idle ? "retrying" : "uploading", "");
    if (stop != nullptr && stop->load()) {
      report.outcome = SyncPassReport::Outcome::stopped;
      break;
    }
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      report.outcome = SyncPassReport::Outcome::timed_out;
      report.error = last_error;
      break;
    }
    if (turn->idle || turn->uploaded == 0) {
      std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
          std::chrono::milliseconds{250}, deadline - now));
    }
  }
  report.uploaded_files = (*syncer)->uploaded_files();
  report.uploaded_bytes = (*syncer)->uploaded_bytes();
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

// --- SyncModule ---

Result<std::unique_ptr<SyncModule>> SyncModule::create(const Config& config,
                                                       const std::vector<Camera>& cameras,
                                                       SyncOptions options) {
  if (!options.random) options.random = default_random();
  auto syncer = Syncer::create(config, cameras, options);
  if (!syncer) return std::unexpected(syncer.error().context("s3 sync"));
  std::unique_ptr<SyncModule> module(new SyncModule(std::move(*syncer), std::move(options)));
  module->m_thread.start([m = module.get()] { m->run(); });
  return module;
}

SyncModule::~SyncModule() { stop(); }

void SyncModule::stop() { m_thread.stop(); }

Result<void> SyncModule::resync() {
  m_retry_now = true;
  m_thread.wake();
  return {};
}

std::string SyncModule::status() const {
  if (m_waiting.load() < 0) return "S3: starting";
  UploadQueueStats stats;
  stats.files = m_waiting.load();
  stats.oldest_end_us = m_oldest_us.load();
  std::string text = describe_queue(stats, system_now());
  if (m_refused) text += " (S3 refused: see the log)";
  return text;
}

void SyncModule::run() {
  if (auto r = m_syncer->recover(); !r) log::warning("s3 sync: " + r.error().message);
  Backoff queue_backoff(std::chrono::milliseconds{1000}, std::chrono::milliseconds{60'000});
  std::string error_text;
  while (!m_thread.stopping()) {
    if (m_retry_now.exchange(false)) {
      if (auto r = m_syncer->retry_now(); !r) log::warning("s3 sync: " + r.error().message);
      m_refused = false;
    }
    auto turn = m_syncer->turn();
    std::string state = "idle";
    std::chrono::milliseconds pause{0};
    if (!turn) {
      log::warning("s3 sync: " + turn.error().message);
      error_text = turn.error().message;
      pause = m_options.poll;
    } else if (turn->refused) {
      state = "blocked";
      error_text = turn->refused->message;
      m_refused = true;
      pause = m_options.blocked_recheck;
    } else {
      m_refused = false;
      if (turn->uploaded > 0) {
        queue_backoff.reset();
        error_text.clear();
      }
      if (turn->retrying > 0 && turn->uploaded == 0) {
        state = "retrying";
        pause = queue_backoff.next(m_options.random());
      } else if (turn->idle) {
        pause = m_options.poll;
      }
    }
    auto stats = m_syncer->stats();
    if (stats) {
      m_waiting = stats->files;
      m_oldest_us = stats->oldest_end_us;
      if (state == "idle" && stats->files > 0)
        state = turn && turn->idle ? "retrying" : "uploading";
    }
    if (auto p = m_syncer->publish(state, state == "idle" ? "" : error_text); !p) {
      log::debug("s3 sync: status: " + p.error().message);
    }
    if (pause.count() > 0) m_thread.pause(pause);
  }
}

}  // namespace cctv::worker
