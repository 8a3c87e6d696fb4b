#include "fcgi/media_handler.hpp"

#include "core/files.hpp"
#include "core/layout.hpp"
#include "core/log.hpp"
#include "fcgi/clock.hpp"
#include "fcgi/export_mp4.hpp"
#include "fcgi/frame.hpp"
#include "fcgi/gif.hpp"
#include "fcgi/moments.hpp"
#include "fcgi/query.hpp"

#include <algorithm>
#include <charconv>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace cctv::web {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view k_part_suffix = ".part";
// A moment is complete when the footage reaches this close to its end. A segment's end
// includes its last frame's duration, so footage that holds the end reaches it: this is
// only for rounding (a larger slack would cut up to that much off a moment's end).
constexpr std::int64_t k_moment_slack_us = 50'000;
constexpr auto k_moment_poll = std::chrono::milliseconds(250);

// An integer query parameter in [low, high]; `fallback` when absent.
Result<int> int_param(const Query& query, std::string_view name, int low, int high, int fallback) {
  const auto text = query.get(name);
  if (!text) return fallback;
  int value = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || end != text->data() + text->size() || value < low || value > high) {
    return fail(ErrorKind::invalid_argument, std::string(name) + ": expected a whole number of " +
                                                 "seconds from " + std::to_string(low) + " to " +
                                                 std::to_string(high));
  }
  return value;
}

// "front_20261121-101500.jpg" in the camera's local time.
std::string local_stamp(const TimeZone& zone, UtcMicros time) {
  const LocalTime t = zone.to_local(time);
  std::string date = format_date(t.date);
  std::erase(date, '-');
  return date + "-" + format_hhmmss(t.hour * 3600 + t.minute * 60 + t.second, '\0');
}

// The files a newest keyframe may be in, newest first: the recorder's segment being
// written (video_HHMMSS.ts.part in the newest day or today), then the newest segment.
struct FrameSource {
  fs::path path;
  UtcMicros start_us = 0;
  bool growing = false;
};

std::optional<FrameSource> newest_part(const fs::path& camera_dir, const std::vector<Date>& dates,
                                       const TimeZone& zone) {
  std::optional<FrameSource> best;
  for (const Date& date : dates) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(camera_dir / format_date(date), ec)) {
      std::string name = entry.path().filename().string();
      if (!name.ends_with(k_part_suffix)) continue;
      name.resize(name.size() - k_part_suffix.size());
      const auto seconds = parse_segment_name(name);
      if (!seconds) continue;
      const UtcMicros start =
          zone.to_utc(LocalTime{date, *seconds / 3600, *seconds / 60 % 60, *seconds % 60});
      if (!best || start > best->start_us) best = FrameSource{entry.path(), start, true};
    }
  }
  return best;
}

// The moments being made: one per camera and format, a cap on all of them, since each
// holds a thread for its delay plus the close of a segment.
class InFlight {
 public:
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;
  InFlight(InFlight&& other) noexcept : refused(other.refused), m_key(std::move(other.m_key)) {
    other.m_key.clear();
  }
  InFlight& operator=(InFlight&&) = delete;
  ~InFlight() {
    if (m_key.empty()) return;
    const std::scoped_lock lock(mutex());
    keys().erase(m_key);
  }

  // 429 when `key` is being made, 503 when `limit` moments are.
  static InFlight take(const std::string& key, int limit) {
    const std::scoped_lock lock(mutex());
    if (keys().contains(key)) return InFlight(429, {});
    if (static_cast<int>(keys().size()) >= limit) return InFlight(503, {});
    keys().insert(key);
    return InFlight(0, key);
  }

  int refused = 0;

 private:
  InFlight(int status, std::string key) : refused(status), m_key(std::move(key)) {}
  static std::mutex& mutex() {
    static std::mutex m;
    return m;
  }
  static std::set<std::string>& keys() {
    static std::set<std::string> k;
    return k;
  }
  std::string m_key;
};

// Saves a moment under the first free name of its second (never replacing one, so two
// at once cannot mix), unless the camera has k_max_saved_moments already; its name.
Result<std::string> save_moment(const fs::path& dir, const LocalTime& time, std::string_view format,
                                std::string_view bytes) {
  std::size_t total = 0;
  if (auto listed = list_moments(dir, 0, &total); !listed) {
    return std::unexpected(listed.error());
  }
  if (total >= k_max_saved_moments) {
    return fail(ErrorKind::unavailable, std::to_string(total) + " moments are kept already (" +
                                            std::to_string(k_max_saved_moments) +
                                            " at most): delete some from " + dir.string());
  }
  for (int number = 1; number <= k_max_moment_number; ++number) {
    const std::string name = moment_file_name(time, format, number);
    auto written = write_new_file_atomically(dir / name, bytes);
    if (written) return name;
    if (written.error().kind != ErrorKind::invalid_argument) {
      return std::unexpected(written.error());
    }
  }
  return fail(ErrorKind::unavailable, "no free name for a moment in that second");
}

}  // namespace

