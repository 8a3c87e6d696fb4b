// Numbers for people: sizes and durations as shown on the index page.
#pragma once

#include <cstdint>
#include <string>

namespace cctv::web {

std::string human_bytes(std::int64_t bytes);      // "0 B", "999 B", "1.5 kB", "12.3 GB"
std::string human_duration(std::int64_t micros);  // "0 s", "42 s", "2 min 10 s", "23 h 58 min"

}  // namespace cctv::web
