// The config file (docs/config.md): parsing and checking every section but S3's
// (core/config_s3.cpp).
#include "core/config.hpp"

#include "core/civil_time.hpp"
#include "core/config_reader.hpp"
#include "core/layout.hpp"
#include "core/log.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>

namespace cctv {
namespace {

using config_detail::has_control_character;
using config_detail::Json;
using config_detail::lower;
using config_detail::ObjectReader;
using config_detail::read_aws_credentials;
using config_detail::read_s3_config;

// A source URL the recorder can open: rtsp, rtsps, http or https with a host, or a
// file (an absolute path, or file: followed by one) for tests and demos.
Result<void> check_url(const std::string& url, const std::string& path) {
  if (has_control_character(url)) {
    return fail(ErrorKind::invalid_argument, path + ": contains a control character");
  }
  if (url.starts_with('/') || url.starts_with("file:/")) return {};
  const auto scheme_end = url.find("://");
  const std::string scheme =
      scheme_end == std::string::npos ? "" : lower(url.substr(0, scheme_end));
  const bool known = scheme == "rtsp" || scheme == "rtsps" || scheme == "http" || scheme == "https";
  const std::string rest = known ? url.substr(scheme_end + 3) : "";
  const std::string authority = rest.substr(0, rest.find_first_of("/?#"));
  const std::string host = authority.substr(authority.rfind('@') + 1);  // npos + 1 == 0
  if (!known || host.empty() || host.starts_with(':') ||
      url.find_first_of(" \t") != std::string::npos) {
    return fail(ErrorKind::invalid_argument,
                path + ": \"" + log::redact_url(url) +
                    "\" is not a supported URL (rtsp://, rtsps://, http://, https:// with a "
                    "host, or an absolute file path)");
  }
  return {};
}

// A host name, an IPv4 address or an IPv6 address (without brackets).
bool is_valid_host(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  const bool ipv6 = std::count(host.begin(), host.end(), ':') >= 2;
  return std::all_of(host.begin(), host.end(), [ipv6](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '-' ||
           (ipv6 && c == ':');
  });
}

bool is_valid_url_path(std::string_view path) {
  return path.starts_with('/') && !has_control_character(path) &&
         path.find_first_of(" \t\"<>\\^`{|}#") == std::string_view::npos;
}

// "1920x1080" -> width and height.
bool parse_resolution(std::string_view text, int& width, int& height) {
  const auto x = text.find('x');
  if (x == std::string_view::npos) return false;
  auto number = [](std::string_view digits, int& out) {
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), out);
    return ec == std::errc() && end == digits.data() + digits.size() && out > 0 && out <= 16384;
  };
  return number(text.substr(0, x), width) && number(text.substr(x + 1), height);
}

// RFC 3986 userinfo: everything but the unreserved characters is percent-encoded.
std::string percent_encode(std::string_view text) {
  static constexpr std::string_view k_hex = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) != 0 || c == '-' || c == '.' || c == '_' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += k_hex[u >> 4];
      out += k_hex[u & 0xf];
    }
  }
  return out;
}

// segmentSeconds and its alias videoDuration: both given must agree. Up to an hour is
// accepted for upload-only cameras (Izara configs); a recorded camera cuts at most
// every ten minutes.
Result<void> read_segment_seconds(ObjectReader& r, CameraConfig& cam) {
  int segment = 0;
  int duration = 0;
  CCTV_TRY(r.integer("segmentSeconds", segment, 1, 600));
  CCTV_TRY(r.integer("videoDuration", duration, 1, 3600));
  if (segment != 0 && duration != 0 && segment != duration) {
    return fail(ErrorKind::invalid_argument,
                r.path_of("videoDuration") + ": " + std::to_string(duration) +
                    " differs from segmentSeconds " + std::to_string(segment) +
                    " (videoDuration is its alias; give one)");
  }
  if (segment != 0) cam.segment_seconds = segment;
  if (duration != 0) cam.segment_seconds = duration;
  return {};
}

