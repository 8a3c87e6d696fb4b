#include "worker/recorder.hpp"

#include "core/layout.hpp"
#include "core/log.hpp"
#include "worker/day_state.hpp"
#include "worker/recorder_writer.hpp"
#include "worker/segment_file.hpp"

#include <array>
#include <cmath>
#include <cstdio>
#include <memory>
#include <random>

namespace cctv::worker {
namespace {

constexpr AVRational k_micros{1, 1'000'000};
// Consecutive video timestamps further apart than this are a broken stream.
constexpr std::int64_t k_max_jump_us = 10 * k_micros_per_second;

std::string seconds_text(double seconds) {
  std::array<char, 32> buf{};
  (void)std::snprintf(buf.data(), buf.size(), "%.3fs", seconds);
  return buf.data();
}

std::string fps_text(double fps) {
  std::array<char, 32> buf{};
  (void)std::snprintf(buf.data(), buf.size(), "%.3g fps", fps);
  return buf.data();
}

std::string millis_text(std::chrono::milliseconds ms) {
  return seconds_text(static_cast<double>(ms.count()) / 1000.0);
}

double frame_rate(const AVFormatContext& input, int stream) {
  const AVRational rate =
      av_guess_frame_rate(const_cast<AVFormatContext*>(&input), input.streams[stream], nullptr);
  return rate.num > 0 && rate.den > 0 ? av_q2d(rate) : 0.0;
}

}  // namespace

// One connection to the camera.
struct Recorder::Session {
  const AVFormatContext& input;
  StreamChoice streams;
  SizeWatch size_watch;
  std::int64_t frame_us = 0;  // for video packets without a duration
  std::string codec;
  Timeline timeline;
  std::optional<std::int64_t> last_video_us;
  std::unique_ptr<SegmentWriter> writer;
  SegmentSpan span;
  UtcMicros boundary = 0;
  UtcMicros boundary_start = 0;  // the segment's start as known when `boundary` was set
  // End of the previous segment of this connection: the timeline may still learn
  // (lower its anchor) after a segment is closed, but the next one must continue it,
  // not overlap it, or players would see a break in a continuous stream.
  std::optional<UtcMicros> previous_end = std::nullopt;

