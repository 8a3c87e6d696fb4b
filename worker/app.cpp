#include "worker/app.hpp"

#include "core/av.hpp"
#include "core/catalog.hpp"
#include "core/log.hpp"
#include "worker/cli.hpp"
#include "worker/converter.hpp"
#include "worker/converter_module.hpp"
#include "worker/daemon.hpp"
#include "worker/indexer.hpp"
#include "worker/notifier.hpp"
#include "worker/recorder_module.hpp"
#include "worker/retention_module.hpp"
#include "worker/sync_module.hpp"
#include "worker/thumbnail_module.hpp"
#include "worker/timelapse_module.hpp"
#include "worker/watcher.hpp"

#include <atomic>
#include <csignal>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace cctv::worker {
namespace {

int fail_with(const Error& error) {
  log::error(error.message);
  return k_exit_failure;
}

// Set by SIGINT/SIGTERM during --convert-now or --timelapse-now: the conversion stops
// between frames and the day gets its state back, the timelapse's .part is removed (a
// lock-free atomic store is signal-safe).
std::atomic<bool> g_cli_job_stop{false};

extern "C" void stop_cli_job(int /*signal*/) { g_cli_job_stop.store(true); }

// --once: one pass of each job, in the order that lets the next one act on the
// previous one's result, then the exit status: 0 when everything is done, 1 when a pass
// failed or retention's free-space floor still does not hold, 3 when files still wait
// for S3 (docs/worker.md, "cctv-worker --once").
int run_once(const Config& config, std::chrono::seconds sync_timeout) {
  auto catalog = Catalog::open_writable(config.catalog_path);
  if (!catalog) return fail_with(catalog.error());
  // 1. Indexing: the catalog in line with the disk (incremental, days settled).
  Indexer indexer(config, *catalog);
  if (auto indexed = indexer.reindex(false); !indexed) {
    return fail_with(indexed.error().context("reindex"));
  }
  // 2. The S3 sync pass (issue 5): upload what waits, until the queue is empty or the
  //    timeout, so that retention below sees those days as stored elsewhere.
  bool synced = true;
  if (config.s3.enabled()) {
    auto pass = run_sync_pass(config, indexer.cameras(), sync_timeout);
    if (!pass) return fail_with(pass.error());
    const std::string done = describe_pass(*pass);
    synced = pass->outcome == SyncPassReport::Outcome::synced;
    if (synced) {
      log::info("s3 sync: " + done + "; everything is in S3");
    } else if (pass->outcome == SyncPassReport::Outcome::refused) {
      log::error("s3 sync: " + done + "; stopped, S3 refuses: " + pass->error + "; " +
                 describe_queue(pass->left, system_now()));
    } else {
      log::error("s3 sync: " + done + "; not finished within " +
                 std::to_string(sync_timeout.count()) +
                 " s: " + describe_queue(pass->left, system_now()));
    }
  }
  // 3. Retention: days a crash left marked are finished, then one pass.
  Retention retention(config, indexer.cameras(), RetentionSeams{stored_elsewhere_hook(config)});
  auto report = retention.run_pass(*catalog);
  if (!report) return fail_with(report.error().context("retention"));
  log::info("retention: " + std::to_string(report->days) + " days deleted, " +
            std::to_string(report->files) + " files, " + std::to_string(report->bytes) +
            " bytes; " + std::to_string(report->held_back) + " days kept until stored in S3");
  int status = k_exit_ok;
  if (report->failed > 0) {
    log::error("retention: " + std::to_string(report->failed) + " deletions failed");
    status = k_exit_failure;
  }
  if (!report->free_ok) {
    log::error("retention: free space is still below storageConfig.minFreeGB");
    status = k_exit_failure;
  }
  if (!report->size_ok) {
    log::warning(
        "retention: the archive is still over storageConfig.clearWhenFilePathReachGB "
        "(what is left is not yet stored in S3, being recorded or converted)");
  }
  if (status == k_exit_ok && !synced) status = k_exit_unsynced;
  return status;
}

}  // namespace

