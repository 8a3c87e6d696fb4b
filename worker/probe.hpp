// Probing a segment file with libavformat: its exact duration and its codec.
#pragma once

#include "core/error.hpp"

#include <cstdint>
#include <filesystem>
#include <string>

namespace cctv::worker {

struct ProbeResult {
  std::int64_t duration_us = 0;  // 0 when probed with ProbeMode::codec_only
  std::string codec;             // "h264 640x360": a change is a discontinuity
};

enum class ProbeMode {
  exact,       // demux the whole file: duration = max(pts + duration) - min(pts)
  codec_only,  // stream information only (the duration comes from a sidecar)
};

// Probes the first video stream of a file. A file that is not a media file, is
// empty or has no video packets is an error (data_loss / not_found), never a crash.
Result<ProbeResult> probe_segment(const std::filesystem::path& path,
                                  ProbeMode mode = ProbeMode::exact);

}  // namespace cctv::worker
