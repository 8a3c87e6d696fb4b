#include "worker/watcher.hpp"

#include "core/layout.hpp"
#include "core/log.hpp"
#include "worker/segment_file.hpp"

#include <vector>

namespace cctv::worker {
namespace {

constexpr std::string_view k_sidecar_suffix = ".duration";

// "video_101500.ts.duration" -> "video_101500.ts"
std::optional<std::string> segment_of_sidecar(std::string_view name) {
  if (!name.ends_with(k_sidecar_suffix)) return std::nullopt;
  name.remove_suffix(k_sidecar_suffix.size());
  if (!parse_segment_name(name)) return std::nullopt;
  return std::string(name);
}

// The error of a result whose value is not needed here.
template <typename T>
Result<void> drop_value(const Result<T>& result) {
  if (!result) return std::unexpected(result.error());
  return {};
}

}  // namespace

Result<std::unique_ptr<Watcher>> Watcher::create(Indexer& indexer, Clock clock) {
  auto inotify = Inotify::create();
  if (!inotify) return std::unexpected(inotify.error());
  std::unique_ptr<Watcher> watcher(new Watcher(indexer, std::move(*inotify), std::move(clock)));
  Watcher* self = watcher.get();
  indexer.set_dir_hook([self](const std::filesystem::path& dir) { self->watch(dir); });
  return watcher;
}

Result<IndexStats> Watcher::start() {
  auto root = m_inotify.watch(m_indexer.root());
  if (!root) return std::unexpected(root.error().context("archive root"));
  m_targets[root->wd()] = Target{Kind::root, 0, {}, m_indexer.root()};
  m_watches.insert_or_assign(m_indexer.root(), std::move(*root));
  return reindex_all();
}

Result<IndexStats> Watcher::reindex_all() {
  m_watch_error_logged = false;
  auto stats = m_indexer.reindex(false);
  if (!stats) return stats;
  log::info("watching " + m_indexer.root().string() + ": " +
            std::to_string(m_indexer.cameras().size()) + " cameras, " +
            std::to_string(m_watches.size()) + " directories");
  CCTV_TRY(update_status());
  m_next_settle = m_clock() + k_settle_check_us;
  return stats;
}

Result<void> Watcher::resync() {
  for (auto it = m_watches.begin(); it != m_watches.end();) {
    if (it->first == m_indexer.root()) {
      ++it;
      continue;
    }
    m_targets.erase(it->second.wd());
    it = m_watches.erase(it);
  }
  CCTV_TRY(reindex_all());
  return {};
}

Result<void> Watcher::update_status() {
  auto count = m_indexer.segment_count();
  if (!count) return std::unexpected(count.error());
  m_status = "watching " + std::to_string(m_indexer.cameras().size()) + " cameras, " +
             std::to_string(*count) + " segments";
  return {};
}

Result<void> Watcher::tick(UtcMicros now) {
  if (now < m_next_settle && m_next_settle - now <= k_settle_check_us) return {};
  m_next_settle = now + k_settle_check_us;
  CCTV_TRY(m_indexer.settle_days());
  return update_status();
}

std::optional<Watcher::Target> Watcher::classify(const std::filesystem::path& dir) const {
  if (dir == m_indexer.root()) return Target{Kind::root, 0, {}, dir};
  const auto& cameras = m_indexer.cameras();
  for (std::size_t i = 0; i < cameras.size(); ++i) {
    if (!cameras[i].directory.empty() && dir == cameras[i].path) {
      return Target{Kind::camera, i, {}, dir};
    }
    if (dir.parent_path() == cameras[i].path) {
      if (auto date = parse_date(dir.filename().string())) {
        return Target{Kind::day, i, *date, dir};
      }
    }
  }
  return std::nullopt;
}

void Watcher::watch(const std::filesystem::path& dir) {
  if (m_watches.contains(dir)) return;
  auto target = classify(dir);
  if (!target) return;
  auto watch = m_inotify.watch(dir);
  if (!watch) {  // gone already (its removal is an event), or out of watches (loud)
    if (watch.error().kind == ErrorKind::not_found) {
      log::debug(watch.error().message);
    } else if (!m_watch_error_logged) {
      m_watch_error_logged = true;
      log::error(watch.error().message + "; new files there are indexed only at the next reindex");
    }
    return;
  }
  m_targets[watch->wd()] = std::move(*target);
  m_watches.insert_or_assign(dir, std::move(*watch));
}

void Watcher::unwatch(const std::filesystem::path& dir) {
  auto it = m_watches.find(dir);
  if (it == m_watches.end()) return;
  m_targets.erase(it->second.wd());
  m_watches.erase(it);  // inotify_rm_watch
}

Result<void> Watcher::on_readable() {
  auto events = m_inotify.read_events();
  if (!events) return std::unexpected(events.error());
  bool overflow = false;
  for (const InotifyEvent& event : *events) {
    if ((event.mask & IN_Q_OVERFLOW) != 0) {
      overflow = true;
    } else if (!overflow) {
      // One failed event (a busy catalog) must not lose the rest of the burst.
      if (auto r = handle(event); !r) {
        if (!is_transient(r.error())) return r;
        log::error("watcher: " + event.name + ": " + r.error().message);
      }
    }
  }
  if (overflow) {
    log::warning("inotify queue overflow: reindexing");
    return resync();
  }
  return {};
}

Result<void> Watcher::handle(const InotifyEvent& event) {
  const auto found = m_targets.find(event.wd);
  if (found == m_targets.end()) return {};  // a watch already dropped
  const Target target = found->second;
  if ((event.mask & IN_IGNORED) != 0) {  // the kernel dropped it: the directory is gone
    m_targets.erase(found);
    if (auto it = m_watches.find(target.path); it != m_watches.end()) {
      it->second.release();
      m_watches.erase(it);
    }
    if (target.kind == Kind::root) log::error("archive root " + target.path.string() + " is gone");
    return {};
  }
  if (event.name.empty()) return {};  // events on the directory itself
  if ((event.mask & IN_ISDIR) != 0) {
    if ((event.mask & (IN_CREATE | IN_MOVED_TO)) != 0) return directory_added(target, event.name);
    if ((event.mask & (IN_DELETE | IN_MOVED_FROM)) != 0) {
      return directory_removed(target, event.name);
    }
    return {};
  }
  if (target.kind == Kind::day) return file_changed(target, event);
  return {};
}

Result<void> Watcher::directory_added(const Target& parent, const std::string& name) {
  const auto date = parse_date(name);
  if (parent.kind == Kind::camera && date) {
    return drop_value(m_indexer.reindex_day(parent.camera, *date, false));
  }
  if (parent.kind != Kind::root) return {};
  if (auto legacy = m_indexer.camera_at(""); legacy && date) {
    return drop_value(m_indexer.reindex_day(*legacy, *date, false));
  }
  if (auto known = m_indexer.camera_at(name)) {
    return drop_value(m_indexer.reindex_camera(*known, false));
  }
  if (!m_indexer.discovering()) return {};
  auto added = m_indexer.load_cameras();
  if (!added) return std::unexpected(added.error());
  for (std::size_t camera : *added) CCTV_TRY(m_indexer.reindex_camera(camera, false));
  if (!added->empty()) CCTV_TRY(update_status());
  return {};
}

Result<void> Watcher::directory_removed(const Target& parent, const std::string& name) {
  unwatch(parent.path / name);
  const auto date = parse_date(name);
  if (parent.kind == Kind::camera && date) return m_indexer.forget_day(parent.camera, *date);
  if (parent.kind != Kind::root) return {};
  if (auto legacy = m_indexer.camera_at(""); legacy && date) {
    return m_indexer.forget_day(*legacy, *date);
  }
  if (auto known = m_indexer.camera_at(name)) {
    std::vector<std::filesystem::path> days;
    for (const auto& [wd, target] : m_targets) {
      if (target.kind == Kind::day && target.camera == *known) days.push_back(target.path);
    }
    for (const auto& day : days) unwatch(day);
    // The directory is gone: reindexing it forgets every day it had.
    return drop_value(m_indexer.reindex_camera(*known, false));
  }
  return {};
}

Result<void> Watcher::file_changed(const Target& day, const InotifyEvent& event) {
  if (is_partial_name(event.name)) return {};
  const bool gone = (event.mask & (IN_DELETE | IN_MOVED_FROM)) != 0;
  const bool arrived = (event.mask & (IN_CLOSE_WRITE | IN_MOVED_TO)) != 0;
  if (parse_segment_name(event.name)) {
    if (gone) return m_indexer.forget_file(day.camera, day.date, event.name);
    if (arrived) return drop_value(m_indexer.index_file(day.camera, day.date, event.name, false));
    return {};
  }
  if (auto segment = segment_of_sidecar(event.name); segment && (gone || arrived)) {
    if (!stamp_of(day.path / *segment)) return {};  // its segment is not there (yet)
    return drop_value(m_indexer.index_file(day.camera, day.date, *segment, true));
  }
  return {};
}

}  // namespace cctv::worker