int run(int argc, char** argv) {
  std::vector<std::string_view> args;
  for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);
  auto options = parse_options(args);
  if (!options) {
    (void)std::fprintf(stderr, "cctv-worker: %s\n\n%s", options.error().message.c_str(),
                       usage().c_str());
    return k_exit_usage;
  }
  if (options->help) {
    (void)std::fputs(usage().c_str(), stdout);
    return k_exit_ok;
  }
  log::set_min_level(options->log_level);
  const auto path =
      default_config_path(options->config.empty() ? nullptr : options->config.c_str());
  if (options->check_config) {
    auto verdict = check_config(path);
    if (!verdict) {
      (void)std::fprintf(stderr, "config error: %s\n", verdict.error().message.c_str());
      return k_exit_failure;
    }
    (void)std::printf("%s\n", verdict->c_str());
    return k_exit_ok;
  }
  auto config = load_config(path);
  if (!config) return fail_with(config.error().context("config error"));
  av::route_log();
  if (!options->convert_now.empty()) {
    return run_convert_now(*config, options->convert_now, options->camera);
  }
  if (!options->timelapse_now.empty()) {
    return run_timelapse_now(*config, options->timelapse_now, options->camera);
  }
  if (options->once) return run_once(*config, std::chrono::seconds(options->timeout_seconds));
  return options->reindex ? run_reindex(*config) : run_daemon(*config);
}

// The frame of --convert-now and --timelapse-now: the catalog brought up to date with
// the disk, SIGINT/SIGTERM to stop between frames, then `job` for the day `date_text` of
// every camera that has it (of `camera` only, when named: then it must have it).
using DayJob =
    std::function<Result<void>(Catalog&, const Camera&, const DayRow&, const std::string& what)>;

int run_day_job(const Config& config, std::string_view date_text, std::string_view camera,
                const DayJob& job) {
  const auto date = parse_date(date_text);
  if (!date) return fail_with(Error{ErrorKind::invalid_argument, "bad date"});
  auto catalog = Catalog::open_writable(config.catalog_path);
  if (!catalog) return fail_with(catalog.error());
  Indexer indexer(config, *catalog);
  if (auto loaded = indexer.load_cameras(); !loaded) return fail_with(loaded.error());
  // The day as it is on disk now (segments that arrived since the last run).
  if (auto indexed = indexer.reindex(false); !indexed) return fail_with(indexed.error());
  (void)std::signal(SIGINT, stop_cli_job);
  (void)std::signal(SIGTERM, stop_cli_job);
  std::size_t done = 0;
  for (const Camera& cam : indexer.cameras()) {
    if (!camera.empty() && cam.name != camera) continue;
    auto day = catalog->find_day(cam.id, *date);
    if (!day) return fail_with(day.error());
    if (!*day) {
      if (!camera.empty()) {
        return fail_with(Error{ErrorKind::not_found,
                               "cam=" + cam.name + " has no day " + std::string(date_text)});
      }
      continue;
    }
    if (auto ran = job(*catalog, cam, **day, "cam=" + cam.name + " " + std::string(date_text));
        !ran) {
      return fail_with(ran.error());
    }
    ++done;
  }
  if (done == 0) {
    return fail_with(Error{ErrorKind::not_found, camera.empty()
                                                     ? "no camera has day " + std::string(date_text)
                                                     : "no camera " + std::string(camera)});
  }
  return k_exit_ok;
}

int run_convert_now(const Config& config, std::string_view date_text, std::string_view camera) {
  ConvertOptions options;
  options.preset = config.convert_preset;
  options.crf = config.convert_crf;
  options.x265_params = config.convert_x265_params;
  options.stop = &g_cli_job_stop;
  return run_day_job(
      config, date_text, camera,
      [&](Catalog& catalog, const Camera& cam, const DayRow& day,
          const std::string& what) -> Result<void> {
        const DayState before = day.state;
        if (before == DayState::converted) {
          return fail(ErrorKind::invalid_argument, what + " is already converted");
        }
        // `converting` while it is encoded, as the scheduler does: the index page shows it,
        // and the daemon's indexer and scheduler leave the day alone meanwhile. A day that
        // is `converting` already (the daemon's conversion, or a crash's leftover) is
        // converted all the same.
        CCTV_TRY(catalog.set_day_state(cam.id, day.date, DayState::converting));
        log::info(what + " converting");
        auto done = convert_day(catalog, cam.id, cam.day_path(day.date), day.date, options);
        if (done) return {};
        // The day gets its state back unless someone else (the daemon) finished it
        // meanwhile. A failure is counted, as the scheduler counts it (the index page shows
        // it), unless the conversion was stopped or the day was the daemon's already.
        auto after = catalog.find_day(cam.id, day.date);
        if (after && *after && (*after)->state == DayState::converting) {
          (void)catalog.set_day_state(cam.id, day.date, before);
          if (!g_cli_job_stop.load() && before != DayState::converting) {
            (void)catalog.put_conversion_failure(cam.id, day.date, done.error().message);
          }
        }
        if (g_cli_job_stop.load()) {
          return fail(ErrorKind::unavailable, what + " conversion abandoned: stopped");
        }
        return std::unexpected(done.error().context(what + " conversion"));
      });
}