Result<void> read_source(ObjectReader& r, CameraConfig& cam) {
  CCTV_TRY(r.string("url", cam.url));
  CCTV_TRY(r.string("ipAddress", cam.ip_address));
  CCTV_TRY(r.integer("rtspPort", cam.rtsp_port, 1, 65535));
  CCTV_TRY(r.string("rtspPath", cam.rtsp_path));
  CCTV_TRY(r.string("userName", cam.user_name));
  CCTV_TRY(r.string("password", cam.password));
  CCTV_TRY(r.string("videoFeedId", cam.video_feed_id));
  if (!cam.url.empty()) CCTV_TRY(check_url(cam.url, r.path_of("url")));
  if (!cam.ip_address.empty() && !is_valid_host(cam.ip_address)) {
    return fail(ErrorKind::invalid_argument,
                r.path_of("ipAddress") + ": \"" + cam.ip_address +
                    "\" is not a host name or an IP address (the port is rtspPort)");
  }
  if (cam.rtsp_path.empty()) cam.rtsp_path = cam.video_feed_id;
  if (!cam.rtsp_path.starts_with('/')) cam.rtsp_path.insert(0, "/");
  if (!is_valid_url_path(cam.rtsp_path)) {
    const bool from_feed = r.find("rtspPath") == nullptr;
    return fail(ErrorKind::invalid_argument,
                r.path_of(from_feed ? "videoFeedId" : "rtspPath") +
                    ": is not a valid URL path (no spaces, control characters or quotes)");
  }
  if (has_control_character(cam.user_name)) {
    return fail(ErrorKind::invalid_argument,
                r.path_of("userName") + ": contains a control character");
  }
  if (has_control_character(cam.password)) {
    return fail(ErrorKind::invalid_argument,
                r.path_of("password") + ": contains a control character");
  }
  return {};
}

Result<void> read_camera(ObjectReader& r, CameraConfig& cam) {
  CCTV_TRY(r.string("cameraName", cam.name));
  if (cam.name.empty()) {
    return fail(ErrorKind::invalid_argument, r.path_of("cameraName") + ": missing");
  }
  if (!is_valid_camera_name(cam.name)) {
    return fail(ErrorKind::invalid_argument,
                r.path_of("cameraName") + ": \"" + cam.name +
                    "\" is not a valid camera name (letters, digits, '_', '-', '.'; not a date "
                    "or a reserved name)");
  }
  cam.directory = cam.name;
  CCTV_TRY(r.string("directory", cam.directory));
  if (cam.directory == ".") cam.directory.clear();
  if (!cam.directory.empty() && !is_valid_camera_name(cam.directory)) {
    return fail(ErrorKind::invalid_argument,
                r.path_of("directory") + ": \"" + cam.directory +
                    "\" must be a plain directory name inside savePath, or \".\" for savePath");
  }
  CCTV_TRY(read_source(r, cam));
  CCTV_TRY(r.integer("frameRate", cam.frame_rate, 0, 240));
  CCTV_TRY(r.string("resolution", cam.resolution));
  if (!cam.resolution.empty() && !parse_resolution(cam.resolution, cam.width, cam.height)) {
    return fail(ErrorKind::invalid_argument, r.path_of("resolution") + ": \"" + cam.resolution +
                                                 "\" is not WIDTHxHEIGHT (e.g. \"1920x1080\")");
  }
  CCTV_TRY(read_segment_seconds(r, cam));
  if (!cam.upload_only() && cam.segment_seconds > 600) {
    return fail(ErrorKind::invalid_argument, r.path_of("videoDuration") + ": " +
                                                 std::to_string(cam.segment_seconds) +
                                                 " is out of range 1..600 for a recorded camera");
  }
  CCTV_TRY(r.boolean("enabled", cam.enabled));
  CCTV_TRY(r.integer("daysToKeep", cam.days_to_keep, 0, 100000));
  CCTV_TRY(r.string("timeZone", cam.time_zone));
  if (!cam.time_zone.empty()) {
    if (auto tz = TimeZone::load(cam.time_zone); !tz) {
      return std::unexpected(tz.error().context(r.path_of("timeZone")));
    }
  }
  return r.check_unknown();
}

// conversion.x265Params: "key=value:key" with plain characters, none of the options
// the converter sets itself to cut one fragment per segment.
Result<void> check_x265_params(std::string_view params) {
  constexpr std::string_view k_path = "conversion.x265Params: ";
  for (const char c : params) {
    const bool plain = (std::isalnum(static_cast<unsigned char>(c)) != 0) ||
                       std::string_view("=:._,-+").find(c) != std::string_view::npos;
    if (!plain) {
      return fail(ErrorKind::invalid_argument,
                  std::string(k_path) + "only letters, digits and =:._,-+ are allowed");
    }
  }
  static constexpr std::array<std::string_view, 6> k_reserved{
      "keyint", "min-keyint", "scenecut", "open-gop", "no-open-gop", "log-level"};
  std::size_t start = 0;
  while (start <= params.size()) {
    const std::size_t end = std::min(params.find(':', start), params.size());
    const std::string_view item = params.substr(start, end - start);
    const std::string_view key = item.substr(0, item.find('='));
    if (std::find(k_reserved.begin(), k_reserved.end(), key) != k_reserved.end()) {
      return fail(ErrorKind::invalid_argument,
                  std::string(k_path) + std::string(key) +
                      " is set by the converter (one keyframe per segment)");
    }
    start = end + 1;
  }
  return {};
}

