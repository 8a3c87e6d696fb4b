// The recorder's input: a camera stream opened with libavformat. Deadlines keep a
// dead camera from blocking its recorder (an AVIOInterruptCB): `open` to connect and
// read the stream information, `read` without a packet once started. A stop request
// interrupts a blocking open or read at once.
// The opener is a seam: tests hand the recorder sources that fail on cue.
#pragma once

#include "core/av.hpp"
#include "core/error.hpp"

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace cctv::worker {

struct SourceTimeouts {
  std::chrono::milliseconds open{30000};  // connect + stream information
  std::chrono::milliseconds read{5000};   // without a packet, once started
};

class Source {
 public:
  Source() = default;
  Source(const Source&) = delete;
  Source& operator=(const Source&) = delete;
  virtual ~Source() = default;

  // The input's streams: codec parameters and time bases for the muxer.
  [[nodiscard]] virtual const AVFormatContext& input() const = 0;
  // The next packet (the caller unreferences it). The end of the stream is an error
  // too (ErrorKind::unavailable): for a camera it is a disconnect. A deadline that
  // passed is ErrorKind::timeout.
  virtual Result<void> read(AVPacket& packet) = 0;

 protected:
  Source(Source&&) = default;
  Source& operator=(Source&&) = default;
};

struct SourceRequest {
  std::string url;  // may carry credentials: log it only through log::redact_url
  SourceTimeouts timeouts;
  const std::atomic<bool>* stop = nullptr;  // set: interrupt and give up
  // Read no faster than the stream's own timestamps, as a camera would send it
  // (files: a test or demo "camera").
  bool realtime = false;
};

using SourceOpener = std::function<Result<std::unique_ptr<Source>>(const SourceRequest&)>;

// The libav opener: RTSP over TCP, HTTP, or a file.
Result<std::unique_ptr<Source>> open_source(const SourceRequest& request);

// Watches a video stream's keyframes for a new picture size (a new in-band SPS):
// the muxer was set up for the old one, so the recorder reconnects. The first
// keyframe's size is the reference.
class SizeWatch {
 public:
  static Result<SizeWatch> create(const AVCodecParameters& parameters);
  // "640x360 to 1280x720" when this keyframe announces another size than the first.
  std::optional<std::string> changed(const AVPacket& keyframe);

 private:
  struct ParserFree {
    void operator()(AVCodecParserContext* parser) const { av_parser_close(parser); }
  };
  av::CodecContext m_codec;
  std::unique_ptr<AVCodecParserContext, ParserFree> m_parser;
  int m_width = 0;
  int m_height = 0;
};

// A file path or file: URL (read in real time by the recorder).
bool is_file_url(std::string_view url);
// The camera refused the credentials (RTSP/HTTP 401).
bool is_unauthorized(const Error& error);

}  // namespace cctv::worker