int run_timelapse_now(const Config& config, std::string_view date_text, std::string_view camera) {
  TimelapseOptions options = timelapse_options(config);
  options.stop = &g_cli_job_stop;
  return run_day_job(config, date_text, camera,
                     [&](Catalog& catalog, const Camera& cam, const DayRow& day,
                         const std::string& what) -> Result<void> {
                       // Whatever the day's state (today's too: the daemon makes it again once the
                       // day is closed and has newer segments).
                       auto done = make_day_timelapse(catalog, cam, day, options);
                       if (done) return {};
                       if (!g_cli_job_stop.load()) return std::unexpected(done.error());
                       return fail(ErrorKind::unavailable, what + " timelapse abandoned: stopped");
                     });
}

int run_reindex(const Config& config) {
  auto catalog = Catalog::open_writable(config.catalog_path);
  if (!catalog) return fail_with(catalog.error());
  Indexer indexer(config, *catalog);
  auto stats = indexer.reindex(true);
  if (!stats) return fail_with(stats.error().context("reindex"));
  return k_exit_ok;
}

int run_daemon(const Config& config) {
  Notifier notifier;
  auto daemon = Daemon::create(notifier);  // before any thread: signals are blocked
  if (!daemon) return fail_with(daemon.error());
  (void)std::signal(SIGPIPE, SIG_IGN);  // a camera that hangs up is an error, not a kill
  auto catalog = Catalog::open_writable(config.catalog_path);
  if (!catalog) return fail_with(catalog.error());
  Indexer indexer(config, *catalog);
  auto watcher = Watcher::create(indexer);
  if (!watcher) return fail_with(watcher.error());
  // The recorders start before the first reindex, which can take long: recording
  // never waits for it. They need the cameras' ids, hence load_cameras() first.
  if (auto loaded = indexer.load_cameras(); !loaded) return fail_with(loaded.error());
  auto recorder = RecorderModule::create(config, indexer.cameras(), *catalog);
  if (!recorder) return fail_with(recorder.error());
  (*recorder)->start();
  indexer.set_progress([&notifier, &daemon] {
    notifier.keepalive();
    return !daemon->stop_requested();
  });
  if (auto started = (*watcher)->start(); !started) {
    if (!daemon->stop_requested()) return fail_with(started.error());
    notifier.stopping();
    (*recorder)->stop();
    log::notice("cctv-worker stopped during the first reindex");
    return k_exit_ok;
  }
  daemon->add(**recorder);
  daemon->add(**watcher);
  std::unique_ptr<ConverterModule> converter;
  if (config.convert_enabled) {
    auto created = ConverterModule::create(config, indexer.cameras());
    if (!created) return fail_with(created.error());
    converter = std::move(*created);
    daemon->add(*converter);
  }
  // Thumbnails for the player's timeline, at low priority.
  auto thumbnailer = ThumbnailModule::create(config, indexer.cameras());
  if (!thumbnailer) return fail_with(thumbnailer.error());
  daemon->add(**thumbnailer);
  // A timelapse.mp4 of every closed day, at low priority.
  std::unique_ptr<TimelapseModule> timelapse;
  if (config.timelapse_enabled) {
    auto created = TimelapseModule::create(config, indexer.cameras());
    if (!created) return fail_with(created.error());
    timelapse = std::move(*created);
    daemon->add(*timelapse);
  }
  // Retention runs in every daemon: without limits it only finishes interrupted deletes.
  auto retention = RetentionModule::create(config, indexer.cameras(),
                                           RetentionSeams{stored_elsewhere_hook(config)});
  if (!retention) return fail_with(retention.error());
  daemon->add(**retention);
  // The S3 sync (issue 5), when a bucket is configured.
  std::unique_ptr<SyncModule> sync;
  if (config.s3.enabled()) {
    auto created = SyncModule::create(config, indexer.cameras());
    if (!created) return fail_with(created.error());
    sync = std::move(*created);
    daemon->add(*sync);
  }
  notifier.ready(daemon->status());
  log::notice("cctv-worker ready: " + daemon->status());
  if (auto ran = daemon->run(); !ran) return fail_with(ran.error());
  log::notice("cctv-worker stopped");
  return k_exit_ok;
}

}  // namespace cctv::worker