Result<Config> parse(const Json& root) {
  if (!root.is_object()) {
    return fail(ErrorKind::invalid_argument, "top level: expected an object");
  }
  Config config;
  ObjectReader r(root, "");
  std::string save_path;
  std::string catalog_path;
  CCTV_TRY(r.object("storageConfig", [&](ObjectReader& s) -> Result<void> {
    CCTV_TRY(s.string("savePath", save_path));
    CCTV_TRY(s.string("catalogPath", catalog_path));
    CCTV_TRY(s.boolean("clearAfterUpload", config.clear_after_upload));
    CCTV_TRY(s.number("clearWhenFilePathReachGB", config.clear_when_path_reach_gb, 0, 1e9));
    CCTV_TRY(s.number("minFreeGB", config.min_free_gb, 0, 1e9));
    return {};
  }));
  if (save_path.empty()) {
    return fail(ErrorKind::invalid_argument, "storageConfig.savePath: missing");
  }
  config.save_path = save_path;
  if (config.save_path.is_relative()) {
    return fail(ErrorKind::invalid_argument, "storageConfig.savePath: must be an absolute path");
  }
  config.catalog_path = catalog_path.empty() ? "/var/lib/cctv/catalog.sqlite" : catalog_path;
  if (config.catalog_path.is_relative()) {
    return fail(ErrorKind::invalid_argument, "storageConfig.catalogPath: must be an absolute path");
  }
  CCTV_TRY(r.string("timeZone", config.time_zone));
  if (!config.time_zone.empty()) {
    if (auto tz = TimeZone::load(config.time_zone); !tz) {
      return std::unexpected(tz.error().context("timeZone"));
    }
  }
  CCTV_TRY(r.string("defaultCamera", config.default_camera));
  CCTV_TRY(r.integer("daysToKeep", config.days_to_keep, 0, 100000));
  if (const Json* cams = r.find("cameras")) {
    if (!cams->is_array()) return std::unexpected(r.type_error("cameras", "an array").error());
    std::set<std::string> names;
    std::set<std::string> dirs;
    for (std::size_t i = 0; i < cams->size(); ++i) {
      const std::string path = "cameras[" + std::to_string(i) + "]";
      if (!(*cams)[i].is_object()) {
        return fail(ErrorKind::invalid_argument, path + ": expected an object");
      }
      CameraConfig cam;
      ObjectReader cr((*cams)[i], path);
      CCTV_TRY(read_camera(cr, cam));
      if (!names.insert(cam.name).second) {
        return fail(ErrorKind::invalid_argument,
                    path + ".cameraName: \"" + cam.name + "\" is used twice");
      }
      if (!dirs.insert(cam.directory).second) {
        return fail(ErrorKind::invalid_argument,
                    path + ".directory: \"" + cam.directory + "\" is used twice");
      }
      config.cameras.push_back(std::move(cam));
    }
    if (config.cameras.size() > 1 && dirs.contains("")) {
      return fail(ErrorKind::invalid_argument,
                  "cameras: only a single camera can use savePath itself (directory \".\")");
    }
  }
  if (!config.default_camera.empty() && !config.cameras.empty()) {
    bool found = false;
    for (const auto& cam : config.cameras) found = found || cam.name == config.default_camera;
    if (!found) {
      return fail(ErrorKind::invalid_argument,
                  "defaultCamera: \"" + config.default_camera + "\" is not in cameras");
    }
  }
  CCTV_TRY(r.object("conversion", [&](ObjectReader& c) -> Result<void> {
    CCTV_TRY(c.boolean("enabled", config.convert_enabled));
    CCTV_TRY(c.integer("afterHours", config.convert_after_hours, 1, 100000));
    CCTV_TRY(c.integer("settleMinutes", config.convert_settle_minutes, 0, 100000));
    CCTV_TRY(c.integer("crf", config.convert_crf, 0, 51));
    CCTV_TRY(c.string("preset", config.convert_preset));
    CCTV_TRY(c.string("x265Params", config.convert_x265_params));
    CCTV_TRY(check_x265_params(config.convert_x265_params));
    static constexpr std::array<std::string_view, 10> k_presets{
        "ultrafast", "superfast", "veryfast", "faster",   "fast",
        "medium",    "slow",      "slower",   "veryslow", "placebo"};
    if (std::find(k_presets.begin(), k_presets.end(), config.convert_preset) == k_presets.end()) {
      return fail(ErrorKind::invalid_argument,
                  "conversion.preset: \"" + config.convert_preset + "\" is not an x265 preset");
    }
    return {};
  }));
  CCTV_TRY(r.object("s3Config", [&](ObjectReader& s) { return read_s3_config(s, config.s3); }));
  CCTV_TRY(r.object("awsCredentials",
                    [&](ObjectReader& s) { return read_aws_credentials(s, config.s3); }));
  CCTV_TRY(finish_s3_credentials(config.s3, [](const char* name) { return std::getenv(name); }));
  CCTV_TRY(r.object("web", [&](ObjectReader& w) -> Result<void> {
    CCTV_TRY(w.string("baseUrl", config.web_base_url));
    CCTV_TRY(w.string("title", config.web_title));
    CCTV_TRY(w.integer("threads", config.web_threads, 1, 64));
    return {};
  }));
  CCTV_TRY(r.object("export", [&](ObjectReader& e) -> Result<void> {
    return e.integer("maxMinutes", config.export_max_minutes, 1, 24 * 60);
  }));
  CCTV_TRY(r.object("timelapse", [&](ObjectReader& t) -> Result<void> {
    CCTV_TRY(t.boolean("enabled", config.timelapse_enabled));
    return t.integer("seconds", config.timelapse_seconds, 10, 600);
  }));
  if (config.web_base_url.empty() || config.web_base_url.front() != '/' ||
      config.web_base_url.back() != '/' ||
      config.web_base_url.find_first_of("\"'<> \t\r\n?#") != std::string::npos) {
    return fail(ErrorKind::invalid_argument,
                "web.baseUrl: \"" + config.web_base_url +
                    "\" must be a URL path that starts and ends with '/'");
  }
  CCTV_TRY(r.check_unknown());
  return config;
}

}  // namespace

