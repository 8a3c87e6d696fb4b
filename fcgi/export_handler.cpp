#include "fcgi/export_handler.hpp"

#include "core/log.hpp"
#include "fcgi/api_handler.hpp"
#include "fcgi/clock.hpp"
#include "fcgi/etag.hpp"
#include "fcgi/export_mp4.hpp"
#include "fcgi/query.hpp"

extern "C" {
#include <libavformat/version.h>
}

#include <algorithm>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

namespace cctv::web {
namespace {

// Bumped when the MP4 made of the same files changes (muxer options, timing rules), so
// that a resumed download does not mix two versions.
constexpr std::string_view k_export_format = "fmp4-2";  // 2: no mfra (skip_trailer)

// A strong entity tag of the MP4: the range and every byte range of every file it reads.
std::string export_etag(const ExportRequest& request, const ExportPlan& plan) {
  EtagBuilder etag;
  etag.add(k_export_format).add(LIBAVFORMAT_VERSION_INT);  // the muxer writes the bytes
  etag.add(request.camera.name).add(request.from).add(request.to);
  for (const ExportPiece& piece : plan.pieces) {
    etag.add(days_from_civil(piece.date)).add(piece.name).add(piece.init_bytes);
    etag.add(piece.offset_bytes).add(piece.length_bytes).add(piece.start_us).add(piece.end_us);
    etag.add(piece.mtime_ns);
  }
  return etag.quoted();
}

// Sizes and checkpoints of MP4s already made, by entity tag, shared by the threads (a
// browser seeking in a download sends its range requests on several connections).
// Bounded: 256 MP4s and 100,000 checkpoints (about 10 MB; an hour has 1,800-3,600).
class SizeCache {
 public:
  using Entry = std::shared_ptr<const Mp4Index>;
  Entry get(const std::string& tag) {
    const std::scoped_lock lock(m_mutex);
    const auto it = m_indexes.find(tag);
    if (it == m_indexes.end()) return nullptr;
    return it->second;
  }
  void put(const std::string& tag, Entry index) {
    const std::scoped_lock lock(m_mutex);
    const std::size_t checkpoints = index->checkpoints.size();
    if (!m_indexes.emplace(tag, std::move(index)).second) return;
    m_order.push_back(tag);
    m_checkpoints += checkpoints;
    while (m_order.size() > k_max_entries ||
           (m_order.size() > 1 && m_checkpoints > k_max_checkpoints)) {
      const auto it = m_indexes.find(m_order.front());
      m_checkpoints -= it->second->checkpoints.size();
      m_indexes.erase(it);
      m_order.pop_front();
    }
  }

