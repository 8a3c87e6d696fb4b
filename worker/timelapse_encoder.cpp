#include "worker/timelapse_encoder.hpp"

#include <string>
#include <utility>

namespace cctv::worker {

Result<void> TimelapseEncoder::open(int width, int height) {
  const AVCodec* codec = avcodec_find_encoder_by_name("libx264");
  if (codec == nullptr) return fail(ErrorKind::unavailable, "encoder libx264 not available");
  m_codec = av::CodecContext(avcodec_alloc_context3(codec));
  if (!m_codec) return fail(ErrorKind::internal, "avcodec_alloc_context3: out of memory");
  m_codec->width = width;
  m_codec->height = height;
  m_codec->pix_fmt = AV_PIX_FMT_YUV420P;
  m_codec->color_range = AVCOL_RANGE_MPEG;
  m_codec->sample_aspect_ratio = AVRational{1, 1};
  m_codec->time_base = AVRational{1, m_options.fps};
  m_codec->framerate = AVRational{m_options.fps, 1};
  m_codec->gop_size = 2 * m_options.fps;  // a keyframe every 2 s of output: seeking
  if (const int rc = avformat_alloc_output_context2(m_mux.out(), nullptr, "mp4", m_file.c_str());
      rc < 0) {
    return std::unexpected(av::error_from(rc, "MP4 muxer for " + m_file.string()));
  }
  if ((m_mux->oformat->flags & AVFMT_GLOBALHEADER) != 0) {
    m_codec->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  }
  av::Dictionary opts;
  av_dict_set(opts.out(), "preset", m_options.preset.c_str(), 0);
  av_dict_set(opts.out(), "crf", std::to_string(m_options.crf).c_str(), 0);
  if (const int rc = avcodec_open2(m_codec.get(), codec, opts.out()); rc < 0) {
    return std::unexpected(av::error_from(rc, "open libx264"));
  }
  AVStream* stream = avformat_new_stream(m_mux.get(), nullptr);
  if (stream == nullptr) return fail(ErrorKind::internal, "avformat_new_stream failed");
  if (const int rc = avcodec_parameters_from_context(stream->codecpar, m_codec.get()); rc < 0) {
    return std::unexpected(av::error_from(rc, "stream parameters"));
  }
  stream->time_base = m_codec->time_base;
  if (const int rc = avio_open(&m_mux->pb, m_file.c_str(), AVIO_FLAG_WRITE); rc < 0) {
    return std::unexpected(av::error_from(rc, "create " + m_file.string()));
  }
  av::Dictionary mux_opts;
  // The index (moov) first: browsers play it while it downloads.
  av_dict_set(mux_opts.out(), "movflags", "+faststart", 0);
  if (const int rc = avformat_write_header(m_mux.get(), mux_opts.out()); rc < 0) {
    return std::unexpected(av::error_from(rc, "write the MP4 header of " + m_file.string()));
  }
  auto packet = av::make_packet();
  if (!packet) return std::unexpected(packet.error());
  m_packet = std::move(*packet);
  return {};
}

Result<void> TimelapseEncoder::encode(av::Frame picture, std::int64_t slot) {
  CCTV_TRY(repeat_held_until(slot));
  m_held = std::move(picture);
  m_next_pts = slot;
  return {};
}

Result<void> TimelapseEncoder::finish(std::int64_t end_slot) {
  CCTV_TRY(repeat_held_until(end_slot));
  CCTV_TRY(send(nullptr));
  if (const int rc = av_write_trailer(m_mux.get()); rc < 0) {
    return std::unexpected(av::error_from(rc, "finish " + m_file.string()));
  }
  m_mux.reset();  // closes the file
  return {};
}

Result<void> TimelapseEncoder::repeat_held_until(std::int64_t slot) {
  if (!m_held) return {};
  for (; m_next_pts < slot; ++m_next_pts) {
    m_held->pts = m_next_pts;
    m_held->pict_type = AV_PICTURE_TYPE_NONE;
    CCTV_TRY(send(m_held.get()));  // the encoder takes its own reference
  }
  return {};
}

Result<void> TimelapseEncoder::send(AVFrame* frame) {
  return av::encode_and_write(m_codec.get(), frame, m_mux.get(), 0, m_packet.get(), m_file.native(),
                              {.ticks = 1, .always = true});
}

}  // namespace cctv::worker
