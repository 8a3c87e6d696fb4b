#include "worker/indexer.hpp"

#include "core/layout.hpp"
#include "core/log.hpp"
#include "worker/day_state.hpp"
#include "worker/segment_file.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <set>

namespace cctv::worker {
namespace {

bool same(const FileStamp& a, const FileStamp& b) {
  return a.size_bytes == b.size_bytes && a.mtime_ns == b.mtime_ns;
}

std::string seconds_text(double seconds) {
  std::array<char, 32> buf{};
  (void)std::snprintf(buf.data(), buf.size(), "%.3fs", seconds);
  return buf.data();
}

std::string file_text(const Date& date, const std::string& name) {
  return format_date(date) + "/" + name;
}

// Retention is deleting the day (marked in the catalog): the indexer leaves it alone,
// and retention removes its rows once its files are gone.
Result<bool> being_deleted(Catalog& catalog, std::int64_t camera_id, const Date& date) {
  auto mark = catalog.delete_mark(camera_id, date);
  if (!mark) return std::unexpected(mark.error());
  return mark->has_value();
}

}  // namespace

IndexStats& IndexStats::operator+=(const IndexStats& other) {
  cameras += other.cameras;
  days += other.days;
  segments += other.segments;
  probed += other.probed;
  removed += other.removed;
  failed += other.failed;
  return *this;
}

Indexer::Indexer(Config config, Catalog& catalog, Clock clock)
    : m_config(std::move(config)), m_catalog(catalog), m_clock(std::move(clock)) {
  // One spelling of the root, so that directory paths compare equal ("/srv/cctv/").
  m_config.save_path = m_config.save_path.lexically_normal();
  if (!m_config.save_path.has_filename() && m_config.save_path.has_relative_path()) {
    m_config.save_path = m_config.save_path.parent_path();
  }
}

std::optional<std::size_t> Indexer::camera_at(std::string_view directory) const {
  for (std::size_t i = 0; i < m_cameras.size(); ++i) {
    if (m_cameras[i].directory == directory) return i;
  }
  return std::nullopt;
}

Result<std::vector<std::size_t>> Indexer::load_cameras() {
  std::vector<std::pair<CameraDir, std::string>> wanted;  // camera, its own time zone
  if (discovering()) {
    for (auto& dir : discover_cameras(root())) wanted.emplace_back(std::move(dir), "");
  } else {
    for (const auto& cam : m_config.cameras) {
      wanted.emplace_back(CameraDir{cam.name, cam.directory}, cam.time_zone);
    }
  }
  std::vector<std::size_t> added;
  for (const auto& [dir, own_zone] : wanted) {
    if (std::any_of(m_cameras.begin(), m_cameras.end(),
                    [&](const Camera& c) { return c.name == dir.name; })) {
      continue;
    }
    const std::string zone_name = own_zone.empty() ? m_config.time_zone : own_zone;
    auto zone = TimeZone::load(zone_name);
    if (!zone) return std::unexpected(zone.error().context("camera " + dir.name));
    auto known = m_catalog.find_camera(dir.name);
    if (!known) return std::unexpected(known.error().context("camera " + dir.name));
    const bool reread = *known && (*known)->time_zone != zone_name;
    if (reread) {
      log::notice("cam=" + dir.name + " time zone changed from \"" + (*known)->time_zone +
                  "\" to \"" + zone_name + "\": every segment is read again");
    }
    // A changed zone is recorded only once the camera has been reindexed with it.
    auto id =
        m_catalog.ensure_camera(dir.name, dir.directory, reread ? (*known)->time_zone : zone_name);
    if (!id) return std::unexpected(id.error().context("camera " + dir.name));
    const auto path = dir.directory.empty() ? root() : root() / dir.directory;
    m_cameras.push_back(Camera{*id, dir.name, dir.directory, *zone, path, reread});
    added.push_back(m_cameras.size() - 1);
    log::info("cam=" + dir.name + " indexing " + path.string() + " (time zone " +
              (zone_name.empty() ? std::string("of the system") : zone_name) + ")");
  }
  return added;
}

Result<IndexStats> Indexer::reindex(bool full) {
  const auto started = std::chrono::steady_clock::now();
  CCTV_TRY(load_cameras());
  IndexStats total;
  for (std::size_t i = 0; i < m_cameras.size(); ++i) {
    auto stats = reindex_camera(i, full);
    if (!stats) return std::unexpected(stats.error());
    total += *stats;
  }
  CCTV_TRY(forget_unlisted_cameras());
  CCTV_TRY(settle_days());
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
  log::info("reindex: " + std::to_string(total.cameras) + " cameras, " +
            std::to_string(total.days) + " days, " + std::to_string(total.segments) +
            " segments in " + seconds_text(took.count()) + " (" + std::to_string(total.probed) +
            " probed, " + std::to_string(total.removed) + " removed, " +
            std::to_string(total.failed) + " unreadable)");
  return total;
}

Result<IndexStats> Indexer::reindex_camera(std::size_t camera, bool full) {
  full = full || m_cameras.at(camera).reread;
  if (m_before_list) m_before_list(m_cameras.at(camera).path);
  const std::vector<Date> days = list_days(m_cameras.at(camera).path);
  IndexStats stats;
  stats.cameras = 1;
  for (const Date& date : days) {
    auto day = reindex_day(camera, date, full);
    if (!day) return std::unexpected(day.error());
    stats += *day;
  }
  CCTV_TRY(forget_vanished_days(camera, days));
  if (Camera& cam = m_cameras.at(camera); cam.reread) {
    CCTV_TRY(m_catalog.ensure_camera(cam.name, cam.directory, cam.zone.name()));
    cam.reread = false;
  }
  return stats;
}

Result<IndexStats> Indexer::reindex_day(std::size_t camera, const Date& date, bool full) {
  const Camera& cam = m_cameras.at(camera);
  IndexStats stats;
  auto found = m_catalog.find_day(cam.id, date);
  if (!found) return std::unexpected(found.error());
  const std::optional<DayRow> day = *found;
  if (day && !is_indexer_state(day->state)) {  // the converter's now
    stats.days = 1;
    stats.segments = static_cast<std::size_t>(day->segment_count);
    return stats;
  }
  if (day) {
    auto deleting = being_deleted(m_catalog, cam.id, date);
    if (!deleting) return std::unexpected(deleting.error());
    if (*deleting) return stats;
  }
  const auto dir = cam.day_path(date);
  if (m_before_list) m_before_list(dir);
  auto stamps = m_catalog.file_stamps(cam.id, date);
  if (!stamps) return std::unexpected(stamps.error());
  std::vector<Segment> changed;
  std::set<std::string> present;
  for (const SegmentFile& file : list_segments(dir)) {
    const auto stamp = stamp_of(dir / file.name);
    if (!stamp) continue;
    const auto known = stamps->find(file.name);
    if (full || known == stamps->end() || !same(known->second, *stamp)) {
      auto segment = try_read_segment(cam, date, file.name, *stamp);
      if (!segment) {
        ++stats.failed;
        continue;
      }
      changed.push_back(std::move(*segment));
      ++stats.probed;
      if (!keep_going()) return fail(ErrorKind::unavailable, "reindex interrupted");
    }
    present.insert(file.name);
  }
  std::vector<std::string> vanished;
  for (const auto& [name, stamp] : *stamps) {
    if (!present.contains(name)) vanished.push_back(name);
  }
  stats.days = present.empty() ? 0 : 1;
  stats.segments = present.size();
  stats.removed = vanished.size();
  if (!changed.empty() || !vanished.empty()) {
    auto tx = m_catalog.transaction();
    if (!tx) return std::unexpected(tx.error());
    for (const auto& name : vanished) CCTV_TRY(m_catalog.remove_segment(cam.id, date, name));
    for (const auto& segment : changed) CCTV_TRY(m_catalog.put_segment(cam.id, segment, false));
    if (!changed.empty()) CCTV_TRY(m_catalog.refresh_day(cam.id, date));
    CCTV_TRY(update_state(cam, date));
    CCTV_TRY(tx->commit());
    log::debug("cam=" + cam.name + " reindexed " + format_date(date) + ": " +
               std::to_string(changed.size()) + " indexed, " + std::to_string(vanished.size()) +
               " removed");
  } else if (day && day->state == DayState::recording) {
    CCTV_TRY(update_state(cam, date));
  }
  if (!keep_going()) return fail(ErrorKind::unavailable, "reindex interrupted");
  return stats;
}

Result<IndexOutcome> Indexer::index_file(std::size_t camera, const Date& date,
                                         const std::string& name, bool force) {
  const Camera& cam = m_cameras.at(camera);
  const auto path = cam.day_path(date) / name;
  const auto stamp = stamp_of(path);
  if (!stamp) {
    CCTV_TRY(forget_file(camera, date, name));
    return IndexOutcome::removed;
  }
  auto found = m_catalog.find_day(cam.id, date);
  if (!found) return std::unexpected(found.error());
  const std::optional<DayRow> day = *found;
  if (day && !is_indexer_state(day->state)) {
    log::warning("cam=" + cam.name + " " + file_text(date, name) + " arrived for a day that is " +
                 std::string(to_string(day->state)) + ": not indexed");
    return IndexOutcome::ignored;
  }
  if (day) {
    auto deleting = being_deleted(m_catalog, cam.id, date);
    if (!deleting) return std::unexpected(deleting.error());
    if (*deleting) {
      log::debug("cam=" + cam.name + " " + file_text(date, name) +
                 ": its day is being deleted (retention), not indexed");
      return IndexOutcome::ignored;
    }
  }
  if (!force) {
    auto stored = m_catalog.file_stamp(cam.id, date, name);
    if (!stored) return std::unexpected(stored.error());
    const std::optional<FileStamp> known = *stored;
    if (known && same(*known, *stamp)) return IndexOutcome::unchanged;
  }
  auto segment = try_read_segment(cam, date, name, *stamp);
  auto tx = m_catalog.transaction();
  if (!tx) return std::unexpected(tx.error());
  if (!segment) {  // a replaced file that no longer reads: its old row goes
    CCTV_TRY(m_catalog.remove_segment(cam.id, date, name));
    CCTV_TRY(tx->commit());
    return IndexOutcome::failed;
  }
  m_arrivals[{cam.id, days_from_civil(date)}] = m_clock();
  CCTV_TRY(m_catalog.put_segment(cam.id, *segment));
  CCTV_TRY(update_state(cam, date));
  CCTV_TRY(tx->commit());
  log::debug("cam=" + cam.name + " indexed " + file_text(date, name) + " " +
             seconds_text(static_cast<double>(segment->duration_us) / 1e6));
  return IndexOutcome::indexed;
}

Result<void> Indexer::forget_file(std::size_t camera, const Date& date, const std::string& name) {
  const Camera& cam = m_cameras.at(camera);
  m_failed.erase(cam.day_path(date) / name);
  auto found = m_catalog.find_day(cam.id, date);
  if (!found) return std::unexpected(found.error());
  const std::optional<DayRow> day = *found;
  if (!day || !is_indexer_state(day->state)) return {};
  auto deleting = being_deleted(m_catalog, cam.id, date);
  if (!deleting) return std::unexpected(deleting.error());
  if (*deleting) return {};  // retention removes the rows
  auto tx = m_catalog.transaction();
  if (!tx) return std::unexpected(tx.error());
  CCTV_TRY(m_catalog.remove_segment(cam.id, date, name));
  CCTV_TRY(tx->commit());
  log::debug("cam=" + cam.name + " forgot " + file_text(date, name));
  return {};
}

Result<void> Indexer::forget_day(std::size_t camera, const Date& date) {
  const Camera& cam = m_cameras.at(camera);
  auto found = m_catalog.find_day(cam.id, date);
  if (!found) return std::unexpected(found.error());
  const std::optional<DayRow> day = *found;
  if (!day) return {};
  if (!is_indexer_state(day->state)) {
    log::notice("cam=" + cam.name + " directory of " + std::string(to_string(day->state)) +
                " day " + format_date(date) + " is gone; the day is kept");
    return {};
  }
  auto deleting = being_deleted(m_catalog, cam.id, date);
  if (!deleting) return std::unexpected(deleting.error());
  if (*deleting) return {};  // retention removes the rows
  m_arrivals.erase({cam.id, days_from_civil(date)});
  CCTV_TRY(m_catalog.remove_day(cam.id, date));
  log::info("cam=" + cam.name + " day " + format_date(date) + " removed (directory gone)");
  return {};
}

Result<void> Indexer::forget_vanished_days(std::size_t camera, const std::vector<Date>& on_disk) {
  auto days = m_catalog.days(m_cameras.at(camera).id);
  if (!days) return std::unexpected(days.error());
  for (const DayRow& day : *days) {
    if (!std::binary_search(on_disk.begin(), on_disk.end(), day.date)) {
      CCTV_TRY(forget_day(camera, day.date));
    }
  }
  return {};
}

Result<void> Indexer::forget_unlisted_cameras() {
  auto rows = m_catalog.cameras();
  if (!rows) return std::unexpected(rows.error());
  for (const CameraRow& row : *rows) {
    if (std::any_of(m_cameras.begin(), m_cameras.end(),
                    [&](const Camera& c) { return c.id == row.id; })) {
      continue;
    }
    auto days = m_catalog.days(row.id);
    if (!days) return std::unexpected(days.error());
    const auto dir = row.directory.empty() ? root() : root() / row.directory;
    for (const DayRow& day : *days) {
      std::error_code ec;
      if (is_indexer_state(day.state) &&
          !std::filesystem::exists(dir / format_date(day.date), ec)) {
        CCTV_TRY(m_catalog.remove_day(row.id, day.date));
      }
    }
    // A camera that is gone from the config and the disk would still be offered
    // (and make `camera=` mandatory) if its row stayed.
    CCTV_TRY(m_catalog.remove_camera_if_empty(row.id));
  }
  return {};
}

std::optional<Segment> Indexer::try_read_segment(const Camera& camera, const Date& date,
                                                 const std::string& name, const FileStamp& stamp) {
  const auto dir = camera.day_path(date);
  if (auto it = m_failed.find(dir / name); it != m_failed.end() && same(it->second, stamp)) {
    return std::nullopt;  // already logged
  }
  auto segment = read_segment_file(camera.zone, dir, date, name, stamp);
  if (!segment) {
    log::warning("cam=" + camera.name + " skipped " + file_text(date, name) + ": " +
                 segment.error().message);
    m_failed.insert_or_assign(dir / name, stamp);
    return std::nullopt;
  }
  m_failed.erase(dir / name);
  return std::move(*segment);
}

Result<bool> Indexer::update_state(const Camera& camera, const Date& date) {
  auto found = m_catalog.find_day(camera.id, date);
  if (!found) return std::unexpected(found.error());
  const std::optional<DayRow> day = *found;
  if (!day || !is_indexer_state(day->state)) return false;
  auto deleting = being_deleted(m_catalog, camera.id, date);
  if (!deleting) return std::unexpected(deleting.error());
  if (*deleting) return false;
  auto segments = m_catalog.segments(camera.id, date);
  if (!segments) return std::unexpected(segments.error());
  const DayKey key{camera.id, days_from_civil(date)};
  UtcMicros activity = last_activity(*day, *segments);
  if (auto it = m_arrivals.find(key); it != m_arrivals.end()) {
    activity = std::max(activity, it->second);
  }
  const DayState want = should_settle(camera.zone.day_end(date), activity, m_clock())
                            ? DayState::settled
                            : DayState::recording;
  if (want == day->state) return false;
  CCTV_TRY(m_catalog.set_day_state(camera.id, date, want));
  if (want == DayState::settled) {
    m_arrivals.erase(key);
    log::info("cam=" + camera.name + " day " + format_date(date) + " settled");
  } else {
    log::notice("cam=" + camera.name + " day " + format_date(date) +
                " is recording again: a segment arrived after it was settled");
  }
  return true;
}

Result<std::size_t> Indexer::settle_days() {
  std::size_t settled = 0;
  const UtcMicros now = m_clock();
  for (const Camera& camera : m_cameras) {
    auto days = m_catalog.days(camera.id);
    if (!days) return std::unexpected(days.error());
    for (const DayRow& day : *days) {
      // Cheap test first: today's and yesterday's first minutes are left alone.
      if (day.state != DayState::recording || now < camera.zone.day_end(day.date) + k_settle_us) {
        continue;
      }
      auto changed = update_state(camera, day.date);
      if (!changed) return std::unexpected(changed.error());
      if (*changed) ++settled;
    }
  }
  return settled;
}

Result<std::int64_t> Indexer::segment_count() {
  std::int64_t count = 0;
  for (const Camera& camera : m_cameras) {
    auto days = m_catalog.days(camera.id);
    if (!days) return std::unexpected(days.error());
    for (const DayRow& day : *days) count += day.segment_count;
  }
  return count;
}

}  // namespace cctv::worker