 private:
  static constexpr std::size_t k_max_entries = 256;
  static constexpr std::size_t k_max_checkpoints = 100'000;
  std::mutex m_mutex;
  std::map<std::string, Entry> m_indexes;
  std::deque<std::string> m_order;
  std::size_t m_checkpoints = 0;
};

SizeCache& size_cache() {
  static SizeCache cache;
  return cache;
}

// The byte size and the checkpoints of the MP4, made once and dropped.
Result<std::shared_ptr<const Mp4Index>> measure(const ExportPlan& plan,
                                                const std::filesystem::path& camera_dir,
                                                const ExportRequest& request,
                                                const std::string& what) {
  const std::int64_t cpu0 = thread_cpu_us();
  const std::int64_t t0 = steady_us();
  auto mp4 = Mp4Export::open(plan, camera_dir, request.from, request.to);
  if (!mp4) return std::unexpected(mp4.error());
  auto index = std::make_shared<Mp4Index>();
  auto stats = mp4->write([](std::string_view) { return true; }, index.get());
  if (!stats) return std::unexpected(stats.error());
  log::info(what + ": sized " + std::to_string(stats->bytes) + " bytes, " +
            std::to_string(index->checkpoints.size()) + " checkpoints in " +
            std::to_string((steady_us() - t0) / 1000) + " ms, cpu " +
            std::to_string((thread_cpu_us() - cpu0) / 1000) + " ms");
  return index;
}

std::string minutes_text(std::int64_t micros) {
  const std::int64_t seconds = micros / k_micros_per_second;
  return std::to_string(seconds / 60) + " min " + std::to_string(seconds % 60) + " s";
}

}  // namespace

Result<ExportRequest> ExportHandler::parse(const Request& request) {
  auto query = Query::parse(request.query);
  if (!query) return std::unexpected(query.error());
  const Config& config = m_access.config();
  std::optional<std::string_view> camera_name;
  std::optional<RangePath> range;
  const auto path = path_below(request, config.web_base_url);
  if (path && path->starts_with(k_api_prefix)) {
    auto parsed = parse_range_path(path->substr(k_api_prefix.size()));
    if (!parsed) return std::unexpected(parsed.error());
    if (!*parsed) return fail(ErrorKind::not_found, "no such export URL (see docs/api.md)");
    range = std::move(*parsed);
    camera_name = range->camera;
  } else {
    camera_name = query->get("camera");
  }
  auto camera = m_access.select_camera(camera_name);
  if (!camera) return std::unexpected(camera.error());
  auto zone = TimeZone::load(camera->time_zone);
  if (!zone) return std::unexpected(zone.error());
  ExportRequest out{*camera, 0, 0};
  if (range) {
    out.from = zone->to_utc(range->from);
    out.to = zone->to_utc(range->to);
  } else {
    const auto from = query->get("from");
    const auto to = query->get("to");
    if (!from || !to) {
      return fail(ErrorKind::invalid_argument, "from and to are required (ISO 8601 times)");
    }
    auto from_us = parse_export_time("from", *from, *zone);
    if (!from_us) return std::unexpected(from_us.error());
    auto to_us = parse_export_time("to", *to, *zone);
    if (!to_us) return std::unexpected(to_us.error());
    out.from = *from_us;
    out.to = *to_us;
  }
  if (out.from >= out.to) return fail(ErrorKind::invalid_argument, "from must be before to");
  return out;
}

Result<ExportPlan> ExportHandler::plan(const ExportRequest& request) {
  auto catalog = m_access.catalog();
  if (!catalog) return std::unexpected(catalog.error());
  auto zone = TimeZone::load(request.camera.time_zone);
  if (!zone) return std::unexpected(zone.error());
  std::vector<DaySource> days;
  // The day before `from` too: its last segment may hold the keyframe before `from`.
  const Date last = zone->date_of(request.to - 1);
  for (Date date = civil_from_days(days_from_civil(zone->date_of(request.from)) - 1); date <= last;
       date = next_day(date)) {
    auto day = (*catalog)->find_day(request.camera.id, date);
    if (!day) return std::unexpected(day.error());
    if (!*day) continue;
    DaySource source{date, {}, std::nullopt};
    if ((*day)->state == DayState::converted || (*day)->state == DayState::archived) {
      auto converted = (*catalog)->converted_file(request.camera.id, date);
      if (!converted) return std::unexpected(converted.error());
      source.converted = std::move(*converted);
    }
    if (!source.converted) {
      auto segments = (*catalog)->segments(request.camera.id, date);
      if (!segments) return std::unexpected(segments.error());
      source.segments = std::move(*segments);
    }
    days.push_back(std::move(source));
  }
  return plan_export(days, request.from, request.to);
}

Response ExportHandler::handle(const Request& request) {
  StreamedResponse answer = handle_streamed(request);
  if (!answer.stream) return answer.response;
  auto body = std::make_shared<std::string>();
  answer.stream([&](std::string_view piece) {
    body->append(piece);
    return true;
  });
  answer.response.body = std::move(body);
  return answer.response;
}

StreamedResponse ExportHandler::handle_streamed(const Request& request) {
  auto req = parse(request);
  if (!req) return {error_response(req.error()), nullptr};
  const Config& config = m_access.config();
  const std::int64_t max_us = std::int64_t{config.export_max_minutes} * 60 * k_micros_per_second;
  if (req->to - req->from > max_us) {
    return {text_response(413, "the range is " + minutes_text(req->to - req->from) +
                                   ", longer than export.maxMinutes (" +
                                   std::to_string(config.export_max_minutes) + " min)"),
            nullptr};
  }
  auto plan = this->plan(*req);
  if (!plan) return {error_response(plan.error()), nullptr};
  if (!plan->conflict.empty()) return {text_response(409, plan->conflict), nullptr};
  auto camera_dir = camera_path(config, req->camera);
  if (!camera_dir) return {error_response(camera_dir.error()), nullptr};
  auto mp4 = Mp4Export::open(*plan, *camera_dir, req->from, req->to);
  if (!mp4) {
    log::warning("export cam=" + req->camera.name + ": " + mp4.error().message);
    return {error_response(mp4.error()), nullptr};
  }
  const std::string what = "export cam=" + req->camera.name + " " + format_iso8601_utc(req->from) +
                           ".." + format_iso8601_utc(req->to);
  const std::string tag = export_etag(*req, *plan);
  auto zone = TimeZone::load(req->camera.time_zone);
  const std::string file_name =
      export_file_name(req->camera.name, zone ? *zone : TimeZone::utc(), req->from, req->to);
  Response head;
  head.header("Content-Type", "video/mp4");
  head.header("Content-Disposition", "attachment; filename=\"" + file_name + "\"");
  head.header("Cache-Control", "no-cache");
  head.header("ETag", tag);
  head.header("Accept-Ranges", "bytes");
  head.header("X-Content-Type-Options", "nosniff");
  // nginx passes the body on as it comes instead of spooling it to a temp file.
  head.header("X-Accel-Buffering", "no");

  // The size is known once the MP4 was made: a HEAD or a range request makes it once
  // without sending it (the same inputs always give the same bytes), and remembers it.
  if (!request.if_none_match.empty() && not_modified(request, tag, 0)) {
    head.status = 304;
    return {std::move(head), nullptr};
  }
  // "bytes=0-" (players opening a URL) while the size is unknown gets the whole MP4
  // at once, as a plain GET: the first byte in milliseconds rather than after sizing.
  const bool if_range_ok = request.if_range.empty() || request.if_range == tag;
  SizeCache::Entry index = size_cache().get(tag);
  const bool wants_range =
      !request.range.empty() && if_range_ok && (index || request.range != "bytes=0-");
  if (!index && (request.method == "HEAD" || wants_range)) {
    auto measured = measure(*plan, *camera_dir, *req, what);
    if (!measured) return {error_response(measured.error()), nullptr};
    index = std::move(*measured);
    size_cache().put(tag, index);
  }
  std::optional<std::int64_t> size;
  if (index) size = index->size;
  HttpRange range{0, size ? *size - 1 : 0, true};
  if (wants_range && size) {
    if (auto asked = parse_byte_range(request.range, *size); asked) {
      if (!asked->satisfiable) {
        Response refused = text_response(
            416, "the range is outside the " + std::to_string(*size) + " bytes of the MP4");
        refused.header("Content-Range", "bytes */" + std::to_string(*size));
        return {std::move(refused), nullptr};
      }
      range = *asked;
      head.status = 206;
      head.header("Content-Range", "bytes " + std::to_string(range.first) + "-" +
                                       std::to_string(range.last) + "/" + std::to_string(*size));
    }
  }
  if (size) head.header("Content-Length", std::to_string(range.last - range.first + 1));
  auto shared = std::make_shared<Mp4Export>(std::move(*mp4));
  const std::size_t pieces = plan->pieces.size();
  const bool partial = head.status == 206;
  return {
      std::move(head), [shared, what, pieces, range, partial, index](const BodyWriter& write) {
        const std::int64_t cpu0 = thread_cpu_us();
        const std::int64_t t0 = steady_us();
        std::int64_t pos = 0;
        bool done = false;
        // Only [range.first, range.last] of the MP4 goes out; the rest is made and dropped.
        // A range from fragment k >= 1 on is made from that fragment's checkpoint.
        auto sink = [&](std::string_view piece) {
          const std::int64_t begin = pos;
          const std::int64_t end = pos + static_cast<std::int64_t>(piece.size());
          pos = end;
          if (!partial) return write(piece);
          if (end <= range.first) return true;
          const auto skip =
              static_cast<std::size_t>(std::max<std::int64_t>(0, range.first - begin));
          const auto take = static_cast<std::size_t>(std::min(range.last + 1, end) - begin) - skip;
          if (!write(piece.substr(skip, take))) return false;
          done = end > range.last;
          return !done;
        };
        // fragment_at() is never 0: 0 means from the start.
        const std::size_t k = partial && index ? index->fragment_at(range.first).value_or(0) : 0;
        std::string from_fragment;
        Result<ExportStats> stats = fail(ErrorKind::internal, "not written");
        if (k > 0) {
          const std::int64_t start = index->checkpoints[k].fragment.offset;
          pos = start;
          stats = shared->write_from(sink, *index, k);
          from_fragment = " from fragment " + std::to_string(k);
          if (!stats && !done && pos == start) {  // nothing went out: from the start
            log::warning(what + ": resuming at fragment " + std::to_string(k) +
                         " failed, making it from the start: " + stats.error().message);
            pos = 0;
            from_fragment.clear();
            stats = shared->write(sink);
          }
        } else {
          stats = shared->write(sink);
        }
        const std::string cost = std::to_string((steady_us() - t0) / 1000) + " ms, cpu " +
                                 std::to_string((thread_cpu_us() - cpu0) / 1000) + " ms";
        const std::string part = partial ? " (bytes " + std::to_string(range.first) + "-" +
                                               std::to_string(range.last) + ")" + from_fragment
                                         : "";
        if (!stats && !done) {
          log::warning(what + part + " cut short after " + cost + ": " + stats.error().message);
          return;
        }
        log::info(what + part + ": " + std::to_string(pieces) + " files, " +
                  std::to_string(partial ? range.last - range.first + 1 : stats->bytes) +
                  " bytes in " + cost);
      }};
}

}  // namespace cctv::web
