// GET /playlist.m3u8?camera=C&date=YYYY-MM-DD[&live=1][&_HLS_skip=YES]
// The web contract is in DESIGN.md and docs/web.md.
#pragma once

#include "fcgi/archive_access.hpp"
#include "fcgi/playlist_cache.hpp"
#include "fcgi/server.hpp"

#include <memory>

namespace cctv::web {

// Skip boundary offered for delta updates of live playlists, in seconds.
inline constexpr int k_live_skip_until_s = 120;

class PlaylistHandler final : public Handler {
 public:
  PlaylistHandler(const Config& config, std::shared_ptr<PlaylistCache> cache)
      : m_access(config), m_cache(std::move(cache)) {}

  Response handle(const Request& request) override;

 private:
  Result<Response> respond(const Request& request);
  Result<SegmentList> day_segments(Catalog& catalog, const DayRow& day);

  ArchiveAccess m_access;
  std::shared_ptr<PlaylistCache> m_cache;
};

}  // namespace cctv::web
