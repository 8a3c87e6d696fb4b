// Saved moments: every GET /moment.mp4 or /moment.gif is kept as
// `<camera dir>/moments/moment_YYYY-MM-DD_HHMMSS[-N].{mp4,gif}` (the camera's local time
// of the request, i.e. of the event; `-2`, `-3`... for more in the same second), served
// by nginx, listed by the API and the index page. They are the operator's to delete:
// retention does not touch them.
#pragma once

#include "core/civil_time.hpp"
#include "core/error.hpp"
#include "core/layout.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cctv::web {

// The API and the index page list at most this many, newest first.
inline constexpr std::size_t k_max_listed_moments = 100;
// A camera keeps at most this many; beyond, moments are answered but not saved.
inline constexpr std::size_t k_max_saved_moments = 1000;
// Moments in one second of one format: moment_..._HHMMSS.mp4, then -2 .. -99.
inline constexpr int k_max_moment_number = 99;

struct MomentFile {
  std::string name;    // "moment_2026-11-21_101500.mp4"
  std::string format;  // "mp4" or "gif"
  LocalTime time;
  int number = 1;  // the -N suffix; 1 without one
  std::int64_t bytes = 0;
};

// "moment_<YYYY-MM-DD>_<HHMMSS>[-<number>].<format>" (no suffix for number 1)
std::string moment_file_name(const LocalTime& time, std::string_view format, int number = 1);
// The parts of a moment's file name; nullopt for any other name (a .part, a dot-file).
std::optional<MomentFile> parse_moment_name(std::string_view name);

// The moments in `dir`, newest first, at most `limit` (an absent directory has none);
// `total` (when given) is how many there are in all.
Result<std::vector<MomentFile>> list_moments(const std::filesystem::path& dir, std::size_t limit,
                                             std::size_t* total = nullptr);

}  // namespace cctv::web
