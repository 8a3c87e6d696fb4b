#include "fcgi/export_mp4.hpp"

#include "core/av.hpp"
#include "core/log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>
#include <optional>
#include <system_error>
#include <utility>
#include <vector>

namespace cctv::web {
namespace {

constexpr AVRational k_micros = {1, 1'000'000};
constexpr AVRational k_out_time_base = {1, 90'000};
constexpr int k_io_buffer_bytes = 64 * 1024;

// A converted day read as one file: its init (ftyp + moov) followed by a byte range of
// whole fragments, through a custom AVIOContext.
class VirtualFile {
 public:
  VirtualFile(int fd, std::int64_t init, std::int64_t offset, std::int64_t length)
      : m_fd(fd), m_init(init), m_offset(offset), m_length(length) {}
  VirtualFile(const VirtualFile&) = delete;
  VirtualFile& operator=(const VirtualFile&) = delete;
  ~VirtualFile() { ::close(m_fd); }

  int read(std::uint8_t* buf, int size) {
    const std::int64_t total = m_init + m_length;
    if (m_pos >= total) return AVERROR_EOF;
    std::int64_t n = std::min<std::int64_t>(size, total - m_pos);
    std::int64_t at = m_pos;
    if (m_pos < m_init) {
      n = std::min(n, m_init - m_pos);
    } else {
      at = m_offset + (m_pos - m_init);
    }
    const ssize_t got = ::pread(m_fd, buf, static_cast<std::size_t>(n), at);
    if (got < 0) return AVERROR(errno);
    if (got == 0) return AVERROR_EOF;
    m_pos += got;
    return static_cast<int>(got);
  }

  std::int64_t seek(std::int64_t offset, int whence) {
    const std::int64_t total = m_init + m_length;
    switch (whence & ~AVSEEK_FORCE) {
      case AVSEEK_SIZE:
        return total;
      case SEEK_SET:
        break;
      case SEEK_CUR:
        offset += m_pos;
        break;
      case SEEK_END:
        offset += total;
        break;
      default:
        return AVERROR(EINVAL);
    }
    if (offset < 0) return AVERROR(EINVAL);
    m_pos = offset;
    return m_pos;
  }

 private:
  int m_fd;
  std::int64_t m_init;
  std::int64_t m_offset;
  std::int64_t m_length;
  std::int64_t m_pos = 0;
};

void free_io(AVIOContext** io) {
  if (io == nullptr || *io == nullptr) return;
  av_freep(&(*io)->buffer);
  avio_context_free(io);
}
using IoContext = av::Handle<AVIOContext, free_io>;

// One opened piece. Members are destroyed in reverse order: the format first (it does
// not own a custom AVIOContext), then the AVIOContext, then the file under it.
struct Input {
  std::unique_ptr<VirtualFile> file;
  IoContext io;
  av::InputFormat format;
  int stream = -1;
};

Result<Input> open_piece(const std::filesystem::path& path, const ExportPiece& piece) {
  Input in;
  if (!piece.converted) {
    auto format = av::open_input(path.string());
    if (!format) return std::unexpected(format.error().context(piece.name));
    in.format = std::move(*format);
  } else {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      return fail(errno == ENOENT ? ErrorKind::not_found : ErrorKind::unavailable,
                  format_date(piece.date) + "/" + piece.name + ": " + std::strerror(errno));
    }
    in.file =
        std::make_unique<VirtualFile>(fd, piece.init_bytes, piece.offset_bytes, piece.length_bytes);
    auto* buffer = static_cast<unsigned char*>(av_malloc(k_io_buffer_bytes));
    if (buffer == nullptr) return fail(ErrorKind::internal, "out of memory");
    in.io = IoContext(avio_alloc_context(
        buffer, k_io_buffer_bytes, 0, in.file.get(),
        [](void* opaque, std::uint8_t* buf, int size) {
          return static_cast<VirtualFile*>(opaque)->read(buf, size);
        },
        nullptr,
        [](void* opaque, std::int64_t offset, int whence) {
          return static_cast<VirtualFile*>(opaque)->seek(offset, whence);
        }));
    if (!in.io) {
      av_free(buffer);
      return fail(ErrorKind::internal, "out of memory");
    }
    in.format = av::InputFormat(avformat_alloc_context());
    if (!in.format) return fail(ErrorKind::internal, "out of memory");
    in.format->pb = in.io.get();
    in.format->flags |= AVFMT_FLAG_CUSTOM_IO;
    if (const int rc = avformat_open_input(in.format.out(), nullptr, nullptr, nullptr); rc < 0) {
      return std::unexpected(
          av::error_from(rc, "open " + format_date(piece.date) + "/" + piece.name));
    }
    if (const int rc = avformat_find_stream_info(in.format.get(), nullptr); rc < 0) {
      return std::unexpected(av::error_from(rc, "read " + piece.name));
    }
  }
  in.stream = av_find_best_stream(in.format.get(), AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  if (in.stream < 0) {
    return fail(ErrorKind::data_loss, format_date(piece.date) + "/" + piece.name + ": no video");
  }
  return in;
}

int write_to_sink(void* opaque, std::uint8_t* buf, int size) {
  auto* state = static_cast<std::pair<const Mp4Sink*, std::int64_t>*>(opaque);
  if (!(*state->first)(
          std::string_view(reinterpret_cast<const char*>(buf), static_cast<std::size_t>(size)))) {
    return AVERROR(EPIPE);
  }
  state->second += size;
  return size;
}

}  // namespace

struct Mp4Export::State {
  std::vector<ExportPiece> pieces;
  std::vector<std::filesystem::path> paths;
  UtcMicros from = 0;
  UtcMicros to = 0;
  std::optional<Input> first;  // opened by open()
};

Mp4Export::Mp4Export(std::unique_ptr<State> state) : m_state(std::move(state)) {}
Mp4Export::Mp4Export(Mp4Export&&) noexcept = default;
Mp4Export& Mp4Export::operator=(Mp4Export&&) noexcept = default;
Mp4Export::~Mp4Export() = default;

Result<Mp4Export> Mp4Export::open(const ExportPlan& plan, const std::filesystem::path& camera_dir,
                                  UtcMicros from, UtcMicros to) {
  av::route_log();
  auto state = std::make_unique<State>();
  state->pieces = plan.pieces;
  state->from = from;
  state->to = to;
  for (const ExportPiece& piece : plan.pieces) {
    // Names come from catalog rows; a '/' would leave the day directory.
    if (piece.name.empty() || piece.name.find('/') != std::string::npos || piece.name[0] == '.') {
      return fail(ErrorKind::internal, "catalog row with a bad file name");
    }
    std::filesystem::path path = camera_dir / format_date(piece.date) / piece.name;
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) {
      return fail(ErrorKind::not_found, format_date(piece.date) + "/" + piece.name +
                                            " is not on this server (deleted, or only in S3)");
    }
    state->paths.push_back(std::move(path));
  }
  auto first = open_piece(state->paths.front(), state->pieces.front());
  if (!first) return std::unexpected(first.error());
  state->first.emplace(std::move(*first));
  return Mp4Export(std::move(state));
}

Result<ExportStats> Mp4Export::write(const Mp4Sink& sink, Mp4Index* index) {
  if (index == nullptr) return run(sink, nullptr, nullptr, nullptr);
  BoxScanner scanner;
  std::optional<Error> unreadable;
  auto tee = [&](std::string_view bytes) {
    if (!unreadable) {
      if (auto fed = scanner.feed(bytes); !fed) unreadable = fed.error();
    }
    return sink(bytes);
  };
  std::vector<WriterState> keyframes;
  UtcMicros origin = 0;
  auto stats = run(tee, nullptr, &origin, &keyframes);
  if (!stats) return stats;
  index->size = stats->bytes;
  index->origin = origin;
  index->checkpoints.clear();
  if (unreadable) {
    log::warning("export: no checkpoints: " + unreadable->message);
  } else if (scanner.at_box_boundary()) {
    fill_checkpoints(*index, scanner.fragments(), keyframes);
    if (index->checkpoints.empty()) {
      log::warning("export: no checkpoints: " + std::to_string(scanner.fragments().size()) +
                   " fragments, " + std::to_string(keyframes.size()) + " keyframes");
    }
  }
  return stats;
}

Result<ExportStats> Mp4Export::write_from(const Mp4Sink& sink, const Mp4Index& index,
                                          std::size_t k) {
  if (k == 0 || k >= index.checkpoints.size()) {
    return fail(ErrorKind::internal, "no checkpoint #" + std::to_string(k));
  }
  ResumeFilter filter(index, k, sink);
  UtcMicros origin = index.origin;
  auto stats = run(std::ref(filter), &index.checkpoints[k], &origin, nullptr);
  if (filter.mismatched()) {
    return fail(ErrorKind::data_loss, "resumed MP4 differs: " + filter.problem());
  }
  if (!stats) return stats;
  CCTV_TRY(filter.finish());
  stats->bytes = filter.sent();
  return stats;
}

Result<ExportStats> Mp4Export::run(const Mp4Sink& sink, const Checkpoint* resume,
                                   UtcMicros* origin_out, std::vector<WriterState>* keyframes) {
  State& st = *m_state;
  if (!st.first) {  // written before: piece 0 again, for its codec parameters
    auto first = open_piece(st.paths.front(), st.pieces.front());
    if (!first) return std::unexpected(first.error());
    st.first.emplace(std::move(*first));
  }
  std::pair<const Mp4Sink*, std::int64_t> sink_state{&sink, 0};
  AVFormatContext* raw = nullptr;
  if (const int rc = avformat_alloc_output_context2(&raw, nullptr, "mp4", nullptr); rc < 0) {
    return std::unexpected(av::error_from(rc, "mp4 muxer"));
  }
  // The AVIOContext is ours (custom), so the context is freed without avio_closep.
  struct FreeOutput {
    void operator()(AVFormatContext* c) const { avformat_free_context(c); }
  };
  const std::unique_ptr<AVFormatContext, FreeOutput> out(raw);
  auto* buffer = static_cast<unsigned char*>(av_malloc(k_io_buffer_bytes));
  if (buffer == nullptr) return fail(ErrorKind::internal, "out of memory");
  IoContext io(avio_alloc_context(buffer, k_io_buffer_bytes, 1, &sink_state, nullptr, write_to_sink,
                                  nullptr));
  if (!io) {
    av_free(buffer);
    return fail(ErrorKind::internal, "out of memory");
  }
  out->pb = io.get();
  out->flags |= AVFMT_FLAG_CUSTOM_IO;

  const AVStream* first_in = st.first->format->streams[st.first->stream];
  AVStream* ost = avformat_new_stream(out.get(), nullptr);
  if (ost == nullptr) return fail(ErrorKind::internal, "out of memory");
  if (const int rc = avcodec_parameters_copy(ost->codecpar, first_in->codecpar); rc < 0) {
    return std::unexpected(av::error_from(rc, "copy codec parameters"));
  }
  ost->codecpar->codec_tag = 0;
  if (ost->codecpar->codec_id == AV_CODEC_ID_HEVC) {
    ost->codecpar->codec_tag = MKTAG('h', 'v', 'c', '1');  // what Apple's players want
  }
  ost->time_base = k_out_time_base;
  av::Dictionary options;
  // Fragments (one per GOP) stream without seeking back; delay_moov writes the moov
  // with the first fragment, so that it carries the edit list that starts at `from`.
  // No mfra at the end: its table of all fragments could not be made by a muxer that
  // starts in the middle (write_from), and players of a streamed fMP4 do not need it.
  // Resumed, the muxer numbers its fragments on from the checkpoint's, and frag_discont
  // makes its first decode time the first packet's PTS (shifted to the checkpoint's).
  std::string movflags = "frag_keyframe+empty_moov+delay_moov+default_base_moof+skip_trailer";
  if (resume != nullptr) movflags += "+frag_discont";
  av_dict_set(options.out(), "movflags", movflags.c_str(), 0);
  if (resume != nullptr) {
    av_dict_set_int(options.out(), "fragment_index", resume->fragment.sequence, 0);
  }
  if (const int rc = avformat_write_header(out.get(), options.out()); rc < 0) {
    return std::unexpected(av::error_from(rc, "write the MP4 header"));
  }

  auto packet = av::make_packet();
  if (!packet) return std::unexpected(packet.error());
  std::vector<av::Packet> gop;  // packets from the keyframe at or before `from`
  bool started = resume != nullptr;
  bool done = false;
  UtcMicros origin = resume != nullptr ? *origin_out : st.from;
  std::int64_t last_dts = resume != nullptr ? resume->state.last_dts : AV_NOPTS_VALUE;
  UtcMicros prev_end = resume != nullptr ? resume->state.prev_end : 0;
  std::optional<std::int64_t> shift;  // added to a resumed muxer's timestamps
  if (resume == nullptr) shift = 0;
  // Where the reading is: piece, packets read from it, its time anchor and zero.
  std::size_t at_piece = resume != nullptr ? resume->state.piece : 0;
  std::int64_t at_packet = 0;
  UtcMicros anchor = 0;
  std::int64_t zero = AV_NOPTS_VALUE;
  ExportStats stats;

  auto emit = [&](AVPacket* pkt, UtcMicros pts_utc, UtcMicros dts_utc) -> Result<void> {
    pkt->stream_index = 0;
    pkt->pts = av_rescale_q(pts_utc - origin, k_micros, ost->time_base);
    pkt->dts = av_rescale_q(dts_utc - origin, k_micros, ost->time_base);
    if (keyframes != nullptr && (pkt->flags & AV_PKT_FLAG_KEY) != 0) {
      keyframes->push_back(WriterState{static_cast<std::uint32_t>(at_piece), at_packet - 1, anchor,
                                       prev_end, zero, last_dts, stats.packets});
    }
    if (last_dts != AV_NOPTS_VALUE && pkt->dts <= last_dts) pkt->dts = last_dts + 1;
    pkt->pts = std::max(pkt->pts, pkt->dts);
    last_dts = pkt->dts;
    if (!shift) shift = static_cast<std::int64_t>(resume->fragment.decode_time) - pkt->pts;
    pkt->pts += *shift;
    pkt->dts += *shift;
    pkt->duration = av_rescale_q(pkt->duration, k_micros, ost->time_base);
    pkt->pos = -1;
    ++stats.packets;
    if (const int rc = av_interleaved_write_frame(out.get(), pkt); rc < 0) {
      return std::unexpected(av::error_from(rc, "write the MP4"));
    }
    return {};
  };

  for (std::size_t i = at_piece; i < st.pieces.size() && !done; ++i) {
    const ExportPiece& piece = st.pieces[i];
    Input in;
    if (i == 0) {
      in = std::move(*st.first);
      st.first.reset();
    } else {
      auto opened = open_piece(st.paths[i], piece);
      if (!opened) return std::unexpected(opened.error());
      in = std::move(*opened);
    }
    const AVStream* ist = in.format->streams[in.stream];
    if (ist->codecpar->codec_id != ost->codecpar->codec_id ||
        ist->codecpar->width != ost->codecpar->width ||
        ist->codecpar->height != ost->codecpar->height) {
      return fail(ErrorKind::data_loss, piece.name + ": codec or picture size changes");
    }
    at_piece = i;
    at_packet = 0;
    std::int64_t skip = 0;  // packets a resumed muxer does not need
    if (resume != nullptr && i == resume->state.piece) {
      anchor = resume->state.anchor;
      zero = resume->state.zero;
      skip = resume->state.packet;
    } else {
      // A piece continuing the previous one without a gap follows on from its last frame
      // (file-name start times have one-second resolution); after a gap, its own start.
      const bool continues = i > 0 && piece.start_us <= st.pieces[i - 1].end_us + 1'500'000;
      anchor = continues ? prev_end : piece.start_us;
      zero = piece.converted ? AV_NOPTS_VALUE : ist->start_time;
    }
    std::int64_t frame_us = 0;
    if (ist->avg_frame_rate.num > 0 && ist->avg_frame_rate.den > 0) {
      frame_us = av_rescale_q(1, av_inv_q(ist->avg_frame_rate), k_micros);
    }
    while (!done) {
      av_packet_unref(packet->get());
      const int rc = av_read_frame(in.format.get(), packet->get());
      if (rc == AVERROR_EOF) break;
      if (rc < 0) {
        return std::unexpected(
            av::error_from(rc, "read " + format_date(piece.date) + "/" + piece.name));
      }
      if (at_packet++ < skip) continue;
      AVPacket* pkt = packet->get();
      if (pkt->stream_index != in.stream || pkt->pts == AV_NOPTS_VALUE) continue;
      if (pkt->dts == AV_NOPTS_VALUE) pkt->dts = pkt->pts;
      if (zero == AV_NOPTS_VALUE) zero = pkt->pts;
      const UtcMicros pts_utc = anchor + av_rescale_q(pkt->pts - zero, ist->time_base, k_micros);
      const UtcMicros dts_utc = anchor + av_rescale_q(pkt->dts - zero, ist->time_base, k_micros);
      std::int64_t duration_us = av_rescale_q(pkt->duration, ist->time_base, k_micros);
      if (duration_us <= 0) duration_us = frame_us;
      pkt->duration = duration_us;  // in microseconds until emit() rescales it
      prev_end = std::max(prev_end, pts_utc + duration_us);
      if (dts_utc >= st.to) {
        done = true;
        break;
      }
      const bool key = (pkt->flags & AV_PKT_FLAG_KEY) != 0;
      if (started) {
        CCTV_TRY(emit(pkt, pts_utc, dts_utc));
        continue;
      }
      if (key && pts_utc <= st.from) gop.clear();
      if (gop.empty() && !key) continue;
      if (pts_utc > st.from || (key && pts_utc == st.from)) {
        // The first frame after `from`: the GOP collected so far starts at or before it.
        if (gop.empty()) origin = pts_utc;  // nothing recorded at `from`: start here
        started = true;
        for (av::Packet& held : gop) {
          CCTV_TRY(emit(held.get(), held->pts, held->dts));
        }
        gop.clear();
        CCTV_TRY(emit(pkt, pts_utc, dts_utc));
        continue;
      }
      auto held = av::make_packet();
      if (!held) return std::unexpected(held.error());
      av_packet_move_ref(held->get(), pkt);
      held->get()->pts = pts_utc;  // held in UTC microseconds
      held->get()->dts = dts_utc;
      gop.push_back(std::move(*held));
    }
  }
  if (!started) {
    for (av::Packet& held : gop) CCTV_TRY(emit(held.get(), held->pts, held->dts));
  }
  if (origin_out != nullptr) *origin_out = origin;
  if (const int rc = av_write_trailer(out.get()); rc < 0) {
    return std::unexpected(av::error_from(rc, "finish the MP4"));
  }
  avio_flush(io.get());
  stats.bytes = sink_state.second;
  if (io->error < 0) return std::unexpected(av::error_from(io->error, "send the MP4"));
  return stats;
}

}  // namespace cctv::web
