// The archive layout on disk, compatible with the original PHP/bash system:
//   ROOT/<camera>/YYYY-MM-DD/video_HHMMSS.ts   (multi-camera)
//   ROOT/YYYY-MM-DD/video_HHMMSS.ts            (legacy single-camera root)
// plus optional `video_HHMMSS.ts.duration` sidecars (seconds, text) and, for a
// converted day, `video.mp4` + `video.mp4.sha512sum`. Files being written are
// `*.part` or dot-files and are ignored until renamed into place. Made from them:
// `<day>/thumbs/video_HHMMSS.jpg`, `<day>/timelapse.mp4` (the worker) and
// `<camera>/moments/moment_<date>_<HHMMSS>.{mp4,gif}` (cctv-export).
#pragma once

#include "core/civil_time.hpp"
#include "core/error.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cctv {

// The worker's timelapse of a day, in its day directory (worker/timelapse.hpp).
inline constexpr std::string_view k_timelapse_name = "timelapse.mp4";
// Saved moments, in the camera's directory (fcgi/moments.hpp).
inline constexpr std::string_view k_moments_dir = "moments";

// Names that cannot be cameras because the web front end uses them.
bool is_reserved_name(std::string_view name);
// [A-Za-z0-9][A-Za-z0-9_.-]{0,63}, not shaped like a date (NNNN-NN-NN), not reserved.
bool is_valid_camera_name(std::string_view name);

// "video_101500.ts" -> 36900 (seconds of the local day); nullopt for anything else.
std::optional<int> parse_segment_name(std::string_view file_name);
std::string segment_name(int seconds_of_day);  // 36900 -> "video_101500.ts"
// Files that are still being written: "*.part", dot-files.
bool is_partial_name(std::string_view file_name);

// Parses a `.duration` sidecar: seconds, from 0.001 to a day.
std::optional<double> parse_duration_sidecar(std::string_view text);

struct CameraDir {
  std::string name;
  std::string directory;  // relative to the root; "" for a legacy root
};

// The cameras found under an archive root: a legacy root (day directories directly
// inside) is one camera named `legacy_name`; otherwise every directory with a valid
// camera name is a camera.
std::vector<CameraDir> discover_cameras(const std::filesystem::path& root,
                                        std::string_view legacy_name = "camera");

struct SegmentFile {
  std::string name;  // "video_101500.ts"
  int seconds_of_day = 0;
};

// Day directories of a camera directory, oldest first.
std::vector<Date> list_days(const std::filesystem::path& camera_dir);
// Closed segment files of a day directory, in time order.
std::vector<SegmentFile> list_segments(const std::filesystem::path& day_dir);

}  // namespace cctv
