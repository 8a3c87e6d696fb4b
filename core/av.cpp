#include "core/av.hpp"

#include "core/log.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <mutex>

namespace cctv::av {
namespace {

ErrorKind kind_of(int code) {
  switch (code) {
    case AVERROR(ENOENT):
    case AVERROR_STREAM_NOT_FOUND:
    case AVERROR_DEMUXER_NOT_FOUND:
    case AVERROR_DECODER_NOT_FOUND:
    case AVERROR_HTTP_NOT_FOUND:
      return ErrorKind::not_found;
    case AVERROR_INVALIDDATA:
      return ErrorKind::data_loss;
    case AVERROR(ETIMEDOUT):
    case AVERROR_EXIT:
      return ErrorKind::timeout;  // our interrupt callbacks are timeouts
    case AVERROR(EACCES):
    case AVERROR(EINVAL):
    case AVERROR_OPTION_NOT_FOUND:
    case AVERROR_HTTP_BAD_REQUEST:
    case AVERROR_HTTP_UNAUTHORIZED:
    case AVERROR_HTTP_FORBIDDEN:
      return ErrorKind::invalid_argument;
    case AVERROR_EOF:
    case AVERROR(EIO):
    case AVERROR(EAGAIN):
    case AVERROR(ECONNREFUSED):
    case AVERROR(ECONNRESET):
    case AVERROR(EHOSTUNREACH):
    case AVERROR(ENETUNREACH):
    case AVERROR(EPIPE):
    case AVERROR_HTTP_OTHER_4XX:
    case AVERROR_HTTP_SERVER_ERROR:
      return ErrorKind::unavailable;
    default:
      return ErrorKind::internal;
  }
}

// av_log delivers a line in pieces on each thread; collect them up to the newline.
thread_local std::string t_pending;
thread_local int t_print_prefix = 1;
thread_local std::string t_context;

// FFmpeg may print the URL it opens; hide any credentials or query in it.
std::string redact_urls(const std::string& line) {
  std::string out;
  std::size_t start = 0;
  while (start < line.size()) {
    std::size_t end = line.find_first_of(" \t'\"", start);
    if (end == std::string::npos) end = line.size();
    const std::string word = line.substr(start, end - start);
    out += word.find("://") != std::string::npos ? log::redact_url(word) : word;
    if (end < line.size()) out += line[end];
    start = end + 1;
  }
  return out;
}

void log_callback(void* object, int level, const char* format, va_list args) {
  if (level > AV_LOG_WARNING) return;
  std::array<char, 1024> piece{};
  av_log_format_line2(object, level, format, args, piece.data(), static_cast<int>(piece.size()),
                      &t_print_prefix);
  t_pending += piece.data();
  if (t_pending.empty() || t_pending.back() != '\n') return;
  t_pending.pop_back();
  const std::string line =
      (t_context.empty() ? "" : t_context + " ") + "ffmpeg: " + redact_urls(t_pending);
  t_pending.clear();
  log::write(level <= AV_LOG_ERROR ? log::Level::error : log::Level::warning, line);
}

}  // namespace

std::string error_string(int code) {
  std::array<char, AV_ERROR_MAX_STRING_SIZE> buf{};
  if (av_strerror(code, buf.data(), buf.size()) < 0) {
    return "libav error " + std::to_string(code);
  }
  return buf.data();
}

Error error_from(int code, std::string_view what) {
  return Error{kind_of(code), std::string(what) + ": " + error_string(code)};
}

void route_log() {
  static std::once_flag once;
  std::call_once(once, [] { av_log_set_callback(log_callback); });
}

void free_output_format(AVFormatContext** context) {
  if (context == nullptr || *context == nullptr) return;
  AVFormatContext* ctx = *context;
  if (ctx->oformat != nullptr && (ctx->oformat->flags & AVFMT_NOFILE) == 0) avio_closep(&ctx->pb);
  avformat_free_context(ctx);
  *context = nullptr;
}

void set_thread_log_context(std::string context) { t_context = std::move(context); }

Result<Packet> make_packet() {
  Packet packet(av_packet_alloc());
  if (!packet) return fail(ErrorKind::internal, "av_packet_alloc: out of memory");
  return packet;
}

Result<Frame> make_frame() {
  Frame frame(av_frame_alloc());
  if (!frame) return fail(ErrorKind::internal, "av_frame_alloc: out of memory");
  return frame;
}

Result<InputFormat> open_input(const std::string& url, const OpenOptions& open) {
  route_log();
  InputFormat input(avformat_alloc_context());
  if (!input) return fail(ErrorKind::internal, "avformat_alloc_context: out of memory");
  if (open.interrupt != nullptr) input->interrupt_callback = *open.interrupt;
  // avformat_open_input frees the context (and nulls the pointer) when it fails.
  const int rc = avformat_open_input(input.out(), url.c_str(), nullptr,
                                     open.options != nullptr ? open.options->out() : nullptr);
  if (rc < 0) return std::unexpected(error_from(rc, "open"));
  if (const int info = avformat_find_stream_info(input.get(), nullptr); info < 0) {
    return std::unexpected(error_from(info, "read stream information"));
  }
  return input;
}

Result<void> encode_and_write(AVCodecContext* codec, AVFrame* frame, AVFormatContext* mux,
                              int stream_index, AVPacket* packet, std::string_view file,
                              PacketDuration duration) {
  if (const int rc = avcodec_send_frame(codec, frame); rc < 0) {
    return std::unexpected(error_from(rc, "encode"));
  }
  for (;;) {
    const int rc = avcodec_receive_packet(codec, packet);
    if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return {};
    if (rc < 0) return std::unexpected(error_from(rc, "encode"));
    packet->stream_index = stream_index;
    if (duration.ticks > 0 && (duration.always || packet->duration <= 0)) {
      packet->duration = duration.ticks;
    }
    av_packet_rescale_ts(packet, codec->time_base, mux->streams[stream_index]->time_base);
    if (const int w = av_interleaved_write_frame(mux, packet); w < 0) {
      return std::unexpected(error_from(w, "write " + std::string(file)));
    }
  }
}

namespace {

// A custom AVIOContext and its buffer (which libav may have replaced).
struct AvioFree {
  void operator()(AVIOContext* context) const {
    av_freep(static_cast<void*>(&context->buffer));
    avio_context_free(&context);
  }
};
using Avio = std::unique_ptr<AVIOContext, AvioFree>;

}  // namespace

// Members are destroyed in reverse order: the format is closed before the AVIOContext it
// reads from, and that before the bytes.
struct MemoryInput::State {
  std::string data;
  std::size_t pos = 0;
  Avio avio;
  InputFormat input;

