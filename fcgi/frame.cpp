#include "fcgi/frame.hpp"

#include "core/av.hpp"
#include "core/picture.hpp"

#include <utility>

namespace cctv::web {
namespace {

// JPEG quality (MJPEG qscale): a still to look at closely, not a thumbnail.
constexpr int k_jpeg_quality = 3;

}  // namespace

Result<Keyframe> last_keyframe_jpeg(const std::filesystem::path& file, bool growing,
                                    int max_width) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) {
    return fail(ErrorKind::not_found, file.filename().string() + ": no such file");
  }
  auto input = av::open_input(file.string());
  if (!input) {
    Error error = input.error().context(file.filename().string());
    error.kind = ErrorKind::data_loss;
    return std::unexpected(std::move(error));
  }
  AVFormatContext* format = input->get();
  const int index = av_find_best_stream(format, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  if (index < 0) return fail(ErrorKind::data_loss, file.filename().string() + ": no video stream");
  const AVStream& stream = *format->streams[index];

  auto packet = av::make_packet();
  if (!packet) return std::unexpected(packet.error());
  auto candidate = av::make_packet();  // the last keyframe read
  if (!candidate) return std::unexpected(candidate.error());
  auto chosen = av::make_packet();  // the last one known to be whole
  if (!chosen) return std::unexpected(chosen.error());
  bool have_candidate = false;
  bool have_chosen = false;
  std::int64_t first_ts = AV_NOPTS_VALUE;
  for (;;) {
    const int rc = av_read_frame(format, packet->get());
    if (rc < 0) break;  // the end, or where a growing file stops making sense
    AVPacket* pkt = packet->get();
    if (pkt->stream_index == index) {
      const std::int64_t ts = pkt->pts != AV_NOPTS_VALUE ? pkt->pts : pkt->dts;
      if (first_ts == AV_NOPTS_VALUE && ts != AV_NOPTS_VALUE) first_ts = ts;
      if (have_candidate) {  // more video after it: the candidate is whole
        av_packet_unref(chosen->get());
        av_packet_move_ref(chosen->get(), candidate->get());
        have_candidate = false;
        have_chosen = true;
      }
      if ((pkt->flags & AV_PKT_FLAG_KEY) != 0) {
        av_packet_unref(candidate->get());
        av_packet_move_ref(candidate->get(), pkt);
        have_candidate = true;
      }
    }
    av_packet_unref(pkt);
  }
  if (have_candidate && !growing) {  // a closed file ends with whole packets
    av_packet_unref(chosen->get());
    av_packet_move_ref(chosen->get(), candidate->get());
    have_chosen = true;
  }
  if (!have_chosen) return fail(ErrorKind::data_loss, file.filename().string() + ": no keyframe");

  auto decoder = av::open_decoder(stream);
  if (!decoder) return std::unexpected(decoder.error().context(file.filename().string()));
  auto frame = av::make_frame();
  if (!frame) return std::unexpected(frame.error());
  const std::int64_t ts =
      chosen->get()->pts != AV_NOPTS_VALUE ? chosen->get()->pts : chosen->get()->dts;
  if (const int rc = avcodec_send_packet(decoder->get(), chosen->get()); rc < 0) {
    return std::unexpected(av::error_from(rc, file.filename().string() + ": decode keyframe"));
  }
  (void)avcodec_send_packet(decoder->get(), nullptr);
  if (const int rc = avcodec_receive_frame(decoder->get(), frame->get()); rc < 0) {
    Error error = av::error_from(rc, file.filename().string() + ": decode keyframe");
    error.kind = ErrorKind::data_loss;
    return std::unexpected(std::move(error));
  }
  auto scaled = av::scale_frame(*frame->get(), max_width);
  if (!scaled) return std::unexpected(scaled.error());
  auto jpeg = av::encode_jpeg(*scaled->get(), k_jpeg_quality);
  if (!jpeg) return std::unexpected(jpeg.error());
  Keyframe out;
  out.jpeg = std::move(*jpeg);
  out.width = scaled->get()->width;
  out.height = scaled->get()->height;
  if (ts != AV_NOPTS_VALUE && first_ts != AV_NOPTS_VALUE && ts > first_ts) {
    out.offset_us = av_rescale_q(ts - first_ts, stream.time_base, AVRational{1, 1'000'000});
  }
  return out;
}

}  // namespace cctv::web
