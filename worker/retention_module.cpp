#include "worker/retention_module.hpp"

#include "core/log.hpp"

#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <utility>

namespace cctv::worker {
namespace fs = std::filesystem;

namespace {

constexpr auto k_pass_every = std::chrono::minutes(1);
constexpr auto k_check_every = std::chrono::seconds(5);

// What a deletion removed from the disk.
struct Removed {
  std::size_t files = 0;
  std::int64_t bytes = 0;
  std::vector<std::string> names;  // of the files in the day directory itself, sorted
  std::string error;               // the first failure; "" = none
};

std::string gb_text(std::int64_t bytes) {
  std::array<char, 32> buf{};
  (void)std::snprintf(buf.data(), buf.size(), "%.2f GB",
                      static_cast<double>(bytes) / static_cast<double>(k_bytes_per_gb));
  return buf.data();
}

std::string names_text(const std::vector<std::string>& names) {
  if (names.empty()) return "";
  if (names.size() == 1) return " (" + names.front() + ")";
  return " (" + names.front() + " .. " + names.back() + ")";
}

void fsync_dir(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  (void)::fsync(fd);
  (void)::close(fd);
}

void remove_one(const fs::path& path, std::int64_t size, Removed& removed) {
  std::error_code ec;
  if (fs::remove(path, ec)) {
    ++removed.files;
    removed.bytes += size;
  } else if (ec && removed.error.empty()) {
    removed.error = "remove " + path.string() + ": " + ec.message();
  }
}

// Deletes everything in a day directory (segments, sidecars, video.mp4 and its checksum,
// thumbnails, leftovers), then the directory; the camera directory is synced after.
Removed remove_day_directory(const fs::path& dir) {
  Removed removed;
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(dir, ec))) return removed;
  std::vector<fs::path> subdirs;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    const fs::directory_entry& entry = *it;
    std::error_code type_ec;
    if (entry.is_directory(type_ec) && !entry.is_symlink(type_ec)) {
      subdirs.push_back(entry.path());
      continue;
    }
    std::error_code size_ec;
    const auto size = entry.is_regular_file(size_ec) ? entry.file_size(size_ec) : 0;
    if (entry.path().parent_path() == dir) removed.names.push_back(entry.path().filename());
    remove_one(entry.path(), size_ec ? 0 : static_cast<std::int64_t>(size), removed);
  }
  if (ec && removed.error.empty()) removed.error = "list " + dir.string() + ": " + ec.message();
  std::sort(subdirs.begin(), subdirs.end(), std::greater<>());  // the deepest first
  for (const fs::path& sub : subdirs) {
    if (!fs::remove(sub, ec) && removed.error.empty()) {
      removed.error = "remove " + sub.string() + ": " + ec.message();
    }
  }
  if (!fs::remove(dir, ec) && removed.error.empty()) {
    removed.error = "remove " + dir.string() + ": " + ec.message();
  }
  std::sort(removed.names.begin(), removed.names.end());
  fsync_dir(dir.parent_path());
  return removed;
}

// Logs one deleted day, or today's deleted files.
void log_deleted(const std::string& camera, const Date& date, bool whole_day,
                 RetentionReason reason, bool lost, const Removed& removed,
                 const std::string& limit) {
  const std::string what =
      whole_day ? format_date(date) : "the oldest files of today " + format_date(date);
  const std::string sizes = std::to_string(removed.files) + " files" +
                            (lost ? names_text(removed.names) : std::string()) + ", " +
                            std::to_string(removed.bytes) + " bytes (" + gb_text(removed.bytes) +
                            ")";
  if (lost) {
    log::error("cam=" + camera + " LOST " + what + ", not yet stored in S3: " + sizes +
               " deleted because of free space (" + limit + ")");
  } else if (whole_day) {
    log::info("cam=" + camera + " deleted " + what + ": " + sizes + ", reason " +
              std::string(to_string(reason)) + " (" + limit + ")");
  } else {
    log::warning("cam=" + camera + " deleted " + what + ": " + sizes + ", reason " +
                 std::string(to_string(reason)) + " (" + limit + ")");
  }
}

}  // namespace

SafeElsewhere default_safe_elsewhere(const Config& config) {
  const bool s3 = config.s3.enabled();
  return
      [s3](Catalog& /*catalog*/, std::int64_t /*camera_id*/, const Date& /*date*/) { return !s3; };
}

Result<std::int64_t> statvfs_free_bytes(const fs::path& path) {
  struct statvfs st {};
  if (::statvfs(path.c_str(), &st) != 0) {
    return fail(ErrorKind::unavailable, "statvfs " + path.string() + ": " + std::strerror(errno));
  }
  return static_cast<std::int64_t>(st.f_bavail) * static_cast<std::int64_t>(st.f_frsize);
}

