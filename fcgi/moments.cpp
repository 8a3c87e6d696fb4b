#include "fcgi/moments.hpp"

#include <algorithm>
#include <system_error>
#include <tuple>

namespace cctv::web {

std::string moment_file_name(const LocalTime& time, std::string_view format) {
  const std::string hhmmss = format_hhmmss(time.hour * 3600 + time.minute * 60 + time.second, '\0');
  return "moment_" + format_date(time.date) + "_" + hhmmss + "." + std::string(format);
}

std::optional<MomentFile> parse_moment_name(std::string_view name) {
  constexpr std::string_view k_prefix = "moment_";
  // moment_ YYYY-MM-DD _ HHMMSS . ext(3)
  if (name.size() != k_prefix.size() + 10 + 1 + 6 + 4 || !name.starts_with(k_prefix)) {
    return std::nullopt;
  }
  name.remove_prefix(k_prefix.size());
  const auto date = parse_date(name.substr(0, 10));
  const auto seconds = parse_hhmmss(name.substr(11, 6));
  const std::string_view format = name.substr(18);
  if (!date || !seconds || name[10] != '_' || name[17] != '.' ||
      (format != "mp4" && format != "gif")) {
    return std::nullopt;
  }
  MomentFile out;
  out.name = std::string(k_prefix) + std::string(name);
  out.format = std::string(format);
  out.time = LocalTime{*date, *seconds / 3600, *seconds / 60 % 60, *seconds % 60};
  return out;
}

Result<std::vector<MomentFile>> list_moments(const std::filesystem::path& dir, std::size_t limit) {
  std::vector<MomentFile> out;
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
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
                      m.format);
  };
  std::ranges::sort(out, [&](const MomentFile& a, const MomentFile& b) { return key(a) > key(b); });
  if (out.size() > limit) out.resize(limit);
  return out;
}

}  // namespace cctv::web
