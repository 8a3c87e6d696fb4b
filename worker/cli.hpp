// The command line of cctv-worker.
//
//   cctv-worker [--config FILE] [--log-level LEVEL]
//               [--check-config | --reindex | --once [--timeout SECONDS] |
//                --convert-now DATE [--camera NAME] | --timelapse-now DATE [--camera NAME]]
//
// Exit codes: 0 success, 1 failure (bad config, unreadable catalog...), 2 usage error.
// --once: 0 when every pass is done (indexed, retention's limits hold, everything in S3),
// 1 when a pass failed, 3 when files still wait for their upload to S3.
#pragma once

#include "core/config.hpp"
#include "core/error.hpp"
#include "core/log.hpp"

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace cctv::worker {

inline constexpr int k_exit_ok = 0;
inline constexpr int k_exit_failure = 1;
inline constexpr int k_exit_usage = 2;
// --once with S3 on: the upload queue is not empty at the end (timeout, or S3 refused).
inline constexpr int k_exit_unsynced = 3;

struct Options {
  std::string config;  // --config FILE; "" = $CCTV_CONFIG, else /etc/cctv/config.json
  bool check_config = false;
  bool reindex = false;
  bool once = false;          // --once: one pass of indexing, S3 sync and retention, then exit
  int timeout_seconds = 600;  // --timeout SECONDS: --once waits this long for the uploads
  std::string convert_now;    // --convert-now DATE (YYYY-MM-DD): convert that day and exit
  std::string timelapse_now;  // --timelapse-now DATE: make that day's timelapse.mp4 and exit
  std::string camera;  // --camera NAME: only this camera (with --convert-now, --timelapse-now)
  bool help = false;
  log::Level log_level = log::Level::info;
};

// Parses the arguments after the program name; errors are usage errors.
Result<Options> parse_options(const std::vector<std::string_view>& args);
std::string usage();

// Loads and checks a config: "config OK: 3 cameras, archive /srv/cctv, catalog
// /var/lib/cctv/catalog.sqlite", or the one-line error naming the JSON path. The
// archive root must be a directory; without `cameras` they are counted in it.
Result<std::string> check_config(const std::filesystem::path& path);

}  // namespace cctv::worker
