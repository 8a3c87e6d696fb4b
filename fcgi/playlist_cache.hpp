// Caches shared by the threads of cctv-playlist. A closed day never changes, so
// its segments (or, converted, its fragments) and rendered playlists stay valid until
// its version moves on. One mutex and one byte budget for all of them.
#pragma once

#include "core/playlist.hpp"
#include "core/segment.hpp"

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

namespace cctv::web {

using SegmentList = std::shared_ptr<const std::vector<Segment>>;
// A converted day's playlist entries: the MP4's map and one segment and byte range per
// fragment. `uri_prefix` is left empty: the handler sets it on its copy.
using FragmentList = std::shared_ptr<const PlaylistDay>;
using Body = std::shared_ptr<const std::string>;

class PlaylistCache {
 public:
  explicit PlaylistCache(std::size_t max_bytes = std::size_t{256} << 20) : m_max_bytes(max_bytes) {}

  // Segments of a day at a given version, or null.
  SegmentList day(std::int64_t camera_id, std::int64_t days_since_epoch, std::int64_t version);
  void put_day(std::int64_t camera_id, std::int64_t days_since_epoch, std::int64_t version,
               SegmentList segments);

  // Fragments of a converted day at a given version, or null.
  FragmentList converted_day(std::int64_t camera_id, std::int64_t days_since_epoch,
                             std::int64_t version);
  void put_converted_day(std::int64_t camera_id, std::int64_t days_since_epoch,
                         std::int64_t version, FragmentList day);

  // A rendered body for a request key whose content hash is `etag`, or null.
  Body body(const std::string& key, const std::string& etag);
  void put_body(const std::string& key, const std::string& etag, Body body);

 private:
  struct DayEntry {
    std::int64_t version = 0;
    SegmentList segments;
  };
  struct ConvertedEntry {
    std::int64_t version = 0;
    FragmentList day;
  };
  struct BodyEntry {
    std::string etag;
    Body body;
  };
  void make_room(std::size_t bytes);  // callers hold m_mutex
  // Drops an entry about to be replaced, and its bytes; callers hold m_mutex.
  template <typename Map, typename Key, typename Size>
  void forget(Map& map, const Key& key, Size size_of) {
    if (auto it = map.find(key); it != map.end()) {
      m_bytes -= std::min(m_bytes, size_of(it->second));
      map.erase(it);
    }
  }

  std::mutex m_mutex;
  std::size_t m_max_bytes;
  std::size_t m_bytes = 0;
  std::map<std::tuple<std::int64_t, std::int64_t>, DayEntry> m_days;
  std::map<std::tuple<std::int64_t, std::int64_t>, ConvertedEntry> m_converted;
  std::map<std::string, BodyEntry> m_bodies;
};

}  // namespace cctv::web
