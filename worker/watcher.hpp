// The uploaded-segment watcher: inotify on the archive root, every camera
// directory and every day directory, so that a segment that is closed or renamed
// into place is in the catalog within a second, and a deleted one leaves it.
//
//   IN_CLOSE_WRITE / IN_MOVED_TO of video_HHMMSS.ts    -> index (probe)
//   ... of its .duration sidecar, or the sidecar gone  -> index again
//   IN_DELETE / IN_MOVED_FROM of a segment             -> forget it
//   new day (or camera) directory                      -> watch, then scan it
//   day (or camera) directory gone                     -> forget its days
//   new directory in a discovered root                 -> discover cameras again
//   IN_Q_OVERFLOW, SIGHUP                              -> drop all watches, reindex
// `*.part` and dot-files are ignored until renamed into place. Every watch is added
// before its directory is listed, so nothing lands unseen in between.
#pragma once

#include "core/civil_time.hpp"
#include "core/error.hpp"
#include "worker/clock.hpp"
#include "worker/indexer.hpp"
#include "worker/inotify.hpp"
#include "worker/module.hpp"

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace cctv::worker {

class Watcher final : public Module {
 public:
  // How often recording days are checked against the settle rule.
  static constexpr std::int64_t k_settle_check_us = 30 * k_micros_per_second;

  // Installs the indexer's directory hook; the indexer must outlive the watcher.
  static Result<std::unique_ptr<Watcher>> create(Indexer& indexer, Clock clock = system_now);
  Watcher(const Watcher&) = delete;
  Watcher& operator=(const Watcher&) = delete;
  ~Watcher() override { m_indexer.set_dir_hook(nullptr); }

  // Watches the root, then reindexes incrementally (watching every directory).
  Result<IndexStats> start();

  [[nodiscard]] std::string_view name() const override { return "watcher"; }
  [[nodiscard]] int fd() const override { return m_inotify.fd(); }
  Result<void> on_readable() override;
  Result<void> tick(UtcMicros now) override;
  Result<void> resync() override;
  [[nodiscard]] std::string status() const override { return m_status; }

  [[nodiscard]] std::size_t watch_count() const { return m_watches.size(); }

 private:
  enum class Kind { root, camera, day };
  struct Target {
    Kind kind = Kind::root;
    std::size_t camera = 0;
    Date date;
    std::filesystem::path path;
  };

  Watcher(Indexer& indexer, Inotify inotify, Clock clock)
      : m_indexer(indexer), m_inotify(std::move(inotify)), m_clock(std::move(clock)) {}

  [[nodiscard]] std::optional<Target> classify(const std::filesystem::path& dir) const;
  void watch(const std::filesystem::path& dir);
  void unwatch(const std::filesystem::path& dir);
  Result<void> handle(const InotifyEvent& event);
  Result<void> directory_added(const Target& parent, const std::string& name);
  Result<void> directory_removed(const Target& parent, const std::string& name);
  Result<void> file_changed(const Target& day, const InotifyEvent& event);
  Result<IndexStats> reindex_all();
  Result<void> update_status();

  Indexer& m_indexer;
  Inotify m_inotify;  // declared before the watches: they must go first
  Clock m_clock;
  std::map<std::filesystem::path, Watch> m_watches;
  std::map<int, Target> m_targets;  // by watch descriptor
  UtcMicros m_next_settle = 0;
  bool m_watch_error_logged = false;  // one line per reindex when out of watches
  std::string m_status = "starting";
};

}  // namespace cctv::worker
