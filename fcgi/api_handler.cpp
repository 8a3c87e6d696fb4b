#include "fcgi/api_handler.hpp"

#include "core/layout.hpp"
#include "fcgi/moments.hpp"
#include "fcgi/query.hpp"

#include <sys/statvfs.h>
#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstring>
#include <optional>
#include <vector>

#ifndef CCTV_VERSION
#define CCTV_VERSION "0.0.0"
#endif

namespace cctv::web {
namespace {

using Json = nlohmann::json;

// A recording status older than this means the worker is not updating it.
constexpr std::int64_t k_status_stale_us = 120 * k_micros_per_second;

double seconds(std::int64_t micros) {
  return static_cast<double>(micros) / static_cast<double>(k_micros_per_second);
}

// Invalid UTF-8 (a file name, an error text) is replaced, never a reason to fail.
std::string dump(const Json& json) {
  return json.dump(1, ' ', false, Json::error_handler_t::replace) + "\n";
}

Response json_response(int status, std::string body) {
  Response r;
  r.status = status;
  r.header("Content-Type", "application/json; charset=utf-8");
  r.header("Cache-Control", "no-cache");
  r.header("X-Content-Type-Options", "nosniff");
  r.body = std::make_shared<const std::string>(std::move(body));
  return r;
}

Response json_error(const Error& error) {
  const int status = status_for(error.kind);
  return json_response(status, dump(Json{{"error",
                                          {{"status", status},
                                           {"reason", std::string(status_text(status))},
                                           {"message", error.message}}}}));
}

// One path segment, percent-decoded; nullopt for a bad escape, NUL, or '/'.
std::optional<std::string> decode_segment(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    auto hex = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    const int hi = hex(text[i + 1]);
    const int lo = hex(text[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    const char c = static_cast<char>(hi * 16 + lo);
    if (c == '\0' || c == '/') return std::nullopt;
    out += c;
    i += 2;
  }
  return out;
}

// The request path below <base>api/1/, split at '/'.
Result<std::vector<std::string>> api_path(const Request& request, std::string_view base) {
  std::string_view path = request.request_uri;
  path = path.substr(0, path.find('?'));
  const std::string prefix = std::string(base) + std::string(k_api_prefix);
  if (!path.starts_with(prefix)) return fail(ErrorKind::not_found, "not an API path");
  path.remove_prefix(prefix.size());
  std::vector<std::string> parts;
  while (true) {
    const std::size_t slash = path.find('/');
    auto part = decode_segment(path.substr(0, slash));
    if (!part) return fail(ErrorKind::invalid_argument, "path: bad percent escape");
    parts.push_back(std::move(*part));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return parts;
}

Json camera_status_json(const CameraStatus& status, std::int64_t now) {
  const bool stale =
      status.state == CameraState::recording && now - status.updated_us > k_status_stale_us;
  Json j{{"state", stale ? std::string("stale") : std::string(to_string(status.state))},
         {"since", format_iso8601_utc(status.since_us)},
         {"updated", format_iso8601_utc(status.updated_us)},
         {"lastError", status.last_error}};
  if (status.state == CameraState::recording) {
    j["bitrateBps"] = status.bitrate_bps;
    j["segmentsToday"] = status.segments_today;
  }
  return j;
}

std::string playlist_url(const Config& config, const CameraRow& camera, const Date& date) {
  return config.web_base_url + "playlist.m3u8?camera=" + url_encode(camera.name) +
         "&date=" + format_date(date);
}

}  // namespace

Result<DiskSpace> statvfs_disk_space(const std::filesystem::path& path) {
  struct statvfs st {};
  if (::statvfs(path.c_str(), &st) != 0) {
    return fail(ErrorKind::unavailable, "statvfs " + path.string() + ": " + std::strerror(errno));
  }
  const auto block = static_cast<std::int64_t>(st.f_frsize);
  return DiskSpace{static_cast<std::int64_t>(st.f_bavail) * block,
                   static_cast<std::int64_t>(st.f_blocks) * block};
}

Response ApiHandler::handle(const Request& request) {
  auto response = respond(request);
  return response ? std::move(*response) : json_error(response.error());
}

Result<Response> ApiHandler::respond(const Request& request) {
  if (auto query = Query::parse(request.query); !query) return std::unexpected(query.error());
  auto parts = api_path(request, m_access.config().web_base_url);
  if (!parts) return std::unexpected(parts.error());
  const std::vector<std::string>& p = *parts;
  Result<std::string> body = fail(ErrorKind::not_found, "no such API resource (see docs/api.md)");
  if (p.size() == 1 && p[0] == "system.json") {
    body = system_json();
  } else if (p.size() == 1 && p[0] == "cameras.json") {
    body = cameras_json();
  } else if (p.size() == 3 && p[0] == "cameras" && p[2] == "days.json") {
    auto camera = m_access.select_camera(p[1]);
    if (!camera) return std::unexpected(camera.error());
    body = days_json(*camera);
  } else if (p.size() == 3 && p[0] == "cameras" && p[2] == "moments.json") {
    auto camera = m_access.select_camera(p[1]);
    if (!camera) return std::unexpected(camera.error());
    body = moments_json(*camera);
  } else if (p.size() == 4 && p[0] == "cameras" && p[3] == "segments.json") {
    auto camera = m_access.select_camera(p[1]);
    if (!camera) return std::unexpected(camera.error());
    const auto date = parse_date(p[2]);
    if (!date) return fail(ErrorKind::invalid_argument, "date: expected YYYY-MM-DD");
    body = segments_json(*camera, *date);
  }
  if (!body) return std::unexpected(body.error());
  return json_response(200, std::move(*body));
}

Result<std::string> ApiHandler::system_json() {
  const Config& config = m_access.config();
  Json j{{"version", CCTV_VERSION}, {"time", format_iso8601_utc(utc_now())}};
  std::vector<std::string> problems;
  auto catalog = m_access.catalog();
  Json cameras = Json::array();
  std::int64_t archive_bytes = 0;
  if (!catalog) {
    problems.push_back(catalog.error().message);
  } else {
    auto rows = (*catalog)->cameras();
    if (!rows) return std::unexpected(rows.error());
    auto statuses = (*catalog)->camera_statuses();
    if (!statuses) return std::unexpected(statuses.error());
    const std::int64_t now = utc_now();
    for (const CameraRow& camera : *rows) {
      Json cam{{"name", camera.name}, {"timeZone", camera.time_zone}, {"recording", nullptr}};
      for (const CameraStatus& status : *statuses) {
        if (status.camera_id != camera.id) continue;
        cam["recording"] = camera_status_json(status, now);
        const std::string state = cam["recording"]["state"].get<std::string>();
        if (state == "stale" || state == "reconnecting") {
          problems.push_back(camera.name + ": " + state +
                             (status.last_error.empty() ? "" : ": " + status.last_error));
        }
      }
      auto days = (*catalog)->days(camera.id);
      if (!days) return std::unexpected(days.error());
      for (const DayRow& day : *days) archive_bytes += day.size_bytes;
      cameras.push_back(std::move(cam));
    }
  }
  Json disk{{"path", config.save_path.string()}, {"archiveBytes", archive_bytes}};
  if (auto space = m_disk(config.save_path); space) {
    disk["freeBytes"] = space->free_bytes;
    disk["totalBytes"] = space->total_bytes;
  } else {
    problems.push_back(space.error().message);
  }
  j["status"] = problems.empty() ? "running" : "error";
  j["problems"] = problems;
  j["cameras"] = std::move(cameras);
  j["disk"] = std::move(disk);
  return dump(j);
}

Result<std::string> ApiHandler::cameras_json() {
  auto catalog = m_access.catalog();
  if (!catalog) return std::unexpected(catalog.error());
  auto rows = (*catalog)->cameras();
  if (!rows) return std::unexpected(rows.error());
  Json list = Json::array();
  for (const CameraRow& camera : *rows) {
    auto days = (*catalog)->days(camera.id);
    if (!days) return std::unexpected(days.error());
    Json cam{{"name", camera.name},
             {"timeZone", camera.time_zone},
             {"days", days->size()},
             {"firstDate", nullptr},
             {"lastDate", nullptr}};
    std::int64_t bytes = 0;
    std::int64_t recorded = 0;
    for (const DayRow& day : *days) {
      bytes += day.size_bytes;
      recorded += day.recorded_us;
    }
    if (!days->empty()) {
      cam["firstDate"] = format_date(days->front().date);  // days() is oldest first
      cam["lastDate"] = format_date(days->back().date);
    }
    cam["bytes"] = bytes;
    cam["recordedSeconds"] = seconds(recorded);
    cam["daysUrl"] = m_access.config().web_base_url + std::string(k_api_prefix) + "cameras/" +
                     url_encode(camera.name) + "/days.json";
    list.push_back(std::move(cam));
  }
  return dump(Json{{"cameras", std::move(list)}});
}

Result<std::string> ApiHandler::days_json(const CameraRow& camera) {
  auto catalog = m_access.catalog();
  if (!catalog) return std::unexpected(catalog.error());
  auto days = (*catalog)->days(camera.id);
  if (!days) return std::unexpected(days.error());
  const Config& config = m_access.config();
  auto camera_dir = camera_path(config, camera);
  if (!camera_dir) return std::unexpected(camera_dir.error());
  Json list = Json::array();
  for (const DayRow& day : *days) {
    const std::string date = format_date(day.date);
    std::error_code ec;
    const bool timelapse =
        std::filesystem::is_regular_file(*camera_dir / date / std::string(k_timelapse_name), ec);
    list.push_back(Json{
        {"date", date},
        {"state", std::string(to_string(day.state))},
        {"recordedSeconds", seconds(day.recorded_us)},
        {"gaps", day.gap_count},
        {"gapSeconds", seconds(day.gap_us)},
        {"bytes", day.size_bytes},
        {"pieces", day.segment_count},
        {"firstStart", format_iso8601_utc(day.first_start_us)},
        {"lastEnd", format_iso8601_utc(day.last_end_us)},
        {"conversionFailures", day.conversion_failures},
        {"playlistUrl", playlist_url(config, camera, day.date)},
        {"timelapseUrl",
         timelapse ? Json(day_url_prefix(config, camera, day.date) + std::string(k_timelapse_name))
                   : Json(nullptr)},
        {"segmentsUrl", config.web_base_url + std::string(k_api_prefix) + "cameras/" +
                            url_encode(camera.name) + "/" + date + "/segments.json"}});
  }
  return dump(
      Json{{"camera", camera.name}, {"timeZone", camera.time_zone}, {"days", std::move(list)}});
}

Result<std::string> ApiHandler::moments_json(const CameraRow& camera) {
  const Config& config = m_access.config();
  auto camera_dir = camera_path(config, camera);
  if (!camera_dir) return std::unexpected(camera_dir.error());
  auto zone = TimeZone::load(camera.time_zone);
  if (!zone) return std::unexpected(zone.error());
  auto moments = list_moments(*camera_dir / k_moments_dir, k_max_listed_moments);
  if (!moments) return std::unexpected(moments.error());
  const std::string prefix = camera_url_prefix(config, camera) + std::string(k_moments_dir) + "/";
  Json list = Json::array();
  for (const MomentFile& moment : *moments) {
    list.push_back(Json{{"time", format_iso8601_utc(zone->to_utc(moment.time))},
                        {"format", moment.format},
                        {"bytes", moment.bytes},
                        {"url", prefix + moment.name}});
  }
  return dump(
      Json{{"camera", camera.name}, {"timeZone", camera.time_zone}, {"moments", std::move(list)}});
}

Result<std::string> ApiHandler::segments_json(const CameraRow& camera, const Date& date) {
  auto catalog = m_access.catalog();
  if (!catalog) return std::unexpected(catalog.error());
  auto day = (*catalog)->find_day(camera.id, date);
  if (!day) return std::unexpected(day.error());
  if (!*day) {
    return fail(ErrorKind::not_found,
                "camera \"" + camera.name + "\" has no recordings on " + format_date(date));
  }
  const Config& config = m_access.config();
  const std::string prefix = day_url_prefix(config, camera, date);
  Json j{{"camera", camera.name},
         {"timeZone", camera.time_zone},
         {"date", format_date(date)},
         {"state", std::string(to_string((*day)->state))},
         {"playlistUrl", playlist_url(config, camera, date)}};
  Json items = Json::array();
  auto converted = (*catalog)->converted_day(camera.id, date);
  if (!converted) return std::unexpected(converted.error());
  if (*converted && (*day)->state == DayState::converted) {
    const ConvertedDay& file = **converted;
    const std::string url = prefix + file.file_name;
    j["kind"] = "fragments";
    j["codec"] = file.codec;
    j["file"] = Json{{"url", url},
                     {"bytes", file.file_size_bytes},
                     {"init", {{"offset", 0}, {"length", file.init_size_bytes}}}};
    for (const Fragment& frag : file.fragments) {
      items.push_back(Json{{"start", format_iso8601_utc(frag.start_us)},
                           {"duration", seconds(frag.duration_us)},
                           {"url", url},
                           {"offset", frag.offset_bytes},
                           {"length", frag.size_bytes}});
    }
  } else {
    auto segments = (*catalog)->segments(camera.id, date);
    if (!segments) return std::unexpected(segments.error());
    j["kind"] = "segments";
    for (const Segment& seg : *segments) {
      items.push_back(Json{{"start", format_iso8601_utc(seg.start_us)},
                           {"duration", seconds(seg.duration_us)},
                           {"url", prefix + seg.name},
                           {"name", seg.name},
                           {"bytes", seg.size_bytes},
                           {"codec", seg.codec}});
    }
  }
  j["items"] = std::move(items);
  return dump(j);
}

}  // namespace cctv::web
