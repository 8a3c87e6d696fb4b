#include "worker/recorder_source.hpp"

#include <cctype>
#include <thread>

namespace cctv::worker {
namespace {

using SteadyClock = std::chrono::steady_clock;

bool starts_with_scheme(std::string_view url, std::string_view scheme) {
  if (url.size() < scheme.size() + 3 || url.substr(scheme.size(), 3) != "://") return false;
  for (std::size_t i = 0; i < scheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(url[i])) != scheme[i]) return false;
  }
  return true;
}

class LibavSource final : public Source {
 public:
  explicit LibavSource(const SourceRequest& request)
      : m_stop(request.stop), m_timeouts(request.timeouts), m_realtime(request.realtime) {}

  Result<void> open(const std::string& url) {
    av::Dictionary options;
    if (starts_with_scheme(url, "rtsp") || starts_with_scheme(url, "rtsps")) {
      av_dict_set(options.out(), "rtsp_transport", "tcp", 0);
    }
    const AVIOInterruptCB interrupt{&LibavSource::interrupted, this};
    m_deadline = SteadyClock::now() + m_timeouts.open;
    auto input = av::open_input(url, av::OpenOptions{&options, &interrupt});
    if (!input) {
      if (m_timed_out) {
        return fail(ErrorKind::timeout, "no stream within " + seconds(m_timeouts.open));
      }
      return std::unexpected(input.error());
    }
    m_input = std::move(*input);
    return {};
  }

  [[nodiscard]] const AVFormatContext& input() const override { return *m_input.get(); }

  Result<void> read(AVPacket& packet) override {
    m_deadline = SteadyClock::now() + m_timeouts.read;
    const int rc = av_read_frame(m_input.get(), &packet);
    if (rc == AVERROR_EOF) return fail(ErrorKind::unavailable, "end of stream");
    if (rc < 0) {
      if (m_timed_out) {
        return fail(ErrorKind::timeout, "no packet for " + seconds(m_timeouts.read));
      }
      if (stopping()) return fail(ErrorKind::unavailable, "stopped");
      return std::unexpected(av::error_from(rc, "read"));
    }
    if (m_realtime) pace(packet);
    return {};
  }

 private:
  static int interrupted(void* opaque) {
    auto* self = static_cast<LibavSource*>(opaque);
    if (self->stopping()) return 1;
    if (SteadyClock::now() < self->m_deadline) return 0;
    self->m_timed_out = true;
    return 1;
  }

  [[nodiscard]] bool stopping() const { return m_stop != nullptr && m_stop->load(); }

  static std::string seconds(std::chrono::milliseconds ms) {
    const auto tenths = ms.count() / 100;
    return std::to_string(tenths / 10) +
           (tenths % 10 != 0 ? "." + std::to_string(tenths % 10) : "") + "s";
  }

  // Waits until the packet's time has come, measured from the first packet.
  void pace(const AVPacket& packet) {
    const std::int64_t ts = packet.dts != AV_NOPTS_VALUE ? packet.dts : packet.pts;
    if (ts == AV_NOPTS_VALUE) return;
    const auto us = std::chrono::microseconds(av_rescale_q(
        ts, m_input->streams[packet.stream_index]->time_base, AVRational{1, 1'000'000}));
    if (!m_paced) {
      m_paced = true;
      m_pace_origin = SteadyClock::now() - us;
    }
    const auto due = m_pace_origin + us;
    while (!stopping() && SteadyClock::now() < due) {
      std::this_thread::sleep_for(std::min<SteadyClock::duration>(due - SteadyClock::now(),
                                                                  std::chrono::milliseconds(100)));
    }
  }

  const std::atomic<bool>* m_stop;
  SourceTimeouts m_timeouts;
  bool m_realtime;
  SteadyClock::time_point m_deadline{};
  bool m_timed_out = false;
  bool m_paced = false;
  SteadyClock::time_point m_pace_origin{};
  av::InputFormat m_input;  // last: closed first, while the callback's state lives
};

}  // namespace

Result<std::unique_ptr<Source>> open_source(const SourceRequest& request) {
  auto source = std::make_unique<LibavSource>(request);
  CCTV_TRY(source->open(request.url));
  return std::unique_ptr<Source>(std::move(source));
}

Result<SizeWatch> SizeWatch::create(const AVCodecParameters& parameters) {
  SizeWatch watch;
  watch.m_codec = av::CodecContext(avcodec_alloc_context3(nullptr));
  if (!watch.m_codec) return fail(ErrorKind::internal, "avcodec_alloc_context3: out of memory");
  if (const int rc = avcodec_parameters_to_context(watch.m_codec.get(), &parameters); rc < 0) {
    return std::unexpected(av::error_from(rc, "codec parameters"));
  }
  watch.m_parser.reset(av_parser_init(parameters.codec_id));  // none: nothing is watched
  if (watch.m_parser) watch.m_parser->flags |= PARSER_FLAG_COMPLETE_FRAMES;
  return watch;
}

std::optional<std::string> SizeWatch::changed(const AVPacket& keyframe) {
  if (!m_parser || keyframe.size <= 0) return std::nullopt;
  std::uint8_t* out = nullptr;
  int out_size = 0;
  (void)av_parser_parse2(m_parser.get(), m_codec.get(), &out, &out_size, keyframe.data,
                         keyframe.size, keyframe.pts, keyframe.dts, keyframe.pos);
  const int width = m_parser->width;
  const int height = m_parser->height;
  if (width <= 0 || height <= 0) return std::nullopt;
  if (m_width == 0) {
    m_width = width;
    m_height = height;
    return std::nullopt;
  }
  if (width == m_width && height == m_height) return std::nullopt;
  return std::to_string(m_width) + "x" + std::to_string(m_height) + " to " + std::to_string(width) +
         "x" + std::to_string(height);
}

bool is_file_url(std::string_view url) { return url.starts_with('/') || url.starts_with("file:"); }

bool is_unauthorized(const Error& error) {
  return error.message.ends_with(av::error_string(AVERROR_HTTP_UNAUTHORIZED));
}

}  // namespace cctv::worker
