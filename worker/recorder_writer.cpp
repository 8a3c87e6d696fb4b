#include "worker/recorder_writer.hpp"

#include "core/layout.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <system_error>

namespace cctv::worker {
namespace {

constexpr int k_io_buffer_size = 64 * 1024;
constexpr AVRational k_micros{1, 1'000'000};

// What libavformat's MPEG-TS muxer carries (it answers no avformat_query_codec) and
// HLS players play. MJPEG, PCM (G.711) and the like need re-encoding: not at ingest.
bool fits_in_ts(AVCodecID codec) {
  switch (codec) {
    case AV_CODEC_ID_H264:
    case AV_CODEC_ID_HEVC:
    case AV_CODEC_ID_MPEG2VIDEO:
    case AV_CODEC_ID_MPEG4:
    case AV_CODEC_ID_AAC:
    case AV_CODEC_ID_AAC_LATM:
    case AV_CODEC_ID_MP2:
    case AV_CODEC_ID_MP3:
    case AV_CODEC_ID_AC3:
    case AV_CODEC_ID_EAC3:
    case AV_CODEC_ID_OPUS:
      return true;
    default:
      return false;
  }
}

std::string errno_text(int code) {
  return std::error_code(code, std::generic_category()).message();
}

}  // namespace

namespace detail {

void free_io(AVIOContext** io) {
  if (io == nullptr || *io == nullptr) return;
  av_freep(&(*io)->buffer);
  avio_context_free(io);
}

void free_muxer(AVFormatContext** muxer) {
  if (muxer == nullptr || *muxer == nullptr) return;
  (*muxer)->pb = nullptr;  // ours: freed by free_io
  avformat_free_context(*muxer);
  *muxer = nullptr;
}

}  // namespace detail

Result<StreamChoice> choose_streams(const AVFormatContext& input) {
  auto* ctx = const_cast<AVFormatContext*>(&input);  // av_find_best_stream takes no const
  StreamChoice choice;
  choice.video = av_find_best_stream(ctx, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  if (choice.video < 0) return fail(ErrorKind::data_loss, "no video stream");
  const AVCodecID video = input.streams[choice.video]->codecpar->codec_id;
  if (!fits_in_ts(video)) {
    return fail(ErrorKind::invalid_argument,
                std::string("video codec ") + avcodec_get_name(video) +
                    " cannot be stored in MPEG-TS without "
                    "re-encoding (use the camera's H.264/H.265 stream)");
  }
  for (unsigned i = 0; i < input.nb_streams; ++i) {
    const AVCodecParameters& par = *input.streams[i]->codecpar;
    if (par.codec_type == AVMEDIA_TYPE_AUDIO && fits_in_ts(par.codec_id)) {
      choice.audio = static_cast<int>(i);
      break;
    }
  }
  return choice;
}

std::string codec_label(const AVCodecParameters& parameters) {
  std::string codec = avcodec_get_name(parameters.codec_id);
  if (parameters.width > 0 && parameters.height > 0) {
    codec += " " + std::to_string(parameters.width) + "x" + std::to_string(parameters.height);
  }
  return codec;
}

Result<std::unique_ptr<SegmentWriter>> SegmentWriter::create(const std::filesystem::path& part,
                                                             const AVFormatContext& input,
                                                             StreamChoice streams,
                                                             std::int64_t origin_us) {
  std::unique_ptr<SegmentWriter> writer(new SegmentWriter(part));
  if (auto opened = writer->open(input, streams, origin_us); !opened) {
    writer->abandon();
    return std::unexpected(opened.error());
  }
  return writer;
}

SegmentWriter::~SegmentWriter() = default;

Error SegmentWriter::io_error(int code, std::string_view what) const {
  if (m_errno != 0) {
    return Error{ErrorKind::unavailable,
                 std::string(what) + " " + m_part.filename().string() + ": " + errno_text(m_errno)};
  }
  return av::error_from(code, std::string(what) + " " + m_part.filename().string());
}

int SegmentWriter::write_io(void* opaque, std::uint8_t* data, int size) {
  auto* self = static_cast<SegmentWriter*>(opaque);
  if (self->m_errno != 0) return AVERROR(self->m_errno);
  int done = 0;
  while (done < size) {
    const ssize_t n = ::write(self->m_fd.get(), data + done, static_cast<std::size_t>(size - done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      self->m_errno = n < 0 ? errno : ENOSPC;
      return AVERROR(self->m_errno);
    }
    done += static_cast<int>(n);
  }
  self->m_bytes += size;
  return size;
}

Result<void> SegmentWriter::open(const AVFormatContext& input, StreamChoice streams,
                                 std::int64_t origin_us) {
  std::error_code ec;
  std::filesystem::create_directories(m_part.parent_path(), ec);
  if (ec) {
    return fail(ErrorKind::unavailable,
                "create " + m_part.parent_path().string() + ": " + ec.message());
  }
  m_fd = UniqueFd(::open(m_part.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  m_created = m_fd.valid();
  if (!m_fd.valid()) {
    return fail(errno == EEXIST ? ErrorKind::invalid_argument : ErrorKind::unavailable,
                "create " + m_part.string() + ": " + errno_text(errno));
  }
  auto* buffer = static_cast<unsigned char*>(av_malloc(k_io_buffer_size));
  if (buffer == nullptr) return fail(ErrorKind::internal, "av_malloc: out of memory");
  m_io = decltype(m_io)(avio_alloc_context(buffer, k_io_buffer_size, 1, this, nullptr,
                                           &SegmentWriter::write_io, nullptr));
  if (!m_io) {
    av_free(buffer);
    return fail(ErrorKind::internal, "avio_alloc_context: out of memory");
  }
  AVFormatContext* muxer = nullptr;
  if (const int rc = avformat_alloc_output_context2(&muxer, nullptr, "mpegts", nullptr); rc < 0) {
    return std::unexpected(av::error_from(rc, "mpegts muxer"));
  }
  m_muxer = decltype(m_muxer)(muxer);
  m_muxer->pb = m_io.get();
  m_muxer->flags |= AVFMT_FLAG_CUSTOM_IO;
  for (int index : {streams.video, streams.audio}) {
    if (index < 0) continue;
    const AVStream* in = input.streams[index];
    AVStream* out = avformat_new_stream(m_muxer.get(), nullptr);
    if (out == nullptr) return fail(ErrorKind::internal, "avformat_new_stream: out of memory");
    if (const int rc = avcodec_parameters_copy(out->codecpar, in->codecpar); rc < 0) {
      return std::unexpected(av::error_from(rc, "copy codec parameters"));
    }
    out->codecpar->codec_tag = 0;
    out->time_base = in->time_base;
    const std::int64_t origin = av_rescale_q(origin_us - k_headroom_us, k_micros, in->time_base);
    m_outputs.push_back(Output{index, in->time_base, origin, AV_NOPTS_VALUE});
  }
  if (const int rc = avformat_write_header(m_muxer.get(), nullptr); rc < 0) {
    return std::unexpected(io_error(rc, "write header of"));
  }
  return {};
}

Result<void> SegmentWriter::write(AVPacket& packet) {
  std::size_t out = 0;
  while (out < m_outputs.size() && m_outputs[out].input_index != packet.stream_index) ++out;
  if (out == m_outputs.size()) return {};
  Output& o = m_outputs[out];
  if (packet.pts != AV_NOPTS_VALUE) packet.pts -= o.origin;
  if (packet.dts != AV_NOPTS_VALUE) packet.dts -= o.origin;
  const std::int64_t dts = packet.dts != AV_NOPTS_VALUE ? packet.dts : packet.pts;
  // MPEG-TS wants every stream's dts to rise strictly and be non-negative.
  if (dts == AV_NOPTS_VALUE || dts < 0 || (o.last_dts != AV_NOPTS_VALUE && dts <= o.last_dts)) {
    ++m_dropped;
    return {};
  }
  o.last_dts = dts;
  packet.stream_index = static_cast<int>(out);
  av_packet_rescale_ts(&packet, o.input_time_base, m_muxer->streams[out]->time_base);
  packet.pos = -1;
  if (const int rc = av_write_frame(m_muxer.get(), &packet); rc < 0) {
    return std::unexpected(io_error(rc, "write"));
  }
  return {};
}

Result<void> SegmentWriter::finish() {
  if (m_finished) return fail(ErrorKind::internal, "segment finished twice");
  m_finished = true;
  if (const int rc = av_write_trailer(m_muxer.get()); rc < 0) {
    return std::unexpected(io_error(rc, "write trailer of"));
  }
  avio_flush(m_io.get());
  if (m_errno != 0 || m_io->error < 0) return std::unexpected(io_error(m_io->error, "write"));
  if (::fsync(m_fd.get()) != 0) {
    return fail(ErrorKind::unavailable, "fsync " + m_part.string() + ": " + errno_text(errno));
  }
  m_fd.reset();  // after a successful fsync, close has nothing left to report
  return {};
}

void SegmentWriter::abandon() {
  m_muxer.reset();
  m_io.reset();
  m_fd.reset();
  std::error_code ec;
  if (m_created) std::filesystem::remove(m_part, ec);  // never someone else's file
  m_created = false;
}

std::optional<int> free_second(const std::filesystem::path& dir, int wanted,
                               const std::filesystem::path& own_part) {
  for (int s = std::max(wanted, 0); s < 86400; ++s) {
    const auto name = dir / segment_name(s);
    const std::filesystem::path part = name.string() + ".part";
    std::error_code ec;
    if (!std::filesystem::exists(name, ec) &&
        (part == own_part || !std::filesystem::exists(part, ec))) {
      return s;
    }
  }
  return std::nullopt;
}

Result<void> sync_directory(const std::filesystem::path& dir) {
  const UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid() || ::fsync(fd.get()) != 0) {
    return fail(ErrorKind::unavailable, "fsync " + dir.string() + ": " + errno_text(errno));
  }
  return {};
}

Result<void> publish(const std::filesystem::path& from, const std::filesystem::path& to) {
  std::error_code ec;
  std::filesystem::create_directories(to.parent_path(), ec);
  if (ec)
    return fail(ErrorKind::unavailable,
                "create " + to.parent_path().string() + ": " + ec.message());
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) != 0) {
    const int code = errno;
    return fail(code == EEXIST ? ErrorKind::invalid_argument : ErrorKind::unavailable,
                "rename " + from.filename().string() + " to " + to.filename().string() + ": " +
                    errno_text(code));
  }
  CCTV_TRY(sync_directory(to.parent_path()));
  if (from.parent_path() != to.parent_path()) CCTV_TRY(sync_directory(from.parent_path()));
  return {};
}

}  // namespace cctv::worker
