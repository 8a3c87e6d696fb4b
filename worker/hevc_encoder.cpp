#include "worker/hevc_encoder.hpp"

extern "C" {
#include <libavutil/mem.h>
}

#include <algorithm>
#include <cstring>

namespace cctv::worker {

HevcEncoder::HevcEncoder(std::filesystem::path file, const ConvertOptions& options)
    : m_file(std::move(file)), m_options(options) {}

Result<void> HevcEncoder::set_audio(const AVCodecParameters& audio,
                                    std::span<const std::uint8_t> adts) {
  // AudioSpecificConfig from the first ADTS header: object type, rate index, channels.
  if (adts.size() < 7 || adts[0] != 0xff || (adts[1] & 0xf0U) != 0xf0U) {
    return fail(ErrorKind::data_loss, "AAC audio without ADTS headers");
  }
  const unsigned object = ((adts[2] >> 6U) & 0x3U) + 1;
  const unsigned rate = (adts[2] >> 2U) & 0xfU;
  const unsigned channels = ((adts[2] & 0x1U) << 2U) | ((adts[3] >> 6U) & 0x3U);
  m_asc = {static_cast<std::uint8_t>((object << 3U) | (rate >> 1U)),
           static_cast<std::uint8_t>(((rate & 0x1U) << 7U) | (channels << 3U))};
  m_audio_par = av::Handle<AVCodecParameters, avcodec_parameters_free>(avcodec_parameters_alloc());
  if (!m_audio_par) return fail(ErrorKind::internal, "avcodec_parameters_alloc: out of memory");
  if (avcodec_parameters_copy(m_audio_par.get(), &audio) < 0) {
    return fail(ErrorKind::internal, "avcodec_parameters_copy failed");
  }
  m_audio_par->codec_tag = 0;
  return {};
}

Result<void> HevcEncoder::write_audio(AVPacket* packet) {
  if (!is_open() || !has_audio()) return {};
  if (m_last_audio_dts != AV_NOPTS_VALUE && packet->dts <= m_last_audio_dts) return {};
  m_last_audio_dts = packet->dts;
  {
    // One ADTS frame per packet in MPEG-TS: its header (7 bytes, 9 with a CRC) goes.
    if (packet->size < 7 || packet->data[0] != 0xff) return {};
    const int header = (packet->data[1] & 0x1U) != 0 ? 7 : 9;
    if (packet->size <= header) return {};
    packet->data += header;  // NOLINT
    packet->size -= header;
    packet->stream_index = 1;
    av_packet_rescale_ts(packet, k_time_base, m_mux->streams[1]->time_base);
    packet->pos = -1;
    if (const int w = av_interleaved_write_frame(m_mux.get(), packet); w < 0) {
      return std::unexpected(av::error_from(w, "write audio to " + m_file.string()));
    }
  }
  return {};
}

Result<void> HevcEncoder::open(const AVFrame& frame, AVRational rate) {
  const AVCodec* codec = avcodec_find_encoder_by_name("libx265");
  if (codec == nullptr) return fail(ErrorKind::unavailable, "encoder libx265 not available");
  m_codec = av::CodecContext(avcodec_alloc_context3(codec));
  if (!m_codec) return fail(ErrorKind::internal, "avcodec_alloc_context3: out of memory");
  m_codec->width = frame.width;
  m_codec->height = frame.height;
  m_codec->pix_fmt = AV_PIX_FMT_YUV420P;
  m_codec->time_base = k_time_base;
  m_codec->framerate = rate;
  m_frame_ticks = std::max<std::int64_t>(1, av_rescale_q(1, av_inv_q(rate), k_time_base));
  m_codec->sample_aspect_ratio = frame.sample_aspect_ratio;
  if (avformat_alloc_output_context2(m_mux.out(), nullptr, "mp4", m_file.c_str()) < 0) {
    return fail(ErrorKind::internal, "cannot create an MP4 muxer");
  }
  if ((m_mux->oformat->flags & AVFMT_GLOBALHEADER) != 0) {
    m_codec->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  }
  av::Dictionary opts;
  av_dict_set(opts.out(), "preset", m_options.preset.c_str(), 0);
  av_dict_set(opts.out(), "crf", std::to_string(m_options.crf).c_str(), 0);
  av_dict_set(opts.out(), "forced-idr", "1", 0);
  // Keyframes only where a segment starts: one fragment per segment.
  std::string params = "keyint=100000:min-keyint=1:scenecut=0:open-gop=0:log-level=error";
  if (!m_options.x265_params.empty()) params += ":" + m_options.x265_params;
  av_dict_set(opts.out(), "x265-params", params.c_str(), 0);
  if (const int rc = avcodec_open2(m_codec.get(), codec, opts.out()); rc < 0) {
    return std::unexpected(av::error_from(rc, "open libx265"));
  }
  AVStream* stream = avformat_new_stream(m_mux.get(), nullptr);
  if (stream == nullptr) return fail(ErrorKind::internal, "avformat_new_stream failed");
  avcodec_parameters_from_context(stream->codecpar, m_codec.get());
  stream->codecpar->codec_tag = MKTAG('h', 'v', 'c', '1');
  stream->time_base = k_time_base;
  if (m_audio_par) {
    AVStream* audio = avformat_new_stream(m_mux.get(), nullptr);
    if (audio == nullptr) return fail(ErrorKind::internal, "avformat_new_stream failed");
    avcodec_parameters_copy(audio->codecpar, m_audio_par.get());
    audio->codecpar->extradata =
        static_cast<std::uint8_t*>(av_mallocz(m_asc.size() + AV_INPUT_BUFFER_PADDING_SIZE));
    if (audio->codecpar->extradata == nullptr) return fail(ErrorKind::internal, "out of memory");
    std::memcpy(audio->codecpar->extradata, m_asc.data(), m_asc.size());
    audio->codecpar->extradata_size = static_cast<int>(m_asc.size());
    audio->time_base =
        AVRational{1, m_audio_par->sample_rate > 0 ? m_audio_par->sample_rate : 48000};
  }
  if (const int rc = avio_open(&m_mux->pb, m_file.c_str(), AVIO_FLAG_WRITE); rc < 0) {
    return std::unexpected(av::error_from(rc, "create " + m_file.string()));
  }
  av::Dictionary mux_opts;
  av_dict_set(mux_opts.out(), "movflags", "frag_keyframe+empty_moov+default_base_moof", 0);
  if (const int rc = avformat_write_header(m_mux.get(), mux_opts.out()); rc < 0) {
    return std::unexpected(av::error_from(rc, "write MP4 header"));
  }
  auto packet = av::make_packet();
  if (!packet) return std::unexpected(packet.error());
  m_packet = std::move(*packet);
  m_codec_text = "hevc " + std::to_string(frame.width) + "x" + std::to_string(frame.height);
  return {};
}

Result<void> HevcEncoder::encode(AVFrame* frame) {
  // A packet without a duration lasts one frame at the opened rate.
  return av::encode_and_write(m_codec.get(), frame, m_mux.get(), 0, m_packet.get(), m_file.native(),
                              {.ticks = m_frame_ticks});
}

Result<void> HevcEncoder::finish() {
  CCTV_TRY(encode(nullptr));
  if (const int rc = av_write_trailer(m_mux.get()); rc < 0) {
    return std::unexpected(av::error_from(rc, "finish " + m_file.string()));
  }
  m_mux.reset();  // closes the file
  return {};
}

}  // namespace cctv::worker
