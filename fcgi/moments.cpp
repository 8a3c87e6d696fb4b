#include "fcgi/moments.hpp"

#include <algorithm>
#include <string>
#include <system_error>
#include <tuple>

namespace cctv::web {

std::string moment_file_name(const LocalTime& time, std::string_view format, int number) {
  const std::string hhmmss = format_hhmmss(time.hour * 3600 + time.minute * 60 + time.second, '\0');
  const std::string suffix = number > 1 ? "-" + std::to_string(number) : "";
  return "moment_" + format_date(time.date) + "_" + hhmmss + suffix + "." + std::string(format);
}

std::optional<MomentFile> parse_moment_name(std::string_view name) {
  constexpr std::string_view k_prefix = "moment_";
  constexpr std::size_t k_stem = 10 + 1 + 6;  // YYYY-MM-DD_HHMMSS
  const std::size_t dot = name.rfind('.');
  if (!name.starts_with(k_prefix) || dot == std::string_view::npos) return std::nullopt;
  const std::string_view format = name.substr(dot + 1);
  std::string_view stem = name.substr(k_prefix.size(), dot - k_prefix.size());
  if ((format != "mp4" && format != "gif") || stem.size() < k_stem) return std::nullopt;
  int number = 1;
  if (stem.size() > k_stem) {  // "-N", N from 2 without a leading zero
    const std::string_view suffix = stem.substr(k_stem);
    if (suffix.size() < 2 || suffix.size() > 3 || suffix[0] != '-' || suffix[1] == '0' ||
        !std::all_of(suffix.begin() + 1, suffix.end(),
                     [](char c) { return c >= '0' && c <= '9'; })) {
      return std::nullopt;
    }
    number = std::stoi(std::string(suffix.substr(1)));
    if (number < 2) return std::nullopt;
    stem = stem.substr(0, k_stem);
  }
  const auto date = parse_date(stem.substr(0, 10));
  const auto seconds = parse_hhmmss(stem.substr(11, 6));
  if (!date || !seconds || stem[10] != '_') return std::nullopt;
  MomentFile out;
  out.name = std::string(name);
  out.format = std::string(format);
  out.time = LocalTime{*date, *seconds / 3600, *seconds / 60 % 60, *seconds % 60};
  out.number = number;
  return out;
}

Result<std::vector<MomentFile>> list_moments(const std::filesystem::path& dir, std::size_t limit,
                                             std::size_t* total) {
  std::vector<MomentFile> out;
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  if (total != nullptr) *total = 0;
  if (ec) {
    if (ec == std::errc::no_such_file_or_directory) return out;
    return fail(ErrorKind::unavailable, "list " + dir.string() + ": " + ec.message());
  }
  for (const auto& entry : it) {
    auto moment = parse_moment_name(entry.path().filename().string());
    if (!moment || !entry.is_regular_file(ec)) continue;
    const auto size = entry.file_size(ec);
    if (ec) continue;  // deleted meanwhile
    moment->bytes = static_cast<std::int64_t>(size);
    out.push_back(std::move(*moment));
  }
  auto key = [](const MomentFile& m) {
    return std::tuple(days_from_civil(m.time.date), m.time.hour, m.time.minute, m.time.second,
                      m.number, m.format);
  };
  std::ranges::sort(out, [&](const MomentFile& a, const MomentFile& b) { return key(a) > key(b); });
  if (total != nullptr) *total = out.size();
  if (out.size() > limit) out.resize(limit);
  return out;
}

}  // namespace cctv::web