  static int read(void* opaque, std::uint8_t* buf, int size) {
    auto* mem = static_cast<State*>(opaque);
    if (mem->pos >= mem->data.size()) return AVERROR_EOF;
    const std::size_t n = std::min(static_cast<std::size_t>(size), mem->data.size() - mem->pos);
    std::copy_n(mem->data.data() + mem->pos, n, reinterpret_cast<char*>(buf));
    mem->pos += n;
    return static_cast<int>(n);
  }

  static std::int64_t seek(void* opaque, std::int64_t offset, int whence) {
    auto* mem = static_cast<State*>(opaque);
    const auto size = static_cast<std::int64_t>(mem->data.size());
    std::int64_t target = 0;
    switch (whence & ~AVSEEK_FORCE) {
      case AVSEEK_SIZE:
        return size;
      case SEEK_SET:
        target = offset;
        break;
      case SEEK_CUR:
        target = static_cast<std::int64_t>(mem->pos) + offset;
        break;
      case SEEK_END:
        target = size + offset;
        break;
      default:
        return AVERROR(EINVAL);
    }
    if (target < 0 || target > size) return AVERROR(EINVAL);
    mem->pos = static_cast<std::size_t>(target);
    return target;
  }
};

Result<MemoryInput> MemoryInput::open(std::string bytes, std::string_view what) {
  route_log();
  auto state = std::make_unique<State>();
  state->data = std::move(bytes);
  constexpr int k_buffer_size = 64 * 1024;
  auto* buffer = static_cast<unsigned char*>(av_malloc(k_buffer_size));
  if (buffer == nullptr) return fail(ErrorKind::internal, "av_malloc: out of memory");
  state->avio.reset(avio_alloc_context(buffer, k_buffer_size, 0, state.get(), &State::read, nullptr,
                                       &State::seek));
  if (!state->avio) {
    av_free(buffer);
    return fail(ErrorKind::internal, "avio_alloc_context: out of memory");
  }
  state->input = InputFormat(avformat_alloc_context());
  if (!state->input) return fail(ErrorKind::internal, "avformat_alloc_context: out of memory");
  state->input->pb = state->avio.get();
  state->input->flags |= AVFMT_FLAG_CUSTOM_IO;
  // avformat_open_input frees the context (and nulls the pointer) when it fails.
  if (const int rc = avformat_open_input(state->input.out(), nullptr, nullptr, nullptr); rc < 0) {
    Error error = error_from(rc, what);
    error.kind = ErrorKind::data_loss;
    return std::unexpected(std::move(error));
  }
  if (const int rc = avformat_find_stream_info(state->input.get(), nullptr); rc < 0) {
    return std::unexpected(error_from(rc, std::string(what) + ": read stream information"));
  }
  return MemoryInput(std::move(state));
}

MemoryInput::MemoryInput(std::unique_ptr<State> state) : m_state(std::move(state)) {}
MemoryInput::MemoryInput(MemoryInput&&) noexcept = default;
MemoryInput& MemoryInput::operator=(MemoryInput&&) noexcept = default;
MemoryInput::~MemoryInput() = default;

AVFormatContext* MemoryInput::get() const { return m_state->input.get(); }

}  // namespace cctv::av
