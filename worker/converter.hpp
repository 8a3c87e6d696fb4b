// The converter: replaces a settled day's segments with one fragmented MP4 in H.265
// (libx265, tag hvc1, one fragment per source segment, each starting on an IDR frame),
// video.mp4 plus video.mp4.sha512sum in `sha512sum` format, recorded in the catalog
// (Catalog::put_converted_day) before the segments are deleted. See docs/worker.md.
#pragma once

#include "core/catalog.hpp"
#include "core/error.hpp"

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace cctv::worker {

struct ConvertOptions {
  std::string preset = "veryfast";  // x265 preset (conversion.preset)
  int crf = 28;                     // x265 constant rate factor (conversion.crf)
  // Stops an encoding between frames (SIGTERM): the .part is abandoned, segments intact.
  const std::atomic<bool>* stop = nullptr;
};

// A top-level box of an MP4 file.
struct Mp4Box {
  std::string type;  // "ftyp", "moov", "moof", "mdat"...
  std::int64_t offset = 0;
  std::int64_t size = 0;
};

// The top-level boxes of an MP4 file, in order; an error if one is truncated.
Result<std::vector<Mp4Box>> read_top_level_boxes(const std::filesystem::path& file);

// The init section (everything before the first moof) and the moof+mdat pairs, with
// offsets and sizes filled in (start and duration left 0).
Result<ConvertedDay> layout_of(const std::filesystem::path& file);

// Converts one day of camera `camera_id` whose segments live in `day_dir` now, ignoring
// the age rule: crash leftovers first (a .part is removed; a finished video.mp4 whose
// checksum matches is kept and finished, otherwise redone), then encode, fsync,
// rename, checksum, verify, catalog, delete the segments. A segment that fails to
// decode is logged and skipped.
Result<ConvertedDay> convert_day(Catalog& catalog, std::int64_t camera_id,
                                 const std::filesystem::path& day_dir, const Date& date,
                                 const ConvertOptions& options);

}  // namespace cctv::worker
