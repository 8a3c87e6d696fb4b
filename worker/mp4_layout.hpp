// The layout of a fragmented MP4 as the converter writes it: top-level boxes, the init
// section (ftyp + moov), one moof+mdat pair per fragment, and each fragment's start
// and duration from the demuxer. Used to record a converted day in the catalog and to
// check a finished video.mp4 found after a crash.
#pragma once

#include "core/catalog.hpp"
#include "core/civil_time.hpp"
#include "core/error.hpp"

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace cctv::worker {

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

// Fills in each fragment's start (day_start_us + its first presentation time) and
// duration (up to the next fragment, or the sum of its frames' durations where a
// skipped segment left a hole), and the day's codec text. An error when the keyframes
// do not match the fragments one to one.
Result<void> time_fragments(const std::filesystem::path& file, UtcMicros day_start_us,
                            ConvertedDay& day);

}  // namespace cctv::worker
