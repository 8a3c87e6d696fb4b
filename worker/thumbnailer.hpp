// Thumbnails: a small JPEG of the first keyframe of a segment (or of one fragment of a
// converted day's video.mp4), for the player's timeline. Pure libav: decode one
// keyframe, scale it with libswscale (keeping the aspect), encode it with libavcodec's
// MJPEG encoder, then write it atomically (`.part`, fsync, rename, fsync of the
// directory). On disk: `<day dir>/thumbs/video_HHMMSS.jpg`, the base name of the segment
// (see docs/worker.md, "Thumbnails").
#pragma once

#include "core/error.hpp"
#include "core/files.hpp"

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace cctv::worker {

// The thumbnail directory inside a day directory.
inline constexpr std::string_view k_thumbs_dir = "thumbs";

struct ThumbnailOptions {
  int width = 160;         // pixels; the height keeps the aspect (rounded to even)
  int quality = 5;         // MJPEG qscale, 2 (best) .. 31
  int max_packets = 2000;  // of the video stream read before giving up on a keyframe
};

// A byte range of a fragmented MP4: its init section (ftyp + moov, from offset 0) and
// one fragment (moof + mdat).
struct FragmentRange {
  std::int64_t init_size = 0;
  std::int64_t offset = 0;
  std::int64_t length = 0;
};

// "video_101500.ts" -> "video_101500.jpg"; "" for a name that is not a segment's.
std::string thumbnail_name(std::string_view segment_name);
// The thumbnail name of a piece starting at `seconds_of_day` (local): "video_HHMMSS.jpg".
std::string thumbnail_name_at(int seconds_of_day);
// <day_dir>/thumbs/<name>
std::filesystem::path thumbnail_path(const std::filesystem::path& day_dir, std::string_view name);

// The JPEG bytes of the first keyframe of `file` (any container libavformat reads).
// data_loss when the file has no decodable keyframe, not_found when it is missing.
Result<std::string> make_thumbnail(const std::filesystem::path& file,
                                   const ThumbnailOptions& options = {});
// The same for one fragment of a fragmented MP4 (init section + that fragment only).
Result<std::string> make_fragment_thumbnail(const std::filesystem::path& file,
                                            const FragmentRange& range,
                                            const ThumbnailOptions& options = {});

// The thumbnail writer (core/atomic_file.hpp), as the worker's modules call it.
using cctv::write_file_atomically;

}  // namespace cctv::worker
