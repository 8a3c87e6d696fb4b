#include "fcgi/playlist_handler.hpp"

#include "core/playlist.hpp"
#include "fcgi/etag.hpp"
#include "fcgi/query.hpp"

#include <algorithm>
#include <map>

namespace cctv::web {
namespace {

constexpr std::string_view k_content_type = "application/vnd.apple.mpegurl";

std::string shown(std::string_view value) {
  return value.size() > 40 ? std::string(value.substr(0, 40)) + "..." : std::string(value);
}

}  // namespace

Response PlaylistHandler::handle(const Request& request) {
  auto response = respond(request);
  return response ? std::move(*response) : error_response(response.error());
}

Result<SegmentList> PlaylistHandler::day_segments(Catalog& catalog, const DayRow& day) {
  const std::int64_t day_number = days_from_civil(day.date);
  if (auto cached = m_cache->day(day.camera_id, day_number, day.version)) return cached;
  auto segments = catalog.segments(day.camera_id, day.date);
  if (!segments) return std::unexpected(segments.error());
  auto list = std::make_shared<const std::vector<Segment>>(std::move(*segments));
  m_cache->put_day(day.camera_id, day_number, day.version, list);
  return list;
}

Result<FragmentList> PlaylistHandler::converted_day(Catalog& catalog, const DayRow& day) {
  const std::int64_t day_number = days_from_civil(day.date);
  FragmentList fragments = m_cache->converted_day(day.camera_id, day_number, day.version);
  if (!fragments) {
    auto converted = catalog.converted_day(day.camera_id, day.date);
    if (!converted) return std::unexpected(converted.error());
    if (!*converted) return FragmentList();
    const ConvertedDay& file = **converted;
    auto built = std::make_shared<PlaylistDay>();
    built->map = PlaylistMap{file.file_name, file.init_size_bytes};
    built->segments.reserve(file.fragments.size());
    built->ranges.reserve(file.fragments.size());
    for (const Fragment& f : file.fragments) {
      Segment s;
      s.date = day.date;
      s.name = file.file_name;
      s.start_us = f.start_us;
      s.duration_us = f.duration_us;
      s.size_bytes = f.size_bytes;
      s.codec = file.codec;
      built->segments.push_back(std::move(s));
      built->ranges.push_back(ByteRange{f.offset_bytes, f.size_bytes});
    }
    fragments = std::move(built);
    m_cache->put_converted_day(day.camera_id, day_number, day.version, fragments);
  }
  return fragments;
}

Result<PlaylistDay> PlaylistHandler::archived_day(Catalog& catalog, const DayRow& day,
                                                  std::chrono::sys_seconds signed_at) {
  const Config& config = m_access.config();
  const std::string date = format_date(day.date);
  if (!m_presigner) {
    auto made = Presigner::create(config.s3);
    if (!made) {
      return fail(ErrorKind::unavailable,
                  "day " + date + " is kept only in S3, and " + made.error().message);
    }
    m_presigner = std::move(*made);
  }
  auto uploads = catalog.uploads_of_day(day.camera_id, day.date);
  if (!uploads) return std::unexpected(uploads.error());
  std::map<std::string, std::string, std::less<>> keys;
  for (const Upload& u : *uploads) keys.emplace(u.name, u.key);
  const std::chrono::seconds expiry{config.s3.presign_seconds};
  const auto sign = [&](const std::string& name) -> Result<std::string> {
    const auto it = keys.find(name);
    if (it == keys.end()) {
      return fail(ErrorKind::not_found, "day " + date + ": " + name + " is not in S3");
    }
    return m_presigner->url(it->second, signed_at, expiry);
  };
  PlaylistDay out;
  auto converted = catalog.converted_file(day.camera_id, day.date);
  if (!converted) return std::unexpected(converted.error());
  if (*converted) {
    const ConvertedDay& file = **converted;
    auto url = sign(file.file_name);
    if (!url) return std::unexpected(url.error());
    out.map = PlaylistMap{*url, file.init_size_bytes};
    for (const Fragment& f : file.fragments) {
      Segment s;
      s.date = day.date;
      s.name = *url;
      s.start_us = f.start_us;
      s.duration_us = f.duration_us;
      s.size_bytes = f.size_bytes;
      s.codec = file.codec;
      out.segments.push_back(std::move(s));
      out.ranges.push_back(ByteRange{f.offset_bytes, f.size_bytes});
    }
    return out;
  }
  auto segments = day_segments(catalog, day);
  if (!segments) return std::unexpected(segments.error());
  out.segments = **segments;
  for (Segment& s : out.segments) {
    auto url = sign(s.name);
    if (!url) return std::unexpected(url.error());
    s.name = std::move(*url);
  }
  return out;
}

Result<Response> PlaylistHandler::respond(const Request& request) {
  auto query = Query::parse(request.query);
  if (!query) return std::unexpected(query.error());
  auto live = parse_flag("live", query->get("live").value_or(""));
  if (!live) return std::unexpected(live.error());
  bool skip = false;
  if (auto value = query->get("_HLS_skip")) {
    if (*value != "YES" && *value != "v2") {
      return fail(ErrorKind::invalid_argument, "_HLS_skip: expected YES or v2");
    }
    skip = *live;  // only live playlists offer delta updates
  }
  auto camera = m_access.select_camera(query->get("camera"));
  if (!camera) return std::unexpected(camera.error());
  auto catalog = m_access.catalog();
  if (!catalog) return std::unexpected(catalog.error());
  const Config& config = m_access.config();

  const std::string_view date_text = query->get("date").value_or("");
  if (date_text.empty()) {
    // No date: redirect to the latest day, so that the playlist URL is stable.
    auto days = (*catalog)->days(camera->id);
    if (!days) return std::unexpected(days.error());
    if (days->empty()) {
      return fail(ErrorKind::not_found, "no recordings of camera " + camera->name + " yet");
    }
    std::string location = config.web_base_url + "playlist.m3u8?";
    if (query->has("camera")) location += "camera=" + url_encode(camera->name) + "&";
    location += "date=" + format_date(days->back().date);
    if (*live) location += "&live=1";
    Response r = text_response(302, "see " + location);
    r.headers.clear();
    r.header("Location", location).header("Content-Type", "text/plain; charset=utf-8");
    r.header("Cache-Control", "no-cache");
    return r;
  }
  const auto date = parse_date(date_text);
  if (!date) {
    return fail(ErrorKind::invalid_argument,
                "date: expected YYYY-MM-DD, got \"" + shown(date_text) + "\"");
  }

  std::vector<DayRow> days;
  if (*live) {
    auto found = (*catalog)->days_from(camera->id, *date);
    if (!found) return std::unexpected(found.error());
    days = std::move(*found);
  } else {
    auto found = (*catalog)->find_day(camera->id, *date);
    if (!found) return std::unexpected(found.error());
    if (*found) days.push_back(**found);
  }
  days.erase(std::remove_if(days.begin(), days.end(),
                            [](const DayRow& d) { return d.segment_count == 0; }),
             days.end());
  if (days.empty()) {
    return fail(ErrorKind::not_found, "no recordings of camera " + camera->name +
                                          (*live ? " from " : " on ") + format_date(*date) +
                                          (*live ? " on" : ""));
  }
  const bool closed = !*live && days.front().state != DayState::recording;

  // The validator covers everything the body depends on.
  EtagBuilder etag;
  etag.add(camera->id).add(camera->directory).add(config.web_base_url);
  etag.add(*live ? 1 : 0).add(skip ? 1 : 0);
  std::int64_t last_modified_us = 0;
  for (const auto& d : days) {
    etag.add(days_from_civil(d.date)).add(d.version).add(static_cast<std::int64_t>(d.state));
    etag.add(d.segment_count).add(d.recorded_us).add(d.size_bytes).add(d.last_end_us);
    last_modified_us = std::max(last_modified_us, d.changed_us);
  }
  // Days kept only in S3 are played through presigned URLs: signed at a time that moves
  // in steps (the playlist stays the same for a step), kept by clients for a step at most
  // and never by shared caches (nginx), so that every URL a player holds is still valid.
  const bool presigned = std::any_of(days.begin(), days.end(),
                                     [](const DayRow& d) { return d.state == DayState::archived; });
  const std::chrono::seconds expiry{config.s3.presign_seconds};
  const auto signed_at = presign_time(
      std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()), expiry);
  if (presigned) etag.add(static_cast<std::int64_t>(signed_at.time_since_epoch().count()));
  const std::string tag = etag.quoted();
  const std::int64_t last_modified_s = last_modified_us / k_micros_per_second;

