#include "worker/converter.hpp"

#include "core/av.hpp"
#include "core/log.hpp"
#include "worker/sha512.hpp"
#include "worker/unique_fd.hpp"

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
#include <fstream>
#include <span>
#include <system_error>

namespace cctv::worker {
namespace {

constexpr AVRational k_micros{1, 1'000'000};
constexpr AVRational k_time_base{1, 90'000};
constexpr std::int64_t k_duration_tolerance_us = 1'000'000;

Error errno_error(const std::string& what) {
  return Error{ErrorKind::unavailable, what + ": " + std::strerror(errno)};
}

Result<void> fsync_path(const std::filesystem::path& path, bool directory) {
  const UniqueFd fd(
      ::open(path.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC));
  if (!fd.valid()) return std::unexpected(errno_error("open " + path.string()));
  if (::fsync(fd.get()) != 0) return std::unexpected(errno_error("fsync " + path.string()));
  return {};
}

void remove_quietly(const std::filesystem::path& path) {
  std::error_code ec;
  std::filesystem::remove(path, ec);
}

std::uint64_t read_be(const unsigned char* bytes, int count) {
  std::uint64_t value = 0;
  for (int i = 0; i < count; ++i) value = (value << 8U) | bytes[i];  // NOLINT
  return value;
}

// The encoder and muxer of one output file.
class Encoder {
 public:
  Encoder(const std::filesystem::path& file, const ConvertOptions& options)
      : m_file(file), m_options(options) {}

  // The day's AAC audio, copied as it is (the muxer turns ADTS into ASC); before open().
  Result<void> set_audio(const AVCodecParameters& audio, std::span<const std::uint8_t> adts) {
    // AudioSpecificConfig from the first ADTS header: object type, rate index, channels.
    if (adts.size() < 7 || adts[0] != 0xff || (adts[1] & 0xf0U) != 0xf0U) {
      return fail(ErrorKind::data_loss, "AAC audio without ADTS headers");
    }
    const unsigned object = ((adts[2] >> 6U) & 0x3U) + 1;
    const unsigned rate = (adts[2] >> 2U) & 0xfU;
    const unsigned channels = ((adts[2] & 0x1U) << 2U) | ((adts[3] >> 6U) & 0x3U);
    m_asc = {static_cast<std::uint8_t>((object << 3U) | (rate >> 1U)),
             static_cast<std::uint8_t>(((rate & 0x1U) << 7U) | (channels << 3U))};
    m_audio_par =
        av::Handle<AVCodecParameters, avcodec_parameters_free>(avcodec_parameters_alloc());
    if (!m_audio_par) return fail(ErrorKind::internal, "avcodec_parameters_alloc: out of memory");
    if (avcodec_parameters_copy(m_audio_par.get(), &audio) < 0) {
      return fail(ErrorKind::internal, "avcodec_parameters_copy failed");
    }
    m_audio_par->codec_tag = 0;
    return {};
  }
  [[nodiscard]] bool has_audio() const { return static_cast<bool>(m_audio_par); }

  // An audio packet whose pts/dts are in k_time_base already.
  Result<void> write_audio(AVPacket* packet) {
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

  // Opens the encoder and the muxer for frames like `frame` at `rate` frames/s.
  Result<void> open(const AVFrame& frame, AVRational rate) {
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
    av_dict_set(opts.out(), "x265-params",
                "keyint=100000:min-keyint=1:scenecut=0:open-gop=0:log-level=error", 0);
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

  [[nodiscard]] bool is_open() const { return static_cast<bool>(m_codec); }
  [[nodiscard]] const std::string& codec_text() const { return m_codec_text; }
  [[nodiscard]] int width() const { return m_codec ? m_codec->width : 0; }
  [[nodiscard]] int height() const { return m_codec ? m_codec->height : 0; }

  // Encodes `frame` (its pts in k_time_base); nullptr flushes.
  Result<void> encode(AVFrame* frame) {
    if (const int rc = avcodec_send_frame(m_codec.get(), frame); rc < 0) {
      return std::unexpected(av::error_from(rc, "encode"));
    }
    for (;;) {
      const int rc = avcodec_receive_packet(m_codec.get(), m_packet.get());
      if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return {};
      if (rc < 0) return std::unexpected(av::error_from(rc, "encode"));
      m_packet->stream_index = 0;
      if (m_packet->duration <= 0) m_packet->duration = m_frame_ticks;
      av_packet_rescale_ts(m_packet.get(), m_codec->time_base, m_mux->streams[0]->time_base);
      if (const int w = av_interleaved_write_frame(m_mux.get(), m_packet.get()); w < 0) {
        return std::unexpected(av::error_from(w, "write " + m_file.string()));
      }
    }
  }

  Result<void> finish() {
    CCTV_TRY(encode(nullptr));
    if (const int rc = av_write_trailer(m_mux.get()); rc < 0) {
      return std::unexpected(av::error_from(rc, "finish " + m_file.string()));
    }
    m_mux.reset();  // closes the file
    return {};
  }

 private:
  std::filesystem::path m_file;
  const ConvertOptions& m_options;
  av::CodecContext m_codec;
  av::OutputFormat m_mux;
  av::Packet m_packet;
  std::string m_codec_text;
  std::int64_t m_frame_ticks = 1;
  av::Handle<AVCodecParameters, avcodec_parameters_free> m_audio_par;
  std::int64_t m_last_audio_dts = AV_NOPTS_VALUE;
  std::array<std::uint8_t, 2> m_asc{};
};

// Decodes one segment into the encoder; pts are relative to `day_start_us`. Returns
// the number of frames encoded; an error only for the encoder's failures (the caller
// skips a segment that cannot be read).
struct SegmentOutcome {
  std::int64_t frames = 0;
  std::string problem;  // why the segment was (partly) skipped
};

Result<SegmentOutcome> transcode_segment(const std::filesystem::path& file, std::int64_t offset_us,
                                         Encoder& encoder, std::int64_t& last_pts,
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
      if (first_ts == AV_NOPTS_VALUE) first_ts = ts == AV_NOPTS_VALUE ? 0 : ts;
      std::int64_t pts = av_rescale_q(offset_us, k_micros, k_time_base);
      if (ts != AV_NOPTS_VALUE) pts += av_rescale_q(ts - first_ts, stream->time_base, k_time_base);
      if (last_pts != AV_NOPTS_VALUE && pts <= last_pts) pts = last_pts + 1;
      last_pts = pts;
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
      const std::int64_t base = av_rescale_q(offset_us, k_micros, k_time_base);
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

// Start and duration of each fragment, from the keyframes the MP4 demuxer reports.
Result<void> time_fragments(const std::filesystem::path& file, UtcMicros day_start_us,
                            ConvertedDay& day) {
  auto input = av::open_input(file.string());
  if (!input) return std::unexpected(input.error().context(file.string()));
  const int video = av_find_best_stream(input->get(), AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  if (video < 0) return fail(ErrorKind::data_loss, file.string() + ": no video stream");
  AVStream* stream = (*input)->streams[video];
  auto packet = av::make_packet();
  if (!packet) return std::unexpected(packet.error());
  std::vector<std::int64_t> starts;
  std::vector<std::int64_t> lengths;  // the sum of each fragment's frame durations
  std::int64_t end = 0;
  for (;;) {
    const int rc = av_read_frame(input->get(), packet->get());
    if (rc == AVERROR_EOF) break;
    if (rc < 0) return std::unexpected(av::error_from(rc, "read " + file.string()));
    AVPacket* p = packet->get();
    if (p->stream_index == video && p->pts != AV_NOPTS_VALUE) {
      const std::int64_t pts = av_rescale_q(p->pts, stream->time_base, k_micros);
      const std::int64_t dur = av_rescale_q(p->duration, stream->time_base, k_micros);
      if ((p->flags & AV_PKT_FLAG_KEY) != 0 || starts.empty()) {
        starts.push_back(pts);
        lengths.push_back(0);
      }
      lengths.back() += dur;
      end = std::max(end, pts + dur);
    }
    av_packet_unref(p);
  }
  if (starts.size() != day.fragments.size()) {
    return fail(ErrorKind::data_loss, file.string() + ": " + std::to_string(starts.size()) +
                                          " keyframes for " + std::to_string(day.fragments.size()) +
                                          " fragments");
  }
  for (std::size_t i = 0; i < starts.size(); ++i) {
    const std::int64_t next = i + 1 < starts.size() ? starts[i + 1] : end;
    day.fragments[i].start_us = day_start_us + starts[i];
    // Up to the next fragment, or less where a skipped segment left a hole.
    day.fragments[i].duration_us = std::min(next - starts[i], lengths[i]);
  }
  if (stream->codecpar->width > 0) {
    day.codec = "hevc " + std::to_string(stream->codecpar->width) + "x" +
                std::to_string(stream->codecpar->height);
  }
  return {};
}

}  // namespace

Result<std::vector<Mp4Box>> read_top_level_boxes(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return fail(ErrorKind::not_found, "cannot read " + file.string());
  std::error_code ec;
  const auto total = static_cast<std::int64_t>(std::filesystem::file_size(file, ec));
  if (ec) return fail(ErrorKind::unavailable, file.string() + ": " + ec.message());
  std::vector<Mp4Box> boxes;
  std::int64_t offset = 0;
  while (offset < total) {
    std::array<unsigned char, 16> header{};
    in.seekg(offset);
    in.read(reinterpret_cast<char*>(header.data()), 8);  // NOLINT
    if (in.gcount() != 8) return fail(ErrorKind::data_loss, file.string() + ": truncated box");
    std::int64_t size = static_cast<std::int64_t>(read_be(header.data(), 4));
    std::string type(reinterpret_cast<const char*>(header.data() + 4), 4);  // NOLINT
    if (size == 1) {
      in.read(reinterpret_cast<char*>(header.data() + 8), 8);  // NOLINT
      if (in.gcount() != 8) return fail(ErrorKind::data_loss, file.string() + ": truncated box");
      size = static_cast<std::int64_t>(read_be(header.data() + 8, 8));  // NOLINT
    } else if (size == 0) {
      size = total - offset;
    }
    if (size < 8 || offset + size > total) {
      return fail(ErrorKind::data_loss, file.string() + ": box " + type + " at " +
                                            std::to_string(offset) + " overruns the file");
    }
    boxes.push_back(Mp4Box{std::move(type), offset, size});
    offset += size;
  }
  return boxes;
}

Result<ConvertedDay> layout_of(const std::filesystem::path& file) {
  auto boxes = read_top_level_boxes(file);
  if (!boxes) return std::unexpected(boxes.error());
  ConvertedDay day;
  day.file_name = file.filename().string();
  std::error_code ec;
  day.file_size_bytes = static_cast<std::int64_t>(std::filesystem::file_size(file, ec));
  bool seen_moov = false;
  for (std::size_t i = 0; i < boxes->size(); ++i) {
    const Mp4Box& box = (*boxes)[i];
    if (box.type == "moov") seen_moov = true;
    if (box.type != "moof") continue;
    if (day.fragments.empty()) day.init_size_bytes = box.offset;
    if (i + 1 >= boxes->size() || (*boxes)[i + 1].type != "mdat") {
      return fail(ErrorKind::data_loss, file.string() + ": moof without mdat");
    }
    day.fragments.push_back(Fragment{box.offset, box.size + (*boxes)[i + 1].size, 0, 0});
  }
  if (!seen_moov || day.fragments.empty()) {
    return fail(ErrorKind::data_loss, file.string() + ": not a fragmented MP4");
  }
  return day;
}

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
  const UtcMicros day_start = segs->front().start_us;

  std::int64_t source_bytes = 0;
  std::int64_t expected_us = 0;
  std::error_code ec;
  bool reuse = false;
  if (std::filesystem::exists(video, ec)) {
    // A crash between the rename and the catalog: keep the file if its checksum holds.
    auto verified = verify_sha512sum(video);
    reuse = verified && *verified;
    log::notice(what + ": found " + video.string() +
                (reuse ? " with a matching checksum: finishing it" : ": converting again"));
    if (!reuse) {
      remove_quietly(video);
      remove_quietly(sha512sum_path(video));
    }
  }
  for (const Segment& seg : *segs) source_bytes += seg.size_bytes;
  if (reuse) {
    for (const Segment& seg : *segs) expected_us += seg.duration_us;
  } else {
    Encoder encoder(part, options);
    for (const Segment& seg : *segs) {  // the day's audio: AAC in its first readable segment
      auto input = av::open_input((day_dir / seg.name).string());
      if (!input) continue;
      const int a = av_find_best_stream(input->get(), AVMEDIA_TYPE_AUDIO, -1, -1, nullptr, 0);
      if (a >= 0 && (*input)->streams[a]->codecpar->codec_id == AV_CODEC_ID_AAC) {
        auto packet = av::make_packet();
        if (!packet) return std::unexpected(packet.error());
        while (av_read_frame(input->get(), packet->get()) >= 0) {
          if ((*packet)->stream_index == a) {
            auto set =
                encoder.set_audio(*(*input)->streams[a]->codecpar,
                                  std::span<const std::uint8_t>(
                                      (*packet)->data, static_cast<std::size_t>((*packet)->size)));
            if (!set) log::warning(what + ": audio dropped: " + set.error().message);
            break;
          }
          av_packet_unref(packet->get());
        }
      }
      break;
    }
    std::int64_t last_pts = AV_NOPTS_VALUE;
    std::size_t used = 0;
    for (const Segment& seg : *segs) {
      auto outcome = transcode_segment(day_dir / seg.name, seg.start_us - day_start, encoder,
                                       last_pts, options);
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
  }
  auto day = layout_of(video);
  if (!day) return std::unexpected(day.error());
  day->source_size_bytes = source_bytes;
  CCTV_TRY(time_fragments(video, day_start, *day));
  std::int64_t total_us = 0;
  for (const Fragment& frag : day->fragments) total_us += frag.duration_us;
  if (!reuse && std::llabs(total_us - expected_us) > k_duration_tolerance_us) {
    return fail(ErrorKind::data_loss, what + ": video.mp4 lasts " + std::to_string(total_us) +
                                          " us, its segments " + std::to_string(expected_us) +
                                          " us");
  }
  auto verified = verify_sha512sum(video);
  if (!verified || !*verified) {
    return fail(ErrorKind::data_loss, what + ": the checksum of video.mp4 does not match");
  }
  CCTV_TRY(catalog.put_converted_day(camera_id, date, *day));
  for (const Segment& seg : *segs) {
    remove_quietly(day_dir / seg.name);
    std::filesystem::path sidecar = day_dir / seg.name;
    sidecar += ".duration";
    remove_quietly(sidecar);
  }
  log::notice(what + ": converted " + std::to_string(segs->size()) + " segments (" +
              std::to_string(source_bytes) + " bytes) into video.mp4 (" +
              std::to_string(day->file_size_bytes) + " bytes, " +
              std::to_string(day->fragments.size()) + " fragments)");
  return *day;
}

}  // namespace cctv::worker
