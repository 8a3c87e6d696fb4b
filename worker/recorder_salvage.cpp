#include "worker/recorder_salvage.hpp"

#include "core/av.hpp"
#include "core/layout.hpp"
#include "core/log.hpp"
#include "worker/probe.hpp"
#include "worker/recorder_writer.hpp"
#include "worker/segment_file.hpp"

#include <vector>

namespace cctv::worker {
namespace {

constexpr std::string_view k_part = ".part";
constexpr std::size_t k_days_searched = 2;

// Why a part is not worth keeping, or nothing when it is.
std::optional<std::string> unplayable(const std::filesystem::path& part) {
  auto probe = probe_segment(part);
  if (!probe) return probe.error().message;
  if (probe->duration_us <= 0) return "no duration";
  if (!has_video_keyframe(part)) return "no video keyframe";
  return std::nullopt;
}

Result<bool> salvage_part(const Camera& camera, Catalog& catalog, const Date& date,
                          const std::filesystem::path& part) {
  const std::string name = part.filename().string();
  const auto wanted =
      parse_segment_name(std::string_view(name).substr(0, name.size() - k_part.size()));
  const std::string where = "cam=" + camera.name + " " + format_date(date) + "/";
  if (auto why = unplayable(part)) {
    std::error_code ec;
    std::filesystem::remove(part, ec);
    log::warning(where + name + " removed: not playable (" + *why + ")");
    return false;
  }
  const auto dir = part.parent_path();
  const auto second = free_second(dir, *wanted, part);
  if (!second) return fail(ErrorKind::unavailable, where + name + ": no free name left that day");
  const std::string final_name = segment_name(*second);
  CCTV_TRY(publish(part, dir / final_name));
  const auto stamp = stamp_of(dir / final_name);
  if (!stamp) return fail(ErrorKind::not_found, where + final_name + " vanished");
  auto segment = read_segment_file(camera.zone, dir, date, final_name, *stamp);
  if (!segment) return std::unexpected(segment.error());
  CCTV_TRY(catalog.put_segment(camera.id, *segment));
  log::notice(where + final_name + " salvaged from " + name + " (" +
              std::to_string(segment->duration_us / 1000) + " ms)");
  return true;
}

}  // namespace

bool has_video_keyframe(const std::filesystem::path& path) {
  auto input = av::open_input(path.string());
  if (!input) return false;
  const int video = av_find_best_stream(input->get(), AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  auto packet = av::make_packet();
  if (video < 0 || !packet) return false;
  while (av_read_frame(input->get(), packet->get()) >= 0) {
    const bool key = (*packet)->stream_index == video && ((*packet)->flags & AV_PKT_FLAG_KEY) != 0;
    av_packet_unref(packet->get());
    if (key) return true;
  }
  return false;
}

Result<SalvageStats> salvage_camera(const Camera& camera, Catalog& catalog) {
  SalvageStats stats;
  const std::vector<Date> days = list_days(camera.path);
  const std::size_t from = days.size() > k_days_searched ? days.size() - k_days_searched : 0;
  for (std::size_t i = from; i < days.size(); ++i) {
    const auto dir = camera.day_path(days[i]);
    std::vector<std::filesystem::path> parts;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
      const std::string name = entry.path().filename().string();
      if (!name.ends_with(k_part) || !entry.is_regular_file(ec)) continue;
      if (parse_segment_name(std::string_view(name).substr(0, name.size() - k_part.size()))) {
        parts.push_back(entry.path());
      }
    }
    for (const auto& part : parts) {
      auto kept = salvage_part(camera, catalog, days[i], part);
      if (!kept) return std::unexpected(kept.error());
      ++(*kept ? stats.kept : stats.removed);
    }
  }
  return stats;
}

}  // namespace cctv::worker
