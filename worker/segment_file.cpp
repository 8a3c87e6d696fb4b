#include "worker/segment_file.hpp"

#include "core/layout.hpp"
#include "worker/probe.hpp"

#include <sys/stat.h>

#include <array>
#include <cmath>
#include <fstream>

namespace cctv::worker {

std::optional<FileStamp> stamp_of(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  return FileStamp{
      static_cast<std::int64_t>(st.st_size),
      static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec};
}

std::optional<UtcMicros> segment_start(const TimeZone& zone, const Date& date,
                                       std::string_view name) {
  const auto seconds = parse_segment_name(name);
  if (!seconds) return std::nullopt;
  return zone.to_utc(LocalTime{date, *seconds / 3600, *seconds / 60 % 60, *seconds % 60});
}

std::optional<double> read_duration_sidecar(const std::filesystem::path& segment) {
  std::ifstream in(segment.string() + ".duration", std::ios::binary);
  if (!in) return std::nullopt;
  std::array<char, 64> buf{};
  in.read(buf.data(), buf.size());
  return parse_duration_sidecar(
      std::string_view(buf.data(), static_cast<std::size_t>(in.gcount())));
}

Result<Segment> read_segment_file(const TimeZone& zone, const std::filesystem::path& day_dir,
                                  const Date& date, const std::string& name,
                                  const FileStamp& stamp) {
  const auto start = segment_start(zone, date, name);
  if (!start) return fail(ErrorKind::invalid_argument, name + ": not a segment name");
  const auto path = day_dir / name;
  const auto sidecar = read_duration_sidecar(path);
  auto probe = probe_segment(path, sidecar ? ProbeMode::codec_only : ProbeMode::exact);
  if (!probe) return std::unexpected(probe.error());
  Segment segment;
  segment.date = date;
  segment.name = name;
  segment.start_us = *start;
  segment.duration_us = sidecar ? std::llround(*sidecar * static_cast<double>(k_micros_per_second))
                                : probe->duration_us;
  segment.size_bytes = stamp.size_bytes;
  segment.codec = std::move(probe->codec);
  segment.mtime_ns = stamp.mtime_ns;
  return segment;
}

}  // namespace cctv::worker
