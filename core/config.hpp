// The typed configuration, parsed once from one JSON file and passed down.
// Every key, its unit and its default are documented in docs/config.md.
#pragma once

#include "core/error.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cctv {

struct CameraConfig {
  std::string name;        // cameraName: also the URL and directory name
  std::string directory;   // relative to savePath; "" = savePath itself (legacy layout)
  std::string url;         // url as given (rtsp://, http://, a file...); "" = none
  std::string ip_address;  // ipAddress: the camera's host, when url is absent
  int rtsp_port = 554;     // rtspPort
  std::string rtsp_path;   // rtspPath; "" = "/" + videoFeedId, else "/"
  std::string user_name;   // userName
  std::string password;    // password (secret: never logged)
  int frame_rate = 0;      // frameRate, fps; 0 = as the camera sends (checked, never forced)
  std::string resolution;  // resolution, "WxH" as given; "" = not given
  int width = 0;           // ... parsed: checked against the stream, never forced
  int height = 0;
  int segment_seconds = 10;   // segmentSeconds (alias videoDuration): segment length, s
  std::string video_feed_id;  // videoFeedId: path of the stream on the camera
  std::string time_zone;      // timeZone; "" = the global timeZone
  bool enabled = true;        // enabled: false keeps the camera's archive but records nothing

  // Fed by uploads only (a camera streamer box): neither url nor ipAddress.
  [[nodiscard]] bool upload_only() const { return url.empty() && ip_address.empty(); }
  // Recorded by the worker: enabled and with a source.
  [[nodiscard]] bool recorded() const { return enabled && !upload_only(); }
  // The URL the recorder opens: `url` (with userName/password inserted when it has no
  // credentials of its own), else rtsp://user:pass@ipAddress:rtspPort/rtspPath, with
  // percent-encoded credentials. Secret: log it only through log::redact_url.
  [[nodiscard]] std::string source_url() const;
};

struct S3Config {
  std::string bucket;
  std::string region = "us-east-1";
  std::string endpoint;  // "" = AWS
  std::string prefix;
  bool path_style = false;
  std::string access_key_id;      // awsCredentials.accessKeyId
  std::string secret_access_key;  // awsCredentials.secretAccessKey (secret)
  [[nodiscard]] bool enabled() const { return !bucket.empty(); }
};

struct Config {
  std::filesystem::path save_path;          // storageConfig.savePath: the archive root
  std::filesystem::path catalog_path;       // storageConfig.catalogPath
  bool clear_after_upload = false;          // storageConfig.clearAfterUpload
  double clear_when_path_reach_gb = 0;      // storageConfig.clearWhenFilePathReachGB; 0 = off
  double min_free_gb = 1;                   // storageConfig.minFreeGB
  std::vector<CameraConfig> cameras;        // empty: discovered from savePath
  std::string default_camera;               // defaultCamera
  std::string time_zone;                    // timeZone: default for cameras; "" = system zone
  int days_to_keep = 0;                     // 0 = keep forever
  int convert_after_hours = 48;             // conversion.afterHours
  bool convert_enabled = true;              // conversion.enabled
  int convert_settle_minutes = 60;          // conversion.settleMinutes: quiet before converting
  std::string convert_preset = "veryfast";  // conversion.preset: x265 preset
  int convert_crf = 28;                     // conversion.crf: x265 constant rate factor
  S3Config s3;
  std::string web_base_url = "/";          // web.baseUrl: URL prefix of the archive and pages
  std::string web_title = "CCTV archive";  // web.title
  int web_threads = 4;                     // web.threads: FastCGI accept threads
};

// Parses a config document; `origin` names it in errors ("/etc/cctv/config.json").
// Unknown keys and wrong types are errors that name their JSON path.
Result<Config> parse_config(std::string_view json, std::string_view origin = "config");
Result<Config> load_config(const std::filesystem::path& path);

// The config file to use: --config, else $CCTV_CONFIG, else /etc/cctv/config.json.
std::filesystem::path default_config_path(const char* from_argument);

}  // namespace cctv