  Response response;
  response.header("Content-Type", std::string(k_content_type));
  if (presigned) {
    response.header("Cache-Control",
                    (closed ? "private, max-age=" : "private, no-cache, max-age=") +
                        std::to_string(presign_step(expiry).count()));
  } else {
    response.header("Cache-Control", closed ? std::string(k_closed_day_cache_control) : "no-cache");
  }
  response.header("ETag", tag);
  response.header("Last-Modified", format_http_date(last_modified_s));
  if (not_modified(request, tag, last_modified_s)) {
    response.status = 304;
    return response;
  }

  const std::string key = std::to_string(camera->id) + "|" + format_date(*date) + "|" +
                          (*live ? "live" : "day") + (skip ? "|skip" : "");
  if (Body cached = m_cache->body(key, tag)) {
    response.body = std::move(cached);
    return response;
  }
  std::vector<PlaylistDay> playlist_days;
  playlist_days.reserve(days.size());
  for (const auto& d : days) {
    if (d.state == DayState::archived) {
      auto archived = archived_day(**catalog, d, signed_at);
      if (!archived) return std::unexpected(archived.error());
      playlist_days.push_back(std::move(*archived));
      continue;
    }
    if (d.state == DayState::converted) {
      // One fragmented MP4 replaced the segments: address its fragments by range.
      auto converted = converted_day(**catalog, d);
      if (!converted) return std::unexpected(converted.error());
      if (*converted) {
        playlist_days.push_back(**converted);
        // Set here, not cached: the camera's directory is not part of the day's version.
        playlist_days.back().uri_prefix = day_url_prefix(config, *camera, d.date);
        continue;
      }
    }
    auto segments = day_segments(**catalog, d);
    if (!segments) return std::unexpected(segments.error());
    playlist_days.push_back(PlaylistDay{day_url_prefix(config, *camera, d.date), **segments});
  }
  PlaylistOptions options;
  options.type = closed ? PlaylistOptions::Type::vod : PlaylistOptions::Type::event;
  options.ended = closed;
  options.can_skip_until_s = *live ? k_live_skip_until_s : 0;
  options.skip = skip;
  auto body = std::make_shared<const std::string>(make_playlist(playlist_days, options));
  m_cache->put_body(key, tag, body);
  response.body = std::move(body);
  return response;
}

}  // namespace cctv::web
