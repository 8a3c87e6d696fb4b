#include "core/layout.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <system_error>

namespace cctv {

bool is_reserved_name(std::string_view name) {
  static constexpr std::array<std::string_view, 15> k_reserved{
      "assets",       "upload",      "api",        "live",        "playlist.m3u8",
      "playlist.php", "player.html", "index.html", "favicon.ico", "favicon.svg",
      "export.mp4",   "frame.jpg",   "moment.mp4", "moment.gif",  "moments"};
  return std::find(k_reserved.begin(), k_reserved.end(), name) != k_reserved.end();
}

bool is_valid_camera_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  if (!alnum(name.front())) return false;
  for (char c : name) {
    if (!alnum(c) && c != '_' && c != '-' && c != '.') return false;
  }
  // Anything shaped like a date (even an impossible one) would be taken for a day
  // directory of a legacy root, by nginx's routes as much as by discovery.
  const bool date_shaped = name.size() == 10 && name[4] == '-' && name[7] == '-' &&
                           std::all_of(name.begin(), name.end(),
                                       [](char c) { return c == '-' || (c >= '0' && c <= '9'); });
  return !date_shaped && !is_reserved_name(name);
}

std::optional<int> parse_segment_name(std::string_view file_name) {
  constexpr std::string_view k_prefix = "video_";
  constexpr std::string_view k_suffix = ".ts";
  if (file_name.size() != k_prefix.size() + 6 + k_suffix.size() ||
      !file_name.starts_with(k_prefix) || !file_name.ends_with(k_suffix)) {
    return std::nullopt;
  }
  return parse_hhmmss(file_name.substr(k_prefix.size(), 6));
}

std::string segment_name(int seconds_of_day) {
  return "video_" + format_hhmmss(seconds_of_day, '\0') + ".ts";
}

bool is_partial_name(std::string_view file_name) {
  return file_name.starts_with('.') || file_name.ends_with(".part");
}

std::optional<double> parse_duration_sidecar(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.remove_suffix(1);
  }
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value) ||
      value < 0.001 || value > 86400) {  // below a millisecond rounds to nothing
    return std::nullopt;
  }
  return value;
}

std::vector<CameraDir> discover_cameras(const std::filesystem::path& root,
                                        std::string_view legacy_name) {
  std::vector<CameraDir> cameras;
  std::error_code ec;
  bool legacy = false;
  for (const auto& entry : std::filesystem::directory_iterator(root, ec)) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_directory(ec)) continue;
    if (parse_date(name)) {
      legacy = true;
    } else if (is_valid_camera_name(name)) {
      cameras.push_back(CameraDir{name, name});
    }
  }
  if (legacy) return {CameraDir{std::string(legacy_name), ""}};
  std::sort(cameras.begin(), cameras.end(),
            [](const CameraDir& a, const CameraDir& b) { return a.name < b.name; });
  return cameras;
}

std::vector<Date> list_days(const std::filesystem::path& camera_dir) {
  std::vector<Date> days;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(camera_dir, ec)) {
    if (!entry.is_directory(ec)) continue;
    if (auto date = parse_date(entry.path().filename().string())) days.push_back(*date);
  }
  std::sort(days.begin(), days.end());
  return days;
}

std::vector<SegmentFile> list_segments(const std::filesystem::path& day_dir) {
  std::vector<SegmentFile> segments;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(day_dir, ec)) {
    std::string name = entry.path().filename().string();
    auto seconds = parse_segment_name(name);
    if (!seconds || !entry.is_regular_file(ec)) continue;
    segments.push_back(SegmentFile{std::move(name), *seconds});
  }
  std::sort(segments.begin(), segments.end(), [](const SegmentFile& a, const SegmentFile& b) {
    return a.seconds_of_day < b.seconds_of_day;
  });
  return segments;
}

}  // namespace cctv
