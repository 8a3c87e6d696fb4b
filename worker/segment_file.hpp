// One segment file on disk -> the catalog's Segment: start time from the day
// directory and the file name in the camera's time zone (UTC in the catalog),
// duration from the `.duration` sidecar when present and valid, else probed.
#pragma once

#include "core/catalog.hpp"
#include "core/civil_time.hpp"
#include "core/error.hpp"
#include "core/segment.hpp"

#include <filesystem>
#include <optional>
#include <string>

namespace cctv::worker {

// Size and modification time of a regular file; nullopt if it is not one.
std::optional<FileStamp> stamp_of(const std::filesystem::path& path);

// The UTC start of `video_HHMMSS.ts` in day directory `date` of a camera in `zone`.
// A time skipped by a DST change moves forward by the change (02:30 on a
// spring-forward day is 03:30 local); a repeated one is its first occurrence.
std::optional<UtcMicros> segment_start(const TimeZone& zone, const Date& date,
                                       std::string_view name);

// The `.duration` sidecar of a segment file, if present and valid.
std::optional<double> read_duration_sidecar(const std::filesystem::path& segment);

// Reads a segment file of day directory `day_dir`. With a sidecar the file is still
// opened for its codec (a file that is not media is an error either way).
Result<Segment> read_segment_file(const TimeZone& zone, const std::filesystem::path& day_dir,
                                  const Date& date, const std::string& name,
                                  const FileStamp& stamp);

}  // namespace cctv::worker