Retention::Retention(Config config, std::vector<Camera> cameras, RetentionSeams seams)
    : m_config(std::move(config)),
      m_cameras(std::move(cameras)),
      m_seams(std::move(seams)),
      m_limits(retention_limits(m_config)) {
  if (!m_seams.safe) m_seams.safe = default_safe_elsewhere(m_config);
  if (!m_seams.free_space) m_seams.free_space = statvfs_free_bytes;
  if (!m_seams.clock) m_seams.clock = system_now;
}

fs::path Retention::camera_path(const std::string& directory) const {
  return directory.empty() ? m_config.save_path : m_config.save_path / directory;
}

bool Retention::below_floor() const {
  if (m_limits.min_free_bytes <= 0) return false;
  auto free = m_seams.free_space(m_config.save_path);
  return free && *free < m_limits.min_free_bytes;
}

Result<std::size_t> Retention::finish_marked(Catalog& catalog) {
  auto marked = catalog.marked_days();
  if (!marked) return std::unexpected(marked.error());
  std::size_t finished = 0;
  for (const MarkedDay& day : *marked) {
    const Removed removed =
        remove_day_directory(camera_path(day.directory) / format_date(day.date));
    if (!removed.error.empty()) {
      log::error("cam=" + day.camera + " cannot finish deleting " + format_date(day.date) + ": " +
                 removed.error + "; tried again in a minute");
      continue;
    }
    CCTV_TRY(catalog.forget_marked_day(day.camera_id, day.date));
    log::notice("cam=" + day.camera + " finished deleting " + format_date(day.date) + " (reason " +
                day.reason + ", interrupted before): " + std::to_string(removed.files) +
                " files, " + std::to_string(removed.bytes) + " bytes");
    ++finished;
  }
  return finished;
}

Result<RetentionState> Retention::gather(Catalog& catalog,
                                         std::vector<const Camera*>& owners) const {
  RetentionState state;
  const UtcMicros now = m_seams.clock();
  for (const Camera& cam : m_cameras) {
    auto days = catalog.days(cam.id);
    if (!days) return std::unexpected(days.error());
    const std::int64_t today = days_from_civil(cam.zone.date_of(now));
    const int keep = days_to_keep(m_config, cam.name);
    for (const DayRow& row : *days) {
      RetentionDay day;
      day.camera_id = cam.id;
      day.camera = cam.name;
      day.date = row.date;
      day.state = row.state;
      day.size_bytes = row.size_bytes;
      day.age_days = today - days_from_civil(row.date);
      day.keep_days = keep;
      day.safe = m_seams.safe(catalog, cam.id, row.date);
      if (row.state != DayState::archived) state.archive_bytes += row.size_bytes;
      state.days.push_back(std::move(day));
      owners.push_back(&cam);
    }
  }
  if (m_limits.min_free_bytes > 0) {
    auto free = m_seams.free_space(m_config.save_path);
    if (free) {
      state.free_bytes = *free;
    } else {
      log::warning("retention: " + free.error().message + "; the free-space floor is not checked");
    }
  }
  return state;
}