  [[nodiscard]] UtcMicros segment_start() const {
    const UtcMicros start = timeline.wall_of(span.first());
    return previous_end && start < *previous_end ? *previous_end : start;
  }
};

Recorder::Recorder(CameraConfig config, Camera camera, std::filesystem::path catalog_path,
                   RecorderOptions options, RecorderSeams seams)
    : m_config(std::move(config)),
      m_camera(std::move(camera)),
      m_catalog_path(std::move(catalog_path)),
      m_options(options),
      m_seams(std::move(seams)),
      m_url(m_config.source_url()),
      m_segmenter(m_camera.zone, m_config.segment_seconds),
      m_board(m_camera.id, m_camera.name, CameraState::reconnecting, m_seams.clock()),
      m_backoff(options.backoff_first, options.backoff_max, options.backoff_jitter),
      m_disk_backoff(options.backoff_first, options.backoff_max, options.backoff_jitter) {
  if (!m_seams.sleep) {
    m_seams.sleep = [this](std::chrono::milliseconds delay) {
      std::unique_lock lock(m_mutex);
      return !m_wake.wait_for(lock, delay, [this] { return stopping(); });
    };
  }
  if (!m_seams.random) {
    auto engine = std::make_shared<std::mt19937_64>(std::random_device{}());
    m_seams.random = [engine] { return std::uniform_real_distribution<double>(0, 1)(*engine); };
  }
}

Recorder::~Recorder() {
  request_stop();
  join();
}

void Recorder::start() {
  m_thread = std::thread([this] {
    try {
      run();
    } catch (const std::exception& e) {  // never std::terminate the daemon for one camera
      log::error(cam() + " recorder ended: " + e.what());
    }
  });
}

void Recorder::request_stop() {
  {
    const std::lock_guard lock(m_mutex);
    m_stop = true;
  }
  m_wake.notify_all();
}

void Recorder::join() {
  if (m_thread.joinable()) m_thread.join();
}

void Recorder::run() {
  av::set_thread_log_context(cam());
  log::info(cam() + " recording " + log::redact_url(m_url) + " into " + m_camera.path.string() +
            " (" + std::to_string(m_config.segment_seconds) + " s segments)");
  report(true);
  while (!stopping()) {
    Error why;
    try {
      why = session();
    } catch (const std::exception& e) {  // a bug or out of memory: this camera only
      why = Error{ErrorKind::internal, std::string("recorder failed: ") + e.what()};
    }
    if (stopping()) break;
    m_recording_since.reset();
    const auto delay = m_backoff.next(m_seams.random());
    (why.kind == ErrorKind::invalid_argument ? log::error : log::warning)(
        cam() + " " + why.message + "; retry in " + millis_text(delay));
    set_state(CameraState::reconnecting, why.message);
    if (!m_seams.sleep(delay)) break;
  }
  set_state(CameraState::reconnecting, "the worker stopped");
  log::info(cam() + " stopped");
}

Error Recorder::session() {
  const SourceRequest request{m_url, m_options.timeouts, &m_stop, is_file_url(m_url)};
  auto source = m_seams.opener(request);
  if (!source && is_unauthorized(source.error())) {
    return Error{ErrorKind::invalid_argument, "cannot connect: wrong user name or password (" +
                                                  av::error_string(AVERROR_HTTP_UNAUTHORIZED) +
                                                  ")"};
  }
  if (!source) return source.error().context("cannot connect");
  const AVFormatContext& input = (*source)->input();
  auto streams = choose_streams(input);
  if (!streams) return streams.error().context("cannot record");
  const AVCodecParameters& video = *input.streams[streams->video]->codecpar;
  auto watch = SizeWatch::create(video);
  if (!watch) return watch.error();
  auto packet = av::make_packet();
  if (!packet) return packet.error();
  const double fps = frame_rate(input, streams->video);
  Session s{input,
            *streams,
            std::move(*watch),
            fps > 0 ? std::llround(1e6 / fps) : 0,
            codec_label(video),
            Timeline{},
            std::nullopt,
            nullptr,
            SegmentSpan{},
            0};
  log::info(cam() + " connected to " + log::redact_url(m_url) + ": " + s.codec +
            (fps > 0 ? " " + fps_text(fps) : "") +
            (streams->audio >= 0
                 ? std::string(", audio ") +
                       avcodec_get_name(input.streams[streams->audio]->codecpar->codec_id)
                 : ""));
  check_config(input, streams->video);
  for (;;) {
    auto read = (*source)->read(*packet->get());
    Result<void> handled = read ? on_packet(s, *packet->get()) : std::unexpected(read.error());
    av_packet_unref(packet->get());
    if (!handled || stopping()) {
      close_segment(s, std::nullopt);
      if (stopping()) return Error{ErrorKind::unavailable, "stopped"};
      if (!read) {
        return read.error().context(read.error().kind == ErrorKind::timeout ? "stalled"
                                                                            : "disconnected");
      }
      return handled.error();
    }
    const UtcMicros now = m_seams.clock();
    if (now >= m_next_report) report(false);
    if (m_recording_since && m_backoff.step() > 0 &&
        now - *m_recording_since >= m_options.good_after.count() * k_micros_per_second) {
      m_backoff.reset();
    }
  }
}

Result<void> Recorder::on_packet(Session& s, AVPacket& packet) {
  const bool video = packet.stream_index == s.streams.video;
  if (!video && packet.stream_index != s.streams.audio) return {};
  const std::int64_t ts = packet.pts != AV_NOPTS_VALUE ? packet.pts : packet.dts;
  if (ts == AV_NOPTS_VALUE) return {};
  const AVRational time_base = s.input.streams[packet.stream_index]->time_base;
  const std::int64_t ts_us = av_rescale_q(ts, time_base, k_micros);
  const UtcMicros now = m_seams.clock();
  if (video) {
    if (s.last_video_us && std::abs(ts_us - *s.last_video_us) > k_max_jump_us) {
      return fail(ErrorKind::data_loss,
                  "broken stream: timestamps jumped by " +
                      seconds_text(static_cast<double>(ts_us - *s.last_video_us) / 1e6));
    }
    s.last_video_us = ts_us;
    s.timeline.observe(now, ts_us);
  }
  if (!s.timeline.anchored()) return {};  // nothing before the first video packet
  if (video && (packet.flags & AV_PKT_FLAG_KEY) != 0) {
    if (auto change = s.size_watch.changed(packet)) {
      return fail(ErrorKind::data_loss, "resolution changed from " + *change);
    }
    const UtcMicros wall = s.timeline.wall_of(ts_us);
    if (s.writer) {
      // Right after connecting, the timeline learns fast (the packets buffered while
      // probing): the boundary follows what it knows of the segment's start.
      const UtcMicros start = s.segment_start();
      if (std::abs(start - s.boundary_start) > 50'000) {
        s.boundary = m_segmenter.next_boundary(start);
        s.boundary_start = start;
      }
      // The cut is judged on the segment's own clock (its start, which may continue the
      // previous segment, plus stream time), the clock its name and catalog row use:
      // when the timeline lowers its anchor after a segment was closed, the names stay
      // on the grid instead of one segment growing by the correction.
      const UtcMicros own = s.span.empty() ? wall : start + (ts_us - s.span.first());
      if (own >= s.boundary) close_segment(s, ts_us);
    }
    if (!s.writer && now >= m_write_retry && !stopping()) {
      const std::int64_t dts = packet.dts != AV_NOPTS_VALUE ? packet.dts : ts;
      // A segment continuing the previous one starts (and is named) where it ended.
      const UtcMicros from = s.previous_end && wall < *s.previous_end ? *s.previous_end : wall;
      open_segment(s, av_rescale_q(dts, time_base, k_micros), from);
    }
  }
  if (!s.writer) return {};
  if (video) {
    const std::int64_t duration =
        packet.duration > 0 ? av_rescale_q(packet.duration, time_base, k_micros) : s.frame_us;
    s.span.add(ts_us, duration);
  }
  const std::int64_t before = s.writer->bytes();
  if (auto written = s.writer->write(packet); !written) {
    disk_error(s, written.error());
    return {};
  }
  m_board.add_bytes(s.writer->bytes() - before);
  return {};
}

void Recorder::open_segment(Session& s, std::int64_t origin_us, UtcMicros wall) {
  const SegmentPlace place = m_segmenter.place(wall);
  const auto dir = m_camera.day_path(place.date);
  const auto second = free_second(dir, place.seconds_of_day);
  if (!second) {
    disk_error(s,
               Error{ErrorKind::unavailable, format_date(place.date) + " has no free name left"});
    return;
  }
  auto writer =
      SegmentWriter::create(dir / (segment_name(*second) + ".part"), s.input, s.streams, origin_us);
  if (!writer) {
    disk_error(s, writer.error());
    return;
  }
  s.writer = std::move(*writer);
  s.span = SegmentSpan{};
  s.boundary = m_segmenter.next_boundary(wall);
  s.boundary_start = wall;
  if (!m_recording_since) m_recording_since = m_seams.clock();
  set_state(CameraState::recording, "");
}

void Recorder::close_segment(Session& s, std::optional<std::int64_t> next_ts_us) {
  if (!s.writer) return;
  std::unique_ptr<SegmentWriter> writer = std::move(s.writer);
  if (s.span.empty()) {
    writer->abandon();
    return;
  }
  if (auto finished = writer->finish(); !finished) {
    s.writer = std::move(writer);
    disk_error(s, finished.error());
    return;
  }
  const auto stamp = stamp_of(writer->part());  // a rename keeps size and mtime
  if (!stamp) {
    log::error(cam() + " " + writer->part().string() + " vanished before it was published");
    return;
  }
  Segment segment;
  segment.start_us = s.segment_start();
  segment.duration_us = s.span.duration(next_ts_us);
  s.previous_end = segment.start_us + segment.duration_us;
  segment.codec = s.codec;
  segment.size_bytes = stamp->size_bytes;
  segment.mtime_ns = stamp->mtime_ns;
  const SegmentPlace place = m_segmenter.place(segment.start_us);
  segment.date = place.date;
  const auto dir = m_camera.day_path(place.date);
  const std::string file = writer->part().filename().string();
  // The name is that of the start as known now (the timeline has learnt since the
  // .part was named); never over another file: the next free second. The row goes
  // in just before the rename, so that the watcher, which sees the rename within
  // milliseconds, finds the file's stamp known and does not probe it again.
  for (auto second = free_second(dir, place.seconds_of_day, writer->part()); second;
       second = free_second(dir, *second + 1, writer->part())) {
    segment.name = segment_name(*second);
    const auto target = dir / segment.name;
    const bool in_catalog = record(segment);
    auto published = publish(writer->part(), target);
    if (published) {
      m_disk_backoff.reset();
      log::debug(cam() + " recorded " + format_date(segment.date) + "/" + segment.name + " " +
                 seconds_text(static_cast<double>(segment.duration_us) / 1e6) +
                 (writer->dropped() > 0
                      ? " (" + std::to_string(writer->dropped()) + " late packets dropped)"
                      : ""));
      return;
    }
    if (published.error().kind == ErrorKind::invalid_argument) continue;  // taken meanwhile
    if (in_catalog && m_catalog)
      (void)m_catalog->remove_segment(m_camera.id, segment.date, segment.name);
    log::error(cam() + " " + published.error().message + "; " + file + " is left for the salvage");
    return;
  }
  log::error(cam() + " " + format_date(place.date) + " has no free name left; " + file +
             " is left for the salvage");
}

bool Recorder::record(const Segment& segment) {
  const std::string file = format_date(segment.date) + "/" + segment.name;
  Catalog* catalog = this->catalog();
  if (catalog == nullptr) return false;  // the watcher indexes the file
  auto recorded = [&]() -> Result<bool> {
    auto tx = catalog->transaction();
    if (!tx) return std::unexpected(tx.error());
    auto day = catalog->find_day(m_camera.id, segment.date);
    if (!day) return std::unexpected(day.error());
    if (*day && !is_indexer_state((*day)->state)) {
      log::warning(cam() + " " + file + " recorded for a day that is " +
                   std::string(to_string((*day)->state)) + ": not indexed");
      return false;
    }
    CCTV_TRY(catalog->put_recorded_segment(m_camera.id, segment));
    if (*day && (*day)->state == DayState::settled) {
      CCTV_TRY(catalog->set_day_state(m_camera.id, segment.date, DayState::recording));
    }
    CCTV_TRY(tx->commit());
    return true;
  }();
  if (!recorded) {
    log::warning(cam() + " " + file + " not in the catalog yet (" + recorded.error().message +
                 "); the watcher indexes it");
    return false;
  }
  return *recorded;
}

void Recorder::disk_error(Session& s, const Error& error) {
  if (s.writer) s.writer->abandon();
  s.writer.reset();
  const auto delay = m_disk_backoff.next(m_seams.random());
  m_write_retry = m_seams.clock() + delay.count() * 1000;
  log::error(cam() + " " + error.message + "; segment dropped, next try in " + millis_text(delay));
  set_state(CameraState::recording, error.message);
}

void Recorder::check_config(const AVFormatContext& input, int video) {
  const AVCodecParameters& par = *input.streams[video]->codecpar;
  const double fps = frame_rate(input, video);
  std::string sent;
  std::string configured;
  if (m_config.width > 0 && (par.width != m_config.width || par.height != m_config.height)) {
    sent = std::to_string(par.width) + "x" + std::to_string(par.height);
    configured = m_config.resolution;
  }
  if (m_config.frame_rate > 0 && fps > 0 &&
      std::abs(fps - m_config.frame_rate) > std::max(0.5, 0.05 * m_config.frame_rate)) {
    sent += (sent.empty() ? "" : " at ") + std::to_string(std::lround(fps)) + " fps";
    configured += (configured.empty() ? "" : " at ") + std::to_string(m_config.frame_rate) + " fps";
  }
  if (sent.empty() || sent == m_logged_mismatch) return;
  m_logged_mismatch = sent;
  log::warning(cam() + " the camera sends " + sent + ", the config says " + configured +
               " (recorded as sent)");
}

void Recorder::set_state(CameraState state, std::string_view error) {
  if (m_board.set(state, error, m_seams.clock())) report(true);
}

void Recorder::report(bool force) {
  const UtcMicros now = m_seams.clock();
  if (!force && now < m_next_report) return;
  m_next_report = now + m_options.status_every.count() * k_micros_per_second;
  Catalog* catalog = this->catalog();
  std::int64_t today = 0;
  if (catalog != nullptr) {
    auto day = catalog->find_day(m_camera.id, m_camera.zone.date_of(now));
    if (day && *day) today = (*day)->segment_count;
  }
  const CameraStatus row = m_board.report(now, today);
  if (catalog == nullptr) return;
  if (auto put = catalog->put_camera_status(row); !put) {
    log::warning(cam() + " status not written: " + put.error().message);
  }
}

Catalog* Recorder::catalog() {
  if (m_catalog) return &*m_catalog;
  const UtcMicros now = m_seams.clock();
  if (now < m_catalog_retry) return nullptr;
  auto opened = Catalog::open_writable(m_catalog_path);
  if (!opened) {
    m_catalog_retry = now + m_options.status_every.count() * k_micros_per_second;
    log::warning(cam() + " " + opened.error().message);
    return nullptr;
  }
  m_catalog.emplace(std::move(*opened));
  return &*m_catalog;
}

}  // namespace cctv::worker
