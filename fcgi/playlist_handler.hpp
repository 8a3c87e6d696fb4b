// GET /playlist.m3u8?camera=C&date=YYYY-MM-DD[&live=1][&_HLS_skip=YES]
// The web contract is in DESIGN.md and docs/web.md.
#pragma once

#include "core/playlist.hpp"
#include "fcgi/archive_access.hpp"
#include "fcgi/playlist_cache.hpp"
#include "fcgi/s3_presign.hpp"
#include "fcgi/server.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <string_view>

namespace cctv::web {

// A closed day's recordings never change, but its playlist does once more when the
// day is converted to one MP4 or moves to S3 (the segments then vanish), so clients
// keep it for an hour and revalidate with the ETag, rather than for ever.
inline constexpr std::string_view k_closed_day_cache_control = "public, max-age=3600";

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
  // A converted day as one fragmented MP4 (one entry per fragment, no URI prefix), or
  // null when the catalog has no converted file for it. Cached in m_cache by the day's
  // version, like day_segments.
  Result<FragmentList> converted_day(Catalog& catalog, const DayRow& day);

  // A day whose files live only in S3 (`archived`, clearAfterUpload): its segments, or its
  // converted file's fragments, with presigned URLs signed at `signed_at` (no URI prefix).
  Result<PlaylistDay> archived_day(Catalog& catalog, const DayRow& day,
                                   std::chrono::sys_seconds signed_at);

  ArchiveAccess m_access;
  std::optional<Presigner> m_presigner;  // made on first use
  std::shared_ptr<PlaylistCache> m_cache;
};

}  // namespace cctv::web
