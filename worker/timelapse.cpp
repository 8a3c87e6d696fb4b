#include "worker/timelapse.hpp"

#include "core/av.hpp"
#include "core/files.hpp"
#include "core/log.hpp"
#include "core/picture.hpp"
#include "core/unique_fd.hpp"
#include "worker/timelapse_encoder.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

namespace cctv::worker {
namespace {

namespace fs = std::filesystem;

constexpr AVRational k_micros{1, 1'000'000};

bool stopping(const TimelapseOptions& options) {
  return options.stop != nullptr && options.stop->load();
}

// Removes the .part unless the file was published.
class PartGuard {
 public:
  explicit PartGuard(fs::path part) : m_part(std::move(part)) {}
  PartGuard(const PartGuard&) = delete;
  PartGuard& operator=(const PartGuard&) = delete;
  PartGuard(PartGuard&&) = delete;
  PartGuard& operator=(PartGuard&&) = delete;
  ~PartGuard() {
    if (!m_published) {
      std::error_code ec;
      fs::remove(m_part, ec);
    }
  }
  void published() { m_published = true; }

 private:
  fs::path m_part;
  bool m_published = false;
};

// Claims `part` for this process: an flock held as long as the returned descriptor lives.
// A .part that nobody holds is a crash's leftover and removed; one that another process
// holds (the daemon and --timelapse-now making the same day) is left alone: unavailable.
Result<UniqueFd> claim_part(const fs::path& part) {
  const auto busy = [&] {
    return fail(ErrorKind::unavailable, part.string() + " is being written by another process");
  };
  {
    const UniqueFd old(::open(part.c_str(), O_RDONLY | O_CLOEXEC));
    if (old.valid()) {
      if (::flock(old.get(), LOCK_EX | LOCK_NB) != 0) return busy();
      ::unlink(part.c_str());
    }
  }
  UniqueFd fd(::open(part.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!fd.valid()) {
    if (errno == EEXIST) return busy();
    return std::unexpected(errno_error("create " + part.string()));
  }
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) return busy();
  // Between our create and our lock another process may have taken the file for a
  // leftover, unlinked it and made its own: then ours is no longer the one at `part`.
  struct stat ours {};
  struct stat there {};
  if (::fstat(fd.get(), &ours) != 0 || ::stat(part.c_str(), &there) != 0 ||
      ours.st_ino != there.st_ino || ours.st_dev != there.st_dev) {
    return busy();
  }
  return fd;
}

// recorded_position() for every keyframe of an input: the spans with the recorded time
// before each, searched by halves (a converted day has thousands).
class SpanMap {
 public:
  SpanMap(const TimelapseInput& input, std::int64_t offset_us) : m_spans(input.spans) {
    m_before.reserve(m_spans.size() + 1);
    std::int64_t before = offset_us;
    for (const TimelapseSpan& span : m_spans) {
      m_before.push_back(before);
      before += span.length_us;
    }
    m_before.push_back(before);
  }

  [[nodiscard]] std::int64_t position(std::int64_t file_us) const {
    // The last span that starts at or before file_us.
    const auto after = std::upper_bound(
        m_spans.begin(), m_spans.end(), file_us,
        [](std::int64_t t, const TimelapseSpan& span) { return t < span.file_us; });
    if (after == m_spans.begin()) return m_before.front();
    const auto i = static_cast<std::size_t>(after - m_spans.begin()) - 1;
    const TimelapseSpan& span = m_spans[i];
    return m_before[i] + std::min(file_us - span.file_us, span.length_us);
  }