Result<RetentionReport> Retention::run_pass(Catalog& catalog) {
  RetentionReport report;
  CCTV_TRY(finish_marked(catalog));
  const bool any_days = m_config.days_to_keep > 0 ||
                        std::any_of(m_config.cameras.begin(), m_config.cameras.end(),
                                    [](const CameraConfig& c) { return c.days_to_keep > 0; });
  if (!any_days && m_limits.max_archive_bytes <= 0 && m_limits.min_free_bytes <= 0) {
    return report;  // every rule is off
  }
  std::vector<const Camera*> owners;
  auto state = gather(catalog, owners);
  if (!state) return std::unexpected(state.error());
  const RetentionPlan plan = plan_retention(*state, m_limits);
  report.held_back = plan.held_back.size();
  for (const RetentionAction& action : plan.actions) {
    if (m_stop != nullptr && m_stop->load()) break;
    const RetentionDay& day = state->days[action.day];
    const Camera& cam = *owners[action.day];
    std::string limit;
    switch (action.reason) {
      case RetentionReason::days:
        limit = "daysToKeep " + std::to_string(day.keep_days);
        break;
      case RetentionReason::size:
        limit = "archive " + gb_text(state->archive_bytes) + " over clearWhenFilePathReachGB " +
                gb_text(m_limits.max_archive_bytes);
        break;
      case RetentionReason::free_space:
        limit = gb_text(std::max<std::int64_t>(state->free_bytes, 0)) + " free, below minFreeGB " +
                gb_text(m_limits.min_free_bytes);
        break;
    }
    Removed removed;
    if (action.whole_day) {
      // Phase 1: marked (not if it started converting meanwhile, or is gone).
      auto marked = catalog.mark_day_deleting(cam.id, day.date, to_string(action.reason));
      if (!marked) return std::unexpected(marked.error());
      if (!*marked) continue;
      // Phase 2: the files. Phase 3: the rows, only once every file is gone.
      removed = remove_day_directory(cam.day_path(day.date));
      if (!removed.error.empty()) {
        ++report.failed;
        log::error("cam=" + cam.name + " cannot delete " + format_date(day.date) + ": " +
                   removed.error + "; tried again in a minute");
        continue;
      }
      CCTV_TRY(catalog.forget_marked_day(cam.id, day.date));
      ++report.days;
    } else {
      // Today's oldest files: each row goes first, then its file (and sidecar).
      auto segments = catalog.segments(cam.id, day.date);
      if (!segments) return std::unexpected(segments.error());
      const fs::path dir = cam.day_path(day.date);
      for (const Segment& seg : *segments) {
        if (removed.bytes >= action.bytes) break;
        {
          auto tx = catalog.transaction();
          if (!tx) return std::unexpected(tx.error());
          CCTV_TRY(catalog.remove_segment(cam.id, day.date, seg.name));
          CCTV_TRY(tx->commit());
        }
        removed.names.push_back(seg.name);
        remove_one(dir / seg.name, seg.size_bytes, removed);
        std::error_code ec;
        fs::remove(dir / (seg.name + ".duration"), ec);
      }
      if (!removed.error.empty()) {
        ++report.failed;
        log::error("cam=" + cam.name + " " + removed.error);
      }
    }
    if (action.loses_data) ++report.lost_days;
    report.files += removed.files;
    report.bytes += removed.bytes;
    log_deleted(cam.name, day.date, action.whole_day, action.reason, action.loses_data, removed,
                limit);
  }
  report.size_ok = plan.size_ok;
  report.free_ok = plan.free_ok;
  if (m_limits.min_free_bytes > 0 && !plan.actions.empty()) {
    // What the file system says now, rather than the plan's estimate.
    if (auto free = m_seams.free_space(m_config.save_path)) {
      report.free_ok = *free >= m_limits.min_free_bytes;
    }
  }
  return report;
}

// ---------------------------------------------------------------- the module

Result<std::unique_ptr<RetentionModule>> RetentionModule::create(const Config& config,
                                                                 std::vector<Camera> cameras,
                                                                 RetentionSeams seams) {
  std::unique_ptr<RetentionModule> module(
      new RetentionModule(config, std::move(cameras), std::move(seams)));
  module->m_thread.start([m = module.get()] { m->run(); });
  return module;
}

RetentionModule::~RetentionModule() { stop(); }

void RetentionModule::stop() { m_thread.stop(); }

std::string RetentionModule::status() const {
  return "retention deleted " + std::to_string(m_deleted_days.load()) + " days (" +
         gb_text(m_deleted_bytes.load()) + ")";
}

void RetentionModule::run() {
  auto catalog = Catalog::open_writable(m_catalog_path);
  if (!catalog) {
    log::error("retention: " + catalog.error().message + "; nothing is deleted");
    return;
  }
  using Steady = std::chrono::steady_clock;
  Steady::time_point last_pass{};
  bool first = true;
  bool freed_last = false;
  bool warned_floor = false;
  std::size_t warned_held = 0;
  while (!m_thread.stopping()) {
    const auto now = Steady::now();
    // Every minute, and at once when the disk is nearly full (unless the last pass
    // found nothing to delete: then at the next minute).
    if (first || now - last_pass >= k_pass_every || (freed_last && m_retention.below_floor())) {
      first = false;
      last_pass = now;
      auto report = m_retention.run_pass(*catalog);
      if (!report) {
        log::warning("retention: " + report.error().message);
        freed_last = false;
      } else {
        freed_last = report->files > 0;
        m_deleted_days += static_cast<std::int64_t>(report->days);
        m_deleted_bytes += report->bytes;
        if (!report->free_ok && !warned_floor) {
          log::warning(
              "retention: free space is still below storageConfig.minFreeGB and "
              "nothing more may be deleted");
        }
        warned_floor = !report->free_ok;
        if (report->held_back != warned_held && report->held_back > 0) {
          log::notice("retention: " + std::to_string(report->held_back) +
                      " days due for deletion are kept: not yet stored in S3");
        }
        warned_held = report->held_back;
      }
    }
    m_thread.pause(k_check_every);
  }
}

}  // namespace cctv::worker
