#include "fcgi/human.hpp"

#include <array>
#include <cstdio>

namespace cctv::web {

std::string human_bytes(std::int64_t bytes) {
  static constexpr std::array<const char*, 6> k_units{"B", "kB", "MB", "GB", "TB", "PB"};
  if (bytes < 1000) return std::to_string(bytes < 0 ? 0 : bytes) + " B";
  auto value = static_cast<double>(bytes);
  std::size_t unit = 0;
  while (value >= 999.95 && unit + 1 < k_units.size()) {
    value /= 1000;
    ++unit;
  }
  std::array<char, 32> buf{};
  std::snprintf(buf.data(), buf.size(), value < 100 ? "%.1f %s" : "%.0f %s", value,
                k_units.at(unit));
  return buf.data();
}

std::string human_duration(std::int64_t micros) {
  const std::int64_t s = micros < 0 ? 0 : (micros + 500'000) / 1'000'000;
  if (s < 60) return std::to_string(s) + " s";
  if (s < 3600) {
    return std::to_string(s / 60) + " min" +
           (s % 60 != 0 ? " " + std::to_string(s % 60) + " s" : "");
  }
  const std::int64_t minutes = (s + 30) / 60;
  return std::to_string(minutes / 60) + " h" +
         (minutes % 60 != 0 ? " " + std::to_string(minutes % 60) + " min" : "");
}

}  // namespace cctv::web
