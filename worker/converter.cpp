#include "worker/converter.hpp"

#include "core/av.hpp"
#include "core/files.hpp"
#include "core/log.hpp"
#include "core/unique_fd.hpp"
#include "worker/hevc_encoder.hpp"
#include "worker/mp4_layout.hpp"
#include "worker/sha512.hpp"

extern "C" {
#include <libavutil/pixdesc.h>
}

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <span>
#include <system_error>

namespace cctv::worker {
namespace {

constexpr AVRational k_micros{1, 1'000'000};
constexpr AVRational k_time_base = HevcEncoder::k_time_base;
constexpr std::int64_t k_duration_tolerance_us = 1'000'000;

void remove_quietly(const std::filesystem::path& path) {
  std::error_code ec;
  std::filesystem::remove(path, ec);
}

// Decodes one segment into the encoder; pts are relative to `day_start_us`. Returns
// the number of frames encoded; an error only for the encoder's failures (the caller
// skips a segment that cannot be read).
struct SegmentOutcome {
  std::int64_t frames = 0;
  std::string problem;  // why the segment was (partly) skipped
};

// Where the previous frame went, in k_time_base.
struct Timeline {
  std::int64_t last_pts = AV_NOPTS_VALUE;
  std::int64_t end = AV_NOPTS_VALUE;  // last_pts + that frame's duration
};

Result<SegmentOutcome> transcode_segment(const std::filesystem::path& file, std::int64_t offset_us,
                                         HevcEncoder& encoder, Timeline& timeline,
                                         const ConvertOptions& options) {
  SegmentOutcome outcome;
  auto input = av::open_input(file.string());
  if (!input) {
    outcome.problem = input.error().message;
    return outcome;
  }
  const int index = av_find_best_stream(input->get(), AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  if (index < 0) {
    outcome.problem = "no video stream";
    return outcome;
  }
  AVStream* stream = (*input)->streams[index];
  const AVCodec* codec = avcodec_find_decoder(stream->codecpar->codec_id);
  if (codec == nullptr) {
    outcome.problem = "no decoder";
    return outcome;
  }
  av::CodecContext decoder(avcodec_alloc_context3(codec));
  if (!decoder) return fail(ErrorKind::internal, "avcodec_alloc_context3: out of memory");
  avcodec_parameters_to_context(decoder.get(), stream->codecpar);
  decoder->thread_count = 0;  // as many as cores: decoding keeps up with the encoder
  if (const int rc = avcodec_open2(decoder.get(), codec, nullptr); rc < 0) {
    outcome.problem = av::error_string(rc);
    return outcome;
  }
  auto packet = av::make_packet();
  if (!packet) return std::unexpected(packet.error());
  auto frame = av::make_frame();
  if (!frame) return std::unexpected(frame.error());
  AVRational rate = stream->avg_frame_rate;
  if (rate.num <= 0 || rate.den <= 0) rate = stream->r_frame_rate;
  if (rate.num <= 0 || rate.den <= 0) rate = AVRational{25, 1};
  std::int64_t first_ts = AV_NOPTS_VALUE;
  std::int64_t base = AV_NOPTS_VALUE;  // where the segment's first frame goes
  const std::int64_t frame_ticks = av_rescale_q(1, av_inv_q(rate), k_time_base);

  auto take_frames = [&]() -> Result<bool> {
    for (;;) {
      const int rc = avcodec_receive_frame(decoder.get(), frame->get());
      if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return true;
      if (rc < 0) {
        outcome.problem = av::error_string(rc);
        return false;
      }
      AVFrame* f = frame->get();
      if (f->format != AV_PIX_FMT_YUV420P && f->format != AV_PIX_FMT_YUVJ420P) {
        outcome.problem = "pixel format " +
                          std::string(av_get_pix_fmt_name(static_cast<AVPixelFormat>(f->format))) +
                          " is not 4:2:0";
        return false;
      }
      if (!encoder.is_open()) CCTV_TRY(encoder.open(*f, rate));
      if (f->width != encoder.width() || f->height != encoder.height()) {
        outcome.problem = "resolution differs from the day's first segment";
        return false;
      }
      std::int64_t ts = f->best_effort_timestamp;
      if (ts == AV_NOPTS_VALUE) ts = f->pts;
      if (first_ts == AV_NOPTS_VALUE) {
        first_ts = ts == AV_NOPTS_VALUE ? 0 : ts;
        base = av_rescale_q(offset_us, k_micros, k_time_base);
        // A segment whose start (its name) lies inside the previous one's frames
        // continues after them instead: frames keep their spacing, nothing is squeezed,
        // and the next gap absorbs the shift.
        if (timeline.end != AV_NOPTS_VALUE && base < timeline.end) base = timeline.end;
      }
      std::int64_t pts = base;
      if (ts != AV_NOPTS_VALUE) pts += av_rescale_q(ts - first_ts, stream->time_base, k_time_base);
      if (timeline.last_pts != AV_NOPTS_VALUE && pts <= timeline.last_pts) {
        pts = timeline.last_pts + 1;
      }
      timeline.last_pts = pts;
      timeline.end = pts + frame_ticks;
      f->pts = pts;
      f->format = AV_PIX_FMT_YUV420P;
      f->pict_type = outcome.frames == 0 ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE;
      f->pkt_duration = frame_ticks;
      CCTV_TRY(encoder.encode(f));
      av_frame_unref(f);
      ++outcome.frames;
    }
  };

  bool ok = true;
  while (ok) {
    if (options.stop != nullptr && options.stop->load()) {
      return fail(ErrorKind::unavailable, "stopped");
    }
    const int rc = av_read_frame(input->get(), packet->get());
    if (rc == AVERROR_EOF) break;
    if (rc < 0) {
      outcome.problem = av::error_string(rc);
      break;
    }
    AVPacket* pkt = packet->get();
    const bool is_video = pkt->stream_index == index;  // writing audio blanks the packet
    if (encoder.has_audio() && encoder.is_open() && first_ts != AV_NOPTS_VALUE &&
        pkt->stream_index != index && pkt->dts != AV_NOPTS_VALUE &&
        (*input)->streams[pkt->stream_index]->codecpar->codec_id == AV_CODEC_ID_AAC) {
      const AVRational atb = (*input)->streams[pkt->stream_index]->time_base;
      const std::int64_t video_first = av_rescale_q(first_ts, stream->time_base, k_time_base);
      const std::int64_t dts = av_rescale_q(pkt->dts, atb, k_time_base) - video_first + base;
      const std::int64_t pts = pkt->pts == AV_NOPTS_VALUE
                                   ? dts
                                   : av_rescale_q(pkt->pts, atb, k_time_base) - video_first + base;
      pkt->dts = dts;
      pkt->pts = pts;
      pkt->duration = av_rescale_q(pkt->duration, atb, k_time_base);
      if (dts >= 0) CCTV_TRY(encoder.write_audio(pkt));
    }
    if (is_video) {
      if (avcodec_send_packet(decoder.get(), packet->get()) >= 0) {
        auto taken = take_frames();
        if (!taken) return std::unexpected(taken.error());
        ok = *taken;
      }
    }
    av_packet_unref(packet->get());
  }
  if (ok && avcodec_send_packet(decoder.get(), nullptr) >= 0) {
    auto taken = take_frames();
    if (!taken) return std::unexpected(taken.error());
  }
  return outcome;
}

// The day's audio: AAC in its first readable segment, handed to the encoder.
Result<void> take_audio(const std::vector<Segment>& segs, const std::filesystem::path& day_dir,
                        HevcEncoder& encoder, const std::string& what) {
  for (const Segment& seg : segs) {
    auto input = av::open_input((day_dir / seg.name).string());
    if (!input) continue;
    const int a = av_find_best_stream(input->get(), AVMEDIA_TYPE_AUDIO, -1, -1, nullptr, 0);
    if (a < 0 || (*input)->streams[a]->codecpar->codec_id != AV_CODEC_ID_AAC) return {};
    auto packet = av::make_packet();
    if (!packet) return std::unexpected(packet.error());
    while (av_read_frame(input->get(), packet->get()) >= 0) {
      if ((*packet)->stream_index == a) {
        auto set =
            encoder.set_audio(*(*input)->streams[a]->codecpar,
                              std::span<const std::uint8_t>(
                                  (*packet)->data, static_cast<std::size_t>((*packet)->size)));
        if (!set) log::warning(what + ": audio dropped: " + set.error().message);
        return {};
      }
      av_packet_unref(packet->get());
    }
    return {};
  }
  return {};
}

// Encodes the day into `video` (through `video`.part, fsync, rename, directory fsync,
// checksum). Returns the total duration of the segments that went in.
Result<std::int64_t> encode_day(const std::vector<Segment>& segs,
                                const std::filesystem::path& day_dir,
                                const std::filesystem::path& video, const ConvertOptions& options,
                                const std::string& what) {
  std::filesystem::path part = video;
  part += ".part";
  const UtcMicros day_start = segs.front().start_us;
  HevcEncoder encoder(part, options);
  CCTV_TRY(take_audio(segs, day_dir, encoder, what));
  Timeline timeline;
  std::size_t used = 0;
  std::int64_t expected_us = 0;
  for (const Segment& seg : segs) {
    auto outcome =
        transcode_segment(day_dir / seg.name, seg.start_us - day_start, encoder, timeline, options);
    if (!outcome) {
      remove_quietly(part);
      return std::unexpected(outcome.error().context(what));
    }
    if (!outcome->problem.empty()) {
      log::warning(what + ": segment " + seg.name + " skipped" +
                   (outcome->frames > 0 ? " in part" : "") + ": " + outcome->problem);
    }
    if (outcome->frames > 0) {
      ++used;
      expected_us += seg.duration_us;
    }
  }
  if (used == 0 || !encoder.is_open()) {
    remove_quietly(part);
    return fail(ErrorKind::data_loss, what + ": no segment could be decoded");
  }
  if (auto done = encoder.finish(); !done) {
    remove_quietly(part);
    return std::unexpected(done.error().context(what));
  }
  CCTV_TRY(fsync_path(part, false));
  if (::rename(part.c_str(), video.c_str()) != 0) {
    return std::unexpected(errno_error("rename " + part.string()));
  }
  CCTV_TRY(fsync_path(day_dir, true));
  auto digest = write_sha512sum(video);
  if (!digest) return std::unexpected(digest.error());
  return expected_us;
}

// The layout and timing of a finished video.mp4, checked: its fragments last within
// k_duration_tolerance_us of `expected_us` and its checksum file matches it.
Result<ConvertedDay> check_finished(const std::filesystem::path& video, UtcMicros day_start,
                                    std::int64_t expected_us, const std::string& what) {
  auto day = layout_of(video);
  if (!day) return std::unexpected(day.error());
  CCTV_TRY(time_fragments(video, day_start, *day));
  std::int64_t total_us = 0;
  for (const Fragment& frag : day->fragments) total_us += frag.duration_us;
  if (std::llabs(total_us - expected_us) > k_duration_tolerance_us) {
    return fail(ErrorKind::data_loss, what + ": video.mp4 lasts " + std::to_string(total_us) +
                                          " us, its segments " + std::to_string(expected_us) +
                                          " us");
  }
  auto verified = verify_sha512sum(video);
  if (!verified || !*verified) {
    return fail(ErrorKind::data_loss, what + ": the checksum of video.mp4 does not match");
  }
  return day;
}

// A video.mp4 left by a crash between its rename and the catalog commit, kept when its
// checksum and duration hold (all segments in), otherwise removed to convert again.
std::optional<ConvertedDay> recover_finished(const std::vector<Segment>& segs,
                                             const std::filesystem::path& video,
                                             const std::string& what) {
  std::error_code ec;
  if (!std::filesystem::exists(video, ec)) return std::nullopt;
  std::int64_t expected_us = 0;
  for (const Segment& seg : segs) expected_us += seg.duration_us;
  auto day = check_finished(video, segs.front().start_us, expected_us, what);
  if (day) {
    log::notice(what + ": found a finished " + video.string() + " that checks out: keeping it");
    return std::move(*day);
  }
  log::notice(what + ": found " + video.string() + " (" + day.error().message +
              "): converting again");
  remove_quietly(video);
  remove_quietly(sha512sum_path(video));
  return std::nullopt;
}

}  // namespace

Result<ConvertedDay> convert_day(Catalog& catalog, std::int64_t camera_id,
                                 const std::filesystem::path& day_dir, const Date& date,
                                 const ConvertOptions& options) {
  const std::string what = format_date(date);
  auto existing = catalog.converted_day(camera_id, date);
  if (!existing) return std::unexpected(existing.error());
  if (*existing) return fail(ErrorKind::invalid_argument, what + " is already converted");
  auto segs = catalog.segments(camera_id, date);
  if (!segs) return std::unexpected(segs.error());
  if (segs->empty()) return fail(ErrorKind::not_found, what + " has no segments");
  const std::filesystem::path video = day_dir / "video.mp4";
  std::filesystem::path part = video;
  part += ".part";
  remove_quietly(part);  // a crash's leftover

  std::optional<ConvertedDay> day = recover_finished(*segs, video, what);
  if (!day) {
    auto expected_us = encode_day(*segs, day_dir, video, options, what);
    if (!expected_us) return std::unexpected(expected_us.error());
    auto checked = check_finished(video, segs->front().start_us, *expected_us, what);
    if (!checked) {
      remove_quietly(video);  // the segments stay; the next attempt starts over
      remove_quietly(sha512sum_path(video));
      return std::unexpected(checked.error());
    }
    day = std::move(*checked);
  }
  for (const Segment& seg : *segs) day->source_size_bytes += seg.size_bytes;
  CCTV_TRY(catalog.put_converted_day(camera_id, date, *day));
  for (const Segment& seg : *segs) {
    remove_quietly(day_dir / seg.name);
    std::filesystem::path sidecar = day_dir / seg.name;
    sidecar += ".duration";
    remove_quietly(sidecar);
  }
  log::notice(what + ": converted " + std::to_string(segs->size()) + " segments (" +
              std::to_string(day->source_size_bytes) + " bytes) into video.mp4 (" +
              std::to_string(day->file_size_bytes) + " bytes, " +
              std::to_string(day->fragments.size()) + " fragments)");
  return std::move(*day);
}

}  // namespace cctv::worker
