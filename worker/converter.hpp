// The converter: replaces a settled day's segments with one fragmented MP4 in H.265
// (libx265, tag hvc1, one fragment per source segment, each starting on an IDR frame),
// video.mp4 plus video.mp4.sha512sum in `sha512sum` format, recorded in the catalog
// (Catalog::put_converted_day) before the segments are deleted. See docs/worker.md.
#pragma once

#include "core/catalog.hpp"
#include "core/config.hpp"
#include "core/error.hpp"
#include "worker/mp4_layout.hpp"

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace cctv::worker {

struct ConvertOptions {
  std::string preset = std::string(k_default_x265_preset);  // conversion.preset
  int crf = 28;  // x265 constant rate factor (conversion.crf)
  std::string x265_params = std::string(k_default_x265_params);  // conversion.x265Params
  // Stops an encoding between frames (SIGTERM): the .part is abandoned, segments intact.
  const std::atomic<bool>* stop = nullptr;
};

// Converts one day of camera `camera_id` whose segments live in `day_dir` now, ignoring
// the age rule: crash leftovers first (a .part is removed; a finished video.mp4 whose
// checksum matches is kept and finished, otherwise redone), then encode, fsync,
// rename, checksum, verify, catalog, delete the segments. A segment that fails to
// decode is logged and skipped.
Result<ConvertedDay> convert_day(Catalog& catalog, std::int64_t camera_id,
                                 const std::filesystem::path& day_dir, const Date& date,
                                 const ConvertOptions& options);

}  // namespace cctv::worker
