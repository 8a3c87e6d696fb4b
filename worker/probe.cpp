#include "worker/probe.hpp"

#include "core/av.hpp"

#include <algorithm>
#include <limits>

namespace cctv::worker {
namespace {

std::string codec_string(const AVCodecParameters& par) {
  std::string codec = avcodec_get_name(par.codec_id);
  if (par.width > 0 && par.height > 0) {
    codec += " " + std::to_string(par.width) + "x" + std::to_string(par.height);
  }
  return codec;
}

// Duration of one frame in the stream's time base, for packets that carry none.
std::int64_t frame_duration(AVFormatContext* input, AVStream* stream) {
  const AVRational rate = av_guess_frame_rate(input, stream, nullptr);
  if (rate.num <= 0 || rate.den <= 0) return 0;
  return av_rescale_q(1, av_inv_q(rate), stream->time_base);
}

}  // namespace

Result<ProbeResult> probe_segment(const std::filesystem::path& path, ProbeMode mode) {
  const std::string what = "probe " + path.string();
  auto input = av::open_input(path.string());
  if (!input) return std::unexpected(input.error().context(what));
  const int index = av_find_best_stream(input->get(), AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  if (index < 0) return fail(ErrorKind::data_loss, what + ": no video stream");
  AVStream* stream = (*input)->streams[index];
  ProbeResult result{0, codec_string(*stream->codecpar)};
  if (mode == ProbeMode::codec_only) return result;

  auto packet = av::make_packet();
  if (!packet) return std::unexpected(packet.error());
  const std::int64_t fallback = frame_duration(input->get(), stream);
  std::int64_t first = std::numeric_limits<std::int64_t>::max();
  std::int64_t end = std::numeric_limits<std::int64_t>::min();
  for (;;) {
    const int rc = av_read_frame(input->get(), packet->get());
    if (rc == AVERROR_EOF) break;
    if (rc < 0) {
      // A damaged tail: keep what was read so far, as players would.
      if (end > first) break;
      return std::unexpected(av::error_from(rc, what));
    }
    const AVPacket& p = *packet->get();
    if (p.stream_index == index) {
      const std::int64_t pts = p.pts != AV_NOPTS_VALUE ? p.pts : p.dts;
      if (pts != AV_NOPTS_VALUE) {
        first = std::min(first, pts);
        end = std::max(end, pts + (p.duration > 0 ? p.duration : fallback));
      }
    }
    av_packet_unref(packet->get());
  }
  if (end <= first) return fail(ErrorKind::data_loss, what + ": no timed video packets");
  result.duration_us = av_rescale_q(end - first, stream->time_base, AVRational{1, 1'000'000});
  if (result.duration_us <= 0) return fail(ErrorKind::data_loss, what + ": zero duration");
  return result;
}

}  // namespace cctv::worker