Response MediaHandler::handle(const Request& request) {
  const auto path = path_below(request, m_export.access().config().web_base_url);
  if (path == "frame.jpg") return frame(request);
  if (path == "moment.mp4") return moment(request, "mp4");
  if (path == "moment.gif") return moment(request, "gif");
  return m_export.handle(request);
}

StreamedResponse MediaHandler::handle_streamed(const Request& request) {
  const auto path = path_below(request, m_export.access().config().web_base_url);
  if (path == "frame.jpg" || path == "moment.mp4" || path == "moment.gif") {
    return {handle(request), nullptr};
  }
  return m_export.handle_streamed(request);
}

Response MediaHandler::frame(const Request& request) {
  auto query = Query::parse(request.query);
  if (!query) return error_response(query.error());
  ArchiveAccess& access = m_export.access();
  auto camera = access.select_camera(query->get("camera"));
  if (!camera) return error_response(camera.error());
  auto zone = TimeZone::load(camera->time_zone);
  if (!zone) return error_response(zone.error());
  auto camera_dir = camera_path(access.config(), *camera);
  if (!camera_dir) return error_response(camera_dir.error());
  auto catalog = access.catalog();
  if (!catalog) return error_response(catalog.error());
  auto days = (*catalog)->days(camera->id);
  if (!days) return error_response(days.error());

  std::vector<FrameSource> sources;
  std::vector<Date> dates{zone->date_of(utc_now())};
  // The newest day that still has its segments (a converted day's are gone).
  for (auto day = days->rbegin(); day != days->rend(); ++day) {
    if (day->state == DayState::converted || day->state == DayState::archived) continue;
    auto segments = (*catalog)->segments(camera->id, day->date);
    if (!segments) return error_response(segments.error());
    if (segments->empty()) continue;
    const Segment& last = segments->back();
    sources.push_back(
        FrameSource{*camera_dir / format_date(day->date) / last.name, last.start_us, false});
    if (day->date != dates.front()) dates.push_back(day->date);
    break;
  }
  if (auto part = newest_part(*camera_dir, dates, *zone);
      part && (sources.empty() || part->start_us > sources.front().start_us)) {
    sources.insert(sources.begin(), std::move(*part));
  }
  if (sources.empty()) {
    return text_response(404, "no recording of camera " + camera->name + " to take a frame from");
  }
  const std::int64_t cpu0 = thread_cpu_us();
  std::string problem;
  for (const FrameSource& source : sources) {
    auto keyframe = last_keyframe_jpeg(source.path, source.growing);
    if (!keyframe) {
      problem = keyframe.error().message;
      continue;
    }
    const UtcMicros at = source.start_us + keyframe->offset_us;
    log::info("frame cam=" + camera->name + " " + format_iso8601_utc(at) + " from " +
              source.path.filename().string() + ", " + std::to_string(keyframe->jpeg.size()) +
              " bytes, cpu " + std::to_string((thread_cpu_us() - cpu0) / 1000) + " ms");
    Response out;
    out.header("Content-Type", "image/jpeg");
    out.header("Content-Disposition",
               "inline; filename=\"" + camera->name + "_" + local_stamp(*zone, at) + ".jpg\"");
    out.header("Cache-Control", "no-store");
    out.header("X-Content-Type-Options", "nosniff");
    out.header("X-Frame-Time", format_iso8601_utc(at));
    out.header("Last-Modified", format_http_date(at / k_micros_per_second));
    out.body = std::make_shared<const std::string>(std::move(keyframe->jpeg));
    return out;
  }
  log::warning("frame cam=" + camera->name + ": " + problem);
  return text_response(503, "no decodable keyframe in the newest recording of camera " +
                                camera->name + " (" + problem + ")");
}

Result<MomentRequest> MediaHandler::parse_moment(const Request& request, std::string_view format) {
  auto query = Query::parse(request.query);
  if (!query) return std::unexpected(query.error());
  auto camera = m_export.access().select_camera(query->get("camera"));
  if (!camera) return std::unexpected(camera.error());
  auto length = int_param(*query, "length", 5, 20, 10);
  if (!length) return std::unexpected(length.error());
  auto delay = int_param(*query, "delay", 0, 10, std::min(*length / 2, 10));
  if (!delay) return std::unexpected(delay.error());
  return MomentRequest{std::move(*camera), *length, *delay, format};
}