 private:
  const std::vector<TimelapseSpan>& m_spans;
  std::vector<std::int64_t> m_before;  // recorded time before span i; the end last
};

// The state of one making, across its inputs.
struct Making {
  const TimelapseOptions& options;
  SlotPicker picker;
  TimelapseEncoder encoder;
  TimelapseStats stats;
};

// Decodes one keyframe packet on its own (the decoder is drained and reset after it);
// false when it gave no picture.
bool decode_keyframe(AVCodecContext* decoder, AVPacket* packet, AVFrame* frame,
                     std::int64_t& decoded) {
  ++decoded;
  bool got = false;
  if (avcodec_send_packet(decoder, packet) >= 0) {
    int rc = avcodec_receive_frame(decoder, frame);
    if (rc == AVERROR(EAGAIN) && avcodec_send_packet(decoder, nullptr) >= 0) {
      rc = avcodec_receive_frame(decoder, frame);
    }
    got = rc >= 0;
  }
  avcodec_flush_buffers(decoder);
  return got;
}

// Scales and encodes a decoded frame at `slot`.
Result<void> encode_picture(Making& m, const AVFrame& frame, std::int64_t slot) {
  auto scaled = av::scale_frame(frame, m.options.max_width, AV_PIX_FMT_YUV420P, AVCOL_RANGE_MPEG);
  if (!scaled) return std::unexpected(scaled.error());
  if (!m.encoder.is_open()) {
    CCTV_TRY(m.encoder.open((*scaled)->width, (*scaled)->height));
    m.stats.width = (*scaled)->width;
    m.stats.height = (*scaled)->height;
  }
  if ((*scaled)->width != m.encoder.width() || (*scaled)->height != m.encoder.height()) {
    auto fitted = av::scale_frame_to(*scaled->get(), m.encoder.width(), m.encoder.height(),
                                     AV_PIX_FMT_YUV420P, AVCOL_RANGE_MPEG);
    if (!fitted) return std::unexpected(fitted.error());
    *scaled = std::move(*fitted);
  }
  CCTV_TRY(m.encoder.encode(std::move(*scaled), slot));
  ++m.stats.frames;
  return {};
}

// Reads every packet of one input; decodes and encodes the keyframes picked. Returns
// why the file was (partly) skipped, "" when it was read to its end.
Result<std::string> read_input(Making& m, const TimelapseInput& input, std::int64_t offset_us) {
  auto opened = av::open_input(input.path.string());
  if (!opened) return opened.error().message;
  AVFormatContext* format = opened->get();
  const int index = av_find_best_stream(format, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  if (index < 0) return std::string("no video stream");
  for (unsigned i = 0; i < format->nb_streams; ++i) {
    if (static_cast<int>(i) != index) format->streams[i]->discard = AVDISCARD_ALL;
  }
  const AVStream& stream = *format->streams[index];
  av::CodecContext decoder;  // opened at the first keyframe picked
  auto packet = av::make_packet();
  if (!packet) return std::unexpected(packet.error());
  auto frame = av::make_frame();
  if (!frame) return std::unexpected(frame.error());
  const SpanMap spans(input, offset_us);
  std::int64_t base = AV_NOPTS_VALUE;
  std::int64_t position = offset_us;
  std::string problem;
  for (;;) {
    if (stopping(m.options)) return fail(ErrorKind::unavailable, "stopped");
    const int rc = av_read_frame(format, packet->get());
    if (rc == AVERROR_EOF) break;
    if (rc < 0) {
      problem = av::error_string(rc);
      break;
    }
    AVPacket* pkt = packet->get();
    if (pkt->stream_index != index) {
      av_packet_unref(pkt);
      continue;
    }
    ++m.stats.packets;
    const std::int64_t ts = pkt->pts != AV_NOPTS_VALUE ? pkt->pts : pkt->dts;
    if (ts != AV_NOPTS_VALUE && base == AV_NOPTS_VALUE) base = ts;
    if ((pkt->flags & AV_PKT_FLAG_KEY) != 0) {
      ++m.stats.keyframes;
      if (ts != AV_NOPTS_VALUE) {
        const std::int64_t file_us = av_rescale_q(ts - base, stream.time_base, k_micros);
        position = spans.position(std::max<std::int64_t>(0, file_us));
      }
      if (const auto slot = m.picker.due(position)) {
        if (!decoder) {
          auto made = av::open_decoder(stream);
          if (!made) {
            av_packet_unref(pkt);
            return made.error().message;
          }
          decoder = std::move(*made);
        }
        if (decode_keyframe(decoder.get(), pkt, frame->get(), m.stats.decoded)) {
          CCTV_TRY(encode_picture(m, *frame->get(), *slot));
          m.picker.take(position);
          av_frame_unref(frame->get());
        }
      }
    }
    av_packet_unref(pkt);
  }
  return problem;
}

}  // namespace

TimelapseInput segment_input(fs::path path, std::int64_t duration_us) {
  return TimelapseInput{std::move(path),
                        {TimelapseSpan{0, std::max<std::int64_t>(0, duration_us)}}};
}

TimelapseInput converted_input(fs::path path, const ConvertedDay& day) {
  TimelapseInput input{std::move(path), {}};
  if (day.fragments.empty()) return input;
  const UtcMicros start = day.fragments.front().start_us;
  for (const Fragment& f : day.fragments) {
    input.spans.push_back(
        TimelapseSpan{f.start_us - start, std::max<std::int64_t>(0, f.duration_us)});
  }
  return input;
}

std::int64_t recorded_position(const TimelapseInput& input, std::int64_t offset_us,
                               std::int64_t file_us) {
  return SpanMap(input, offset_us).position(file_us);
}

std::int64_t recorded_us(const std::vector<TimelapseInput>& inputs) {
  std::int64_t total = 0;
  for (const TimelapseInput& input : inputs) {
    for (const TimelapseSpan& span : input.spans) total += span.length_us;
  }
  return total;
}

SlotPicker::SlotPicker(std::int64_t recorded_us, std::int64_t slots)
    : m_recorded_us(std::max<std::int64_t>(1, recorded_us)),
      m_slots(std::max<std::int64_t>(1, slots)) {}

std::optional<std::int64_t> SlotPicker::due(std::int64_t position_us) const {
  if (m_next >= m_slots) return std::nullopt;
  // slot i is at i * R / N: reached when i * R <= position * N (no rounding).
  if (m_next * m_recorded_us > std::max<std::int64_t>(0, position_us) * m_slots) {
    return std::nullopt;
  }
  return m_next;
}

void SlotPicker::take(std::int64_t position_us) {
  const std::int64_t last = std::max<std::int64_t>(0, position_us) * m_slots / m_recorded_us;
  m_next = std::min(m_slots, std::max(m_next + 1, last + 1));
}

fs::path timelapse_path(const fs::path& day_dir) { return day_dir / k_timelapse_name; }

Result<TimelapseStats> make_timelapse(const std::vector<TimelapseInput>& inputs,
                                      const fs::path& output, const TimelapseOptions& options) {
  fs::path part = output;
  part += ".part";
  std::error_code ec;
  const std::string what = options.what.empty() ? output.string() : options.what;
  std::int64_t present = 0;
  for (const TimelapseInput& input : inputs) {
    if (fs::is_regular_file(input.path, ec)) ++present;
  }
  if (present == 0) return fail(ErrorKind::not_found, what + ": no input file on disk");
  // Held until the rename: a leftover .part (kill -9) is removed, a busy one kept.
  auto claimed = claim_part(part);
  if (!claimed) return std::unexpected(claimed.error().context(what));

  const std::int64_t slots = std::int64_t{options.seconds} * options.fps;
  Making m{options, SlotPicker(recorded_us(inputs), slots), TimelapseEncoder(part, options), {}};
  m.stats.recorded_us = recorded_us(inputs);
  m.stats.slots = slots;
  PartGuard guard(part);
  std::int64_t offset = 0;
  for (const TimelapseInput& input : inputs) {
    const std::int64_t here = offset;
    for (const TimelapseSpan& span : input.spans) offset += span.length_us;
    if (!fs::is_regular_file(input.path, ec)) {
      ++m.stats.missing_inputs;
      if (options.missing_is_error) {
        return fail(ErrorKind::not_found, what + ": " + input.path.string() + " is gone");
      }
      log::warning(what + ": skipped " + input.path.filename().string() + ": no such file");
      continue;
    }
    const std::int64_t packets_before = m.stats.packets;
    auto problem = read_input(m, input, here);
    if (!problem) return std::unexpected(problem.error().context(what));
    if (!problem->empty()) {
      ++m.stats.skipped_inputs;
      log::warning(what + ": skipped " +
                   (m.stats.packets > packets_before ? "the rest of " : std::string()) +
                   input.path.filename().string() + ": " + *problem);
    }
  }
  if (!m.encoder.is_open()) {
    return fail(ErrorKind::data_loss, what + ": no keyframe could be decoded");
  }
  if (auto done = m.encoder.finish(slots); !done) {
    return std::unexpected(done.error().context(what));
  }
  m.stats.duration_us = slots * 1'000'000 / options.fps;
  if (options.mtime_ns > 0) CCTV_TRY(set_file_mtime_ns(part, options.mtime_ns));
  CCTV_TRY(fsync_path(part, false));
  if (::rename(part.c_str(), output.c_str()) != 0) {
    return std::unexpected(errno_error("rename " + part.string()));
  }
  guard.published();
  CCTV_TRY(fsync_path(output.parent_path(), true));
  return m.stats;
}

Result<std::optional<std::vector<TimelapseInput>>> timelapse_inputs(Catalog& catalog,
                                                                    std::int64_t camera_id,
                                                                    const DayRow& day,
                                                                    const fs::path& day_dir) {
  std::vector<TimelapseInput> inputs;
  if (day.state == DayState::archived) return std::nullopt;
  if (day.state == DayState::converted) {
    auto converted = catalog.converted_day(camera_id, day.date);
    if (!converted) return std::unexpected(converted.error());
    if (!*converted || (*converted)->fragments.empty()) return std::nullopt;
    inputs.push_back(converted_input(day_dir / (*converted)->file_name, **converted));
    return inputs;
  }
  auto segments = catalog.segments(camera_id, day.date);
  if (!segments) return std::unexpected(segments.error());
  if (segments->empty()) return std::nullopt;
  for (const Segment& s : *segments)
    inputs.push_back(segment_input(day_dir / s.name, s.duration_us));
  return inputs;
}

}  // namespace cctv::worker
