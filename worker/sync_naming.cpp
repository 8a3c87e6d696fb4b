#include "worker/sync_naming.hpp"

#include <array>
#include <cstdio>

namespace cctv::worker {

std::string key_time(UtcMicros time) {
  const LocalTime t = utc_fields(time);
  std::array<char, 32> text{};
  (void)std::snprintf(text.data(), text.size(), "%04d%02d%02dT%02d%02d%02dZ", t.date.year,
                      t.date.month, t.date.day, t.hour, t.minute, t.second);
  return text.data();
}

std::string key_feed_id(std::string_view feed_id) {
  while (feed_id.starts_with('/')) feed_id.remove_prefix(1);
  while (feed_id.ends_with('/')) feed_id.remove_suffix(1);
  std::string out;
  out.reserve(feed_id.size());
  for (const char c : feed_id) {
    const bool keep = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '-';
    out.push_back(keep ? c : '-');
  }
  return out;
}

std::string_view key_extension(std::string_view file_name) {
  const auto dot = file_name.find('.');
  return dot == std::string_view::npos ? std::string_view() : file_name.substr(dot + 1);
}

std::string object_key(const S3Config& s3, const KeyParts& parts) {
  const UtcMicros end_rounded = parts.end_us + k_micros_per_second / 2;
  std::string name(parts.camera);
  const std::string feed = key_feed_id(parts.feed_id);
  if (!feed.empty()) name += "_" + feed;
  name += "_" + key_time(parts.start_us) + "_" + key_time(end_rounded);
  const std::string_view ext = key_extension(parts.file_name);
  if (!ext.empty()) name += "." + std::string(ext);
  return s3.key_for(std::string(parts.camera) + "/" + format_date(parts.date) + "/" + name);
}

}  // namespace cctv::worker
