// Keeps the catalog in line with the segment files on disk:
//   <root>/<camera dir>/<YYYY-MM-DD>/video_HHMMSS.ts [+ .duration sidecar]
// A segment's start is its local date and HHMMSS in the camera's time zone, in UTC;
// its duration comes from the sidecar when present and valid, else from probing.
// Files whose size and mtime match the catalog are not probed again (unless a full
// reindex is asked for); files that fail to probe are logged once and skipped.
#pragma once

#include "core/catalog.hpp"
#include "core/civil_time.hpp"
#include "core/config.hpp"
#include "core/error.hpp"
#include "worker/clock.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace cctv::worker {

struct Camera {
  std::int64_t id = 0;
  std::string name;
  std::string directory;  // relative to the root; "" = the root itself (legacy)
  TimeZone zone;
  std::filesystem::path path;  // the camera directory
  // The zone changed since the catalog was made: every start time is computed
  // again by the next reindex of this camera, which then records the new zone.
  bool reread = false;

  [[nodiscard]] std::filesystem::path day_path(const Date& date) const {
    return path / format_date(date);
  }
};

struct IndexStats {
  std::size_t cameras = 0;
  std::size_t days = 0;
  std::size_t segments = 0;  // segment files on disk that are in the catalog
  std::size_t probed = 0;    // of those, (re)probed or read from a sidecar
  std::size_t removed = 0;   // catalog rows whose file has gone
  std::size_t failed = 0;    // files that could not be probed

  IndexStats& operator+=(const IndexStats& other);
};

enum class IndexOutcome { indexed, unchanged, removed, ignored, failed };

class Indexer {
 public:
  // Called with a directory just before it is listed (the watcher adds its watch
  // there, so that no file can land unseen between listing and watching).
  using DirHook = std::function<void(const std::filesystem::path& dir)>;
  // Called after each file probed and each day of a reindex (the daemon pets the
  // systemd watchdog there); returning false interrupts the reindex, which then
  // fails with ErrorKind::unavailable. Days already done stay committed.
  using ProgressHook = std::function<bool()>;

  Indexer(Config config, Catalog& catalog, Clock clock = system_now);

  void set_dir_hook(DirHook before_list) { m_before_list = std::move(before_list); }
  void set_progress(ProgressHook progress) { m_progress = std::move(progress); }
  // True unless the progress hook asks to stop.
  [[nodiscard]] bool keep_going() const { return !m_progress || m_progress(); }
  [[nodiscard]] const Config& config() const { return m_config; }
  [[nodiscard]] const std::filesystem::path& root() const { return m_config.save_path; }
  [[nodiscard]] const std::vector<Camera>& cameras() const { return m_cameras; }
  // The camera whose directory (relative to the root) is `directory`.
  [[nodiscard]] std::optional<std::size_t> camera_at(std::string_view directory) const;
  // True when the cameras come from the archive root rather than the config.
  [[nodiscard]] bool discovering() const { return m_config.cameras.empty(); }

  // Configured cameras, else those found in the root; known ones are kept. Ensures
  // each in the catalog and returns the indices of the cameras that are new.
  Result<std::vector<std::size_t>> load_cameras();

  // Brings the catalog in line with the disk: every camera (re-discovered), every
  // day; rows of vanished files and days are removed. `full` re-probes every file.
  Result<IndexStats> reindex(bool full);
  Result<IndexStats> reindex_camera(std::size_t camera, bool full);
  Result<IndexStats> reindex_day(std::size_t camera, const Date& date, bool full);

  // One file that was closed or moved in: indexed unless its stamp is unchanged
  // (`force` re-reads it, e.g. when its sidecar changed). A file that is gone is
  // forgotten.
  Result<IndexOutcome> index_file(std::size_t camera, const Date& date, const std::string& name,
                                  bool force);
  Result<void> forget_file(std::size_t camera, const Date& date, const std::string& name);
  // A day directory that is gone (only recording/settled days are removed).
  Result<void> forget_day(std::size_t camera, const Date& date);

  // Applies the settle rule (worker/day_state.hpp) to every recording day.
  Result<std::size_t> settle_days();
  // Total number of segments in the catalog, for status lines.
  Result<std::int64_t> segment_count();

 private:
  using DayKey = std::pair<std::int64_t, std::int64_t>;  // camera id, days since epoch

  // Re-reads a file's segment; logs and remembers a failure so it is logged once.
  std::optional<Segment> try_read_segment(const Camera& camera, const Date& date,
                                          const std::string& name, const FileStamp& stamp);
  // Sets a recording/settled day to what the settle rule says; true if it changed.
  Result<bool> update_state(const Camera& camera, const Date& date);
  Result<void> forget_vanished_days(std::size_t camera, const std::vector<Date>& on_disk);
  Result<void> forget_unlisted_cameras();

  Config m_config;
  Catalog& m_catalog;
  Clock m_clock;
  DirHook m_before_list;
  ProgressHook m_progress;
  std::vector<Camera> m_cameras;
  std::map<std::filesystem::path, FileStamp> m_failed;  // logged once per stamp
  std::map<DayKey, UtcMicros> m_arrivals;               // last time a day got a segment
};

}  // namespace cctv::worker
