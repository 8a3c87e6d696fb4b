#include "fcgi/playlist_cache.hpp"

namespace cctv::web {
namespace {
constexpr std::size_t k_bytes_per_segment = sizeof(Segment) + 48;  // estimate incl. strings

std::size_t bytes_of(const PlaylistDay& day) {
  return sizeof(PlaylistDay) + day.uri_prefix.size() +
         day.segments.size() * (k_bytes_per_segment + sizeof(ByteRange));
}
}  // namespace

SegmentList PlaylistCache::day(std::int64_t camera_id, std::int64_t days_since_epoch,
                               std::int64_t version) {
  std::lock_guard lock(m_mutex);
  auto it = m_days.find({camera_id, days_since_epoch});
  if (it == m_days.end() || it->second.version != version) return nullptr;
  return it->second.segments;
}

void PlaylistCache::put_day(std::int64_t camera_id, std::int64_t days_since_epoch,
                            std::int64_t version, SegmentList segments) {
  std::lock_guard lock(m_mutex);
  forget(m_days, std::tuple{camera_id, days_since_epoch},
         [](const DayEntry& e) { return e.segments->size() * k_bytes_per_segment; });
  make_room(segments->size() * k_bytes_per_segment);
  m_bytes += segments->size() * k_bytes_per_segment;
  m_days[{camera_id, days_since_epoch}] = DayEntry{version, std::move(segments)};
}

FragmentList PlaylistCache::converted_day(std::int64_t camera_id, std::int64_t days_since_epoch,
                                          std::int64_t version) {
  std::lock_guard lock(m_mutex);
  auto it = m_converted.find({camera_id, days_since_epoch});
  if (it == m_converted.end() || it->second.version != version) return nullptr;
  return it->second.day;
}

void PlaylistCache::put_converted_day(std::int64_t camera_id, std::int64_t days_since_epoch,
                                      std::int64_t version, FragmentList day) {
  std::lock_guard lock(m_mutex);
  forget(m_converted, std::tuple{camera_id, days_since_epoch},
         [](const ConvertedEntry& e) { return bytes_of(*e.day); });
  make_room(bytes_of(*day));
  m_bytes += bytes_of(*day);
  m_converted[{camera_id, days_since_epoch}] = ConvertedEntry{version, std::move(day)};
}

Body PlaylistCache::body(const std::string& key, const std::string& etag) {
  std::lock_guard lock(m_mutex);
  auto it = m_bodies.find(key);
  if (it == m_bodies.end() || it->second.etag != etag) return nullptr;
  return it->second.body;
}

void PlaylistCache::put_body(const std::string& key, const std::string& etag, Body body) {
  std::lock_guard lock(m_mutex);
  forget(m_bodies, key, [](const BodyEntry& e) { return e.body->size(); });
  make_room(body->size());
  m_bytes += body->size();
  m_bodies[key] = BodyEntry{etag, std::move(body)};
}

void PlaylistCache::make_room(std::size_t bytes) {
  // Simple and bounded: when full, start over (entries are rebuilt on demand).
  if (m_bytes + bytes > m_max_bytes) {
    m_days.clear();
    m_converted.clear();
    m_bodies.clear();
    m_bytes = 0;
  }
}

}  // namespace cctv::web
