#include "core/picture.hpp"

extern "C" {
#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
}

#include <algorithm>
#include <cmath>
#include <memory>
#include <utility>

namespace cctv::av {
namespace {

struct SwsFree {
  void operator()(SwsContext* context) const { sws_freeContext(context); }
};
using Scaler = std::unique_ptr<SwsContext, SwsFree>;

// The non-J twin of a full-range "J" format (swscale warns about the J ones).
AVPixelFormat plain_format(AVPixelFormat format, bool& full_range) {
  switch (format) {
    case AV_PIX_FMT_YUVJ420P:
      full_range = true;
      return AV_PIX_FMT_YUV420P;
    case AV_PIX_FMT_YUVJ422P:
      full_range = true;
      return AV_PIX_FMT_YUV422P;
    case AV_PIX_FMT_YUVJ444P:
      full_range = true;
      return AV_PIX_FMT_YUV444P;
    case AV_PIX_FMT_YUVJ440P:
      full_range = true;
      return AV_PIX_FMT_YUV440P;
    default:
      return format;
  }
}

}  // namespace

Result<CodecContext> open_decoder(const AVStream& stream, int threads) {
  const AVCodec* codec = avcodec_find_decoder(stream.codecpar->codec_id);
  if (codec == nullptr) return fail(ErrorKind::data_loss, "no decoder for the video stream");
  CodecContext decoder(avcodec_alloc_context3(codec));
  if (!decoder) return fail(ErrorKind::internal, "avcodec_alloc_context3: out of memory");
  if (const int rc = avcodec_parameters_to_context(decoder.get(), stream.codecpar); rc < 0) {
    return std::unexpected(error_from(rc, "decoder parameters"));
  }
  decoder->thread_count = threads;
  decoder->pkt_timebase = stream.time_base;
  if (const int rc = avcodec_open2(decoder.get(), codec, nullptr); rc < 0) {
    return std::unexpected(error_from(rc, "open the decoder"));
  }
  return decoder;
}

Result<Frame> scale_frame(const AVFrame& src, int width, AVPixelFormat format, AVColorRange range) {
  double display_width = src.width;
  if (src.sample_aspect_ratio.num > 0 && src.sample_aspect_ratio.den > 0) {
    display_width *= av_q2d(src.sample_aspect_ratio);
  }
  const int dst_w = std::max(2, std::min(width, static_cast<int>(display_width)) & ~1);
  const int dst_h =
      std::max(2, static_cast<int>(std::lround(src.height * dst_w / display_width / 2)) * 2);
  return scale_frame_to(src, dst_w, dst_h, format, range);
}

Result<Frame> scale_frame_to(const AVFrame& src, int width, int height, AVPixelFormat format,
                             AVColorRange range) {
  bool full_range = src.color_range == AVCOL_RANGE_JPEG;
  const AVPixelFormat src_format = plain_format(static_cast<AVPixelFormat>(src.format), full_range);
  Scaler scaler(sws_getContext(src.width, src.height, src_format, width, height, format,
                               SWS_BICUBIC, nullptr, nullptr, nullptr));
  if (!scaler) {
    const char* name = av_get_pix_fmt_name(src_format);
    return fail(ErrorKind::data_loss,
                std::string("cannot scale pixel format ") + (name != nullptr ? name : "?"));
  }
  const int* coefficients = sws_getCoefficients(SWS_CS_DEFAULT);
  sws_setColorspaceDetails(scaler.get(), coefficients, full_range ? 1 : 0, coefficients,
                           range == AVCOL_RANGE_JPEG ? 1 : 0, 0, 1 << 16, 1 << 16);
  auto dst = make_frame();
  if (!dst) return std::unexpected(dst.error());
  AVFrame* out = dst->get();
  out->width = width;
  out->height = height;
  out->format = format;
  out->color_range = range;
  if (const int rc = av_frame_get_buffer(out, 0); rc < 0) {
    return std::unexpected(error_from(rc, "frame buffer"));
  }
  sws_scale(scaler.get(), src.data, src.linesize, 0, src.height, out->data, out->linesize);
  return std::move(*dst);
}

Result<std::string> encode_jpeg(AVFrame& frame, int quality) {
  const AVCodec* codec = avcodec_find_encoder(AV_CODEC_ID_MJPEG);
  if (codec == nullptr) return fail(ErrorKind::internal, "no MJPEG encoder in libavcodec");
  CodecContext encoder(avcodec_alloc_context3(codec));
  if (!encoder) return fail(ErrorKind::internal, "avcodec_alloc_context3: out of memory");
  encoder->width = frame.width;
  encoder->height = frame.height;
  encoder->pix_fmt = AV_PIX_FMT_YUV420P;
  encoder->color_range = AVCOL_RANGE_JPEG;
  encoder->time_base = AVRational{1, 25};
  encoder->flags |= AV_CODEC_FLAG_QSCALE;
  encoder->global_quality = FF_QP2LAMBDA * std::clamp(quality, 2, 31);
  if (const int rc = avcodec_open2(encoder.get(), codec, nullptr); rc < 0) {
    return std::unexpected(error_from(rc, "open the MJPEG encoder"));
  }
  frame.pts = 0;
  frame.quality = encoder->global_quality;
  if (const int rc = avcodec_send_frame(encoder.get(), &frame); rc < 0) {
    return std::unexpected(error_from(rc, "encode JPEG"));
  }
  (void)avcodec_send_frame(encoder.get(), nullptr);
  auto packet = make_packet();
  if (!packet) return std::unexpected(packet.error());
  if (const int rc = avcodec_receive_packet(encoder.get(), packet->get()); rc < 0) {
    return std::unexpected(error_from(rc, "encode JPEG"));
  }
  return std::string(reinterpret_cast<const char*>((*packet)->data),
                     static_cast<std::size_t>((*packet)->size));
}

}  // namespace cctv::av