Response MediaHandler::moment(const Request& request, std::string_view format) {
  // Making a moment saves it: HEAD (link checkers, previews) may not.
  if (request.method == "HEAD") {
    Response refused = text_response(405, "a moment is made and saved by GET only");
    refused.header("Allow", "GET");
    return refused;
  }
  auto req = parse_moment(request, format);
  if (!req) return error_response(req.error());
  // One moment per camera and format at a time, and at most half the threads waiting.
  const std::string key = req->camera.name + "/" + std::string(format);
  const auto slot = InFlight::take(key, std::max(1, m_export.access().config().web_threads / 2));
  if (slot.refused != 0) {
    Response busy = text_response(
        slot.refused, slot.refused == 429
                          ? "a " + std::string(format) + " moment of camera " + req->camera.name +
                                " is being made; ask again when it is done"
                          : std::string("too many moments are being made; ask again shortly"));
    busy.header("Retry-After", std::to_string(req->length_s + req->delay_s));
    return busy;
  }
  const Config& config = m_export.access().config();
  auto zone = TimeZone::load(req->camera.time_zone);
  if (!zone) return error_response(zone.error());
  auto camera_dir = camera_path(config, req->camera);
  if (!camera_dir) return error_response(camera_dir.error());

  const UtcMicros asked = utc_now();
  const ExportRequest range{req->camera,
                            asked + std::int64_t{req->delay_s} * k_micros_per_second -
                                std::int64_t{req->length_s} * k_micros_per_second,
                            asked + std::int64_t{req->delay_s} * k_micros_per_second};
  const std::int64_t t0 = steady_us();
  std::this_thread::sleep_for(std::chrono::seconds(req->delay_s));
  // Wait for the segment that holds the end to be closed and indexed.
  const auto deadline = std::chrono::steady_clock::now() + moment_wait;
  Result<ExportPlan> plan = fail(ErrorKind::not_found, "nothing recorded");
  for (;;) {
    plan = m_export.plan(range);
    // The footage reaches the end by the catalog's times, as for playlists and exports
    // (a segment is in the catalog only once it is closed).
    const bool complete =
        plan && !plan->pieces.empty() && plan->pieces.back().end_us >= range.to - k_moment_slack_us;
    if (complete || (!plan && plan.error().kind != ErrorKind::not_found) ||
        std::chrono::steady_clock::now() >= deadline) {
      break;
    }
    std::this_thread::sleep_for(k_moment_poll);
  }
  const std::string what = "moment cam=" + req->camera.name + " " + std::to_string(req->length_s) +
                           " s " + std::string(format);
  if (!plan) {
    if (plan.error().kind == ErrorKind::not_found) {
      return text_response(404, "camera " + req->camera.name + " recorded nothing from " +
                                    format_iso8601_utc(range.from) + " to " +
                                    format_iso8601_utc(range.to) + " (is it recording?)");
    }
    return error_response(plan.error());
  }
  if (!plan->conflict.empty()) return text_response(409, plan->conflict);
  const std::int64_t waited_ms = (steady_us() - t0) / 1000;
  const std::int64_t cpu0 = thread_cpu_us();
  auto mp4 = Mp4Export::open(*plan, *camera_dir, range.from, range.to);
  if (!mp4) {
    log::warning(what + ": " + mp4.error().message);
    return error_response(mp4.error());
  }
  std::string bytes;
  auto written = mp4->write([&](std::string_view piece) {
    bytes.append(piece);
    return true;
  });
  if (!written) {
    log::warning(what + ": " + written.error().message);
    return error_response(written.error());
  }
  if (format == "gif") {
    auto gif = mp4_to_gif(std::move(bytes), GifOptions{});
    if (!gif) {
      log::warning(what + ": " + gif.error().message);
      return error_response(gif.error());
    }
    bytes = std::move(*gif);
  }

  auto stored = save_moment(*camera_dir / k_moments_dir, zone->to_local(asked), format, bytes);
  const std::string name =
      stored ? *stored : moment_file_name(zone->to_local(asked), format);  // for the download
  Response out;
  out.header("Content-Type", format == "gif" ? "image/gif" : "video/mp4");
  out.header("Content-Disposition", "inline; filename=\"" + req->camera.name + "_" + name + "\"");
  out.header("Cache-Control", "no-store");
  out.header("X-Content-Type-Options", "nosniff");
  std::string saved = "saved " + std::string(k_moments_dir) + "/" + name;
  if (stored) {
    out.header("Content-Location",
               camera_url_prefix(config, req->camera) + std::string(k_moments_dir) + "/" + name);
  } else {
    saved = "not saved (" + stored.error().message + ")";
  }
  const std::string line = what + " at " + format_iso8601_utc(asked) + ": " + saved + ", " +
                           std::to_string(bytes.size()) + " bytes, waited " +
                           std::to_string(waited_ms) + " ms, cpu " +
                           std::to_string((thread_cpu_us() - cpu0) / 1000) + " ms";
  if (saved.starts_with("saved")) {
    log::info(line);
  } else {
    log::warning(line);
  }
  out.body = std::make_shared<const std::string>(std::move(bytes));
  return out;
}

}  // namespace cctv::web