Result<Config> parse_config(std::string_view json, std::string_view origin) {
  Json root = Json::parse(json, nullptr, /*allow_exceptions=*/false, /*ignore_comments=*/false);
  if (root.is_discarded()) {
    // Parse again with exceptions only to get the position of the error.
    try {
      [[maybe_unused]] Json again = Json::parse(json);
    } catch (const Json::parse_error& e) {
      return fail(ErrorKind::invalid_argument,
                  std::string(origin) + ": not valid JSON (byte " + std::to_string(e.byte) + ")");
    } catch (const Json::exception&) {
      // out_of_range: a number too large for a double ("1e400").
      return fail(ErrorKind::invalid_argument,
                  std::string(origin) + ": not valid JSON (a number is out of range)");
    }
    return fail(ErrorKind::invalid_argument, std::string(origin) + ": not valid JSON");
  }
  auto config = parse(root);
  if (!config) return std::unexpected(config.error().context(origin));
  return config;
}

Result<Config> load_config(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return fail(ErrorKind::not_found, path.string() + ": cannot open config file");
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return fail(ErrorKind::unavailable, path.string() + ": read error");
  return parse_config(text.str(), path.string());
}

std::string CameraConfig::source_url() const {
  const std::string credentials =
      user_name.empty() && password.empty()
          ? std::string()
          : percent_encode(user_name) + (password.empty() ? "" : ":" + percent_encode(password)) +
                "@";
  if (url.empty()) {
    if (ip_address.empty()) return {};
    const bool ipv6 = ip_address.find(':') != std::string::npos;
    const std::string host = ipv6 ? "[" + ip_address + "]" : ip_address;
    return "rtsp://" + credentials + host + ":" + std::to_string(rtsp_port) + rtsp_path;
  }
  const auto scheme_end = url.find("://");
  if (credentials.empty() || scheme_end == std::string::npos) return url;
  const std::size_t host = scheme_end + 3;
  const std::size_t authority_end = std::min(url.find_first_of("/?#", host), url.size());
  if (url.find('@', host) < authority_end) return url;  // it has credentials of its own
  return url.substr(0, host) + credentials + url.substr(host);
}

std::filesystem::path default_config_path(const char* from_argument) {
  if (from_argument != nullptr && *from_argument != '\0') return from_argument;
  const char* env = std::getenv("CCTV_CONFIG");
  if (env != nullptr && *env != '\0') return env;
  return "/etc/cctv/config.json";
}

}  // namespace cctv
