// GET /frame.jpg: the newest keyframe of a camera as a JPEG, the libav part. A segment
// still being written (`*.ts.part`) is read too: only keyframes followed by more video
// are taken from it, so a picture is never cut by the writer.
#pragma once

#include "core/error.hpp"

#include <cstdint>
#include <filesystem>
#include <string>

namespace cctv::web {

struct Keyframe {
  std::string jpeg;
  std::int64_t offset_us = 0;  // from the first video packet of the file
  int width = 0;
  int height = 0;
};

// The last (complete, when `growing`) keyframe of `file` as a JPEG of at most
// `max_width` pixels. not_found when the file is missing, data_loss when it has no
// decodable keyframe.
Result<Keyframe> last_keyframe_jpeg(const std::filesystem::path& file, bool growing,
                                    int max_width = 1920);

}  // namespace cctv::web
