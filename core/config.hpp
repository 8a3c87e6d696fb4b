// The typed configuration, parsed once from one JSON file and passed down.
// Every key, its unit and its default are documented in docs/config.md.
#pragma once

#include "core/error.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
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
  int days_to_keep = -1;      // daysToKeep: local days kept; 0 = forever; -1 = the global one

  // Fed by uploads only (a camera streamer box): neither url nor ipAddress.
  [[nodiscard]] bool upload_only() const { return url.empty() && ip_address.empty(); }
  // Recorded by the worker: enabled and with a source.
  [[nodiscard]] bool recorded() const { return enabled && !upload_only(); }
  // The URL the recorder opens: `url` (with userName/password inserted when it has no
  // credentials of its own), else rtsp://user:pass@ipAddress:rtspPort/rtspPath, with
  // percent-encoded credentials. Secret: log it only through log::redact_url.
  [[nodiscard]] std::string source_url() const;
};

// S3 sync target and upload settings (s3Config.*, awsCredentials.*): docs/config.md, docs/s3.md.
struct S3Config {
  std::string bucket;                // s3Config.s3Bucket (alias bucket); "" = S3 sync off
  std::string prefix;                // s3Config.s3Path (alias prefix): key prefix, no '/' at
                                     // either end; "" = the bucket's root
  std::string region = "us-east-1";  // s3Config.region
  std::string endpoint;              // s3Config.endpoint: "scheme://host[:port]"; "" = AWS
                                     // (https://s3.<region>.amazonaws.com)
  bool path_style = false;           // s3Config.pathStyle: endpoint/bucket/key, not bucket.endpoint
  std::string storage_class;         // s3Config.storageClass: "" = the bucket's default
  int multipart_threshold_mb = 64;   // s3Config.multipartThresholdMB: larger files go multipart
  int multipart_part_size_mb = 16;   // s3Config.multipartPartSizeMB: part size (5 MiB minimum)
  int upload_concurrency = 4;        // s3Config.uploadConcurrency: parts sent in parallel
  int upload_limit_kbps = 0;       // s3Config.uploadLimitKBps: KiB/s for all uploads; 0 = no limit
  int presign_seconds = 21600;     // s3Config.presignSeconds: presigned URL validity, s
  bool upload_segments = true;     // s3Config.uploadSegments: upload every closed segment
  bool verify_tls = true;          // s3Config.verifyTls: check the server's certificate
  std::string access_key_id;       // awsCredentials.accessKeyId, else $AWS_ACCESS_KEY_ID
  std::string secret_access_key;   // awsCredentials.secretAccessKey, else $AWS_SECRET_ACCESS_KEY
                                   // (secret: never logged, never in a message)
  std::string session_token;       // awsCredentials.sessionToken, else $AWS_SESSION_TOKEN
                                   // (secret)
  std::string credentials_source;  // "config", "environment" or "" (none): for logs
  [[nodiscard]] bool enabled() const { return !bucket.empty(); }
  // The object key of `relative` ("front/2026-11-20/x.ts") under the prefix.
  [[nodiscard]] std::string key_for(std::string_view relative) const;
};

// The converter's defaults, chosen with bench/convert (docs/config.md, issue 4).
inline constexpr std::string_view k_default_x265_preset = "superfast";
inline constexpr std::string_view k_default_x265_params =
    "rc-lookahead=5:b-adapt=0:min-cu-size=16:rd=1";

struct Config {
  std::filesystem::path save_path;      // storageConfig.savePath: the archive root
  std::filesystem::path catalog_path;   // storageConfig.catalogPath
  bool clear_after_upload = false;      // storageConfig.clearAfterUpload
  double clear_when_path_reach_gb = 0;  // storageConfig.clearWhenFilePathReachGB; 0 = off
  double min_free_gb = 1;               // storageConfig.minFreeGB
  std::vector<CameraConfig> cameras;    // empty: discovered from savePath
  std::string default_camera;           // defaultCamera
  std::string time_zone;                // timeZone: default for cameras; "" = system zone
  int days_to_keep = 0;                 // daysToKeep: local days kept; 0 = forever
  int convert_after_hours = 48;         // conversion.afterHours
  bool convert_enabled = true;          // conversion.enabled
  int convert_settle_minutes = 60;      // conversion.settleMinutes: quiet before converting
  std::string convert_preset = std::string(k_default_x265_preset);  // conversion.preset
  int convert_crf = 28;  // conversion.crf: x265 constant rate factor
  // conversion.x265Params: "key=value:key" options after the converter's own (see
  // docs/config.md; keyint, min-keyint, scenecut, open-gop and log-level are refused).
  std::string convert_x265_params = std::string(k_default_x265_params);
  S3Config s3;
  std::string web_base_url = "/";          // web.baseUrl: URL prefix of the archive and pages
  std::string web_title = "CCTV archive";  // web.title
  int web_threads = 4;                     // web.threads: FastCGI accept threads
  int export_max_minutes = 60;             // export.maxMinutes: longest MP4 export
  bool timelapse_enabled = true;           // timelapse.enabled: a timelapse.mp4 per closed day
  int timelapse_seconds = 60;              // timelapse.seconds: its length (10..600)
};

// Parses a config document; `origin` names it in errors ("/etc/cctv/config.json").
// Unknown keys and wrong types are errors that name their JSON path.
Result<Config> parse_config(std::string_view json, std::string_view origin = "config");
Result<Config> load_config(const std::filesystem::path& path);

// Completes the S3 credentials when S3 is on and awsCredentials gave none: from the
// environment variables AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN,
// read through `env` (std::getenv in parse_config; a fake in tests). No credentials at all
// is an error. Called by parse_config.
Result<void> finish_s3_credentials(S3Config& s3,
                                   const std::function<const char*(const char*)>& env);

// The config file to use: --config, else $CCTV_CONFIG, else /etc/cctv/config.json.
std::filesystem::path default_config_path(const char* from_argument);

}  // namespace cctv
