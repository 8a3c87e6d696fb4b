// libav (FFmpeg) at first contact: its headers are included here once, inside
// extern "C"; RAII owners for the objects the worker holds (formats, packets,
// frames, codec contexts, dictionaries); AVERROR mapped to ErrorKind in one place;
// av_log routed into cctv::log; the encoders' send/receive/mux loop. Only targets that
// link `cctv_av` include this.
#pragma once

#include "core/error.hpp"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/avutil.h>
#include <libavutil/dict.h>
#include <libavutil/frame.h>
}

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace cctv::av {

// "Invalid data found when processing input" for AVERROR_INVALIDDATA (av_err2str
// does not compile as C++).
std::string error_string(int code);
// An AVERROR with context, e.g. error_from(rc, "open " + path).
Error error_from(int code, std::string_view what);

// Routes av_log messages at warning level and above into cctv::log, one line each.
// Idempotent; call once at start-up (probing calls it too).
void route_log();
// Prefixes FFmpeg's log lines from the calling thread ("cam=front"), so that an
// operator knows which camera a line is about; "" for none.
void set_thread_log_context(std::string context);

// Owns a libav object freed by one of libav's `free(T**)` functions.
template <typename T, void (*Free)(T**)>
class Handle {
 public:
  Handle() = default;
  explicit Handle(T* owned) : m_ptr(owned) {}
  Handle(Handle&& other) noexcept : m_ptr(std::exchange(other.m_ptr, nullptr)) {}
  Handle& operator=(Handle&& other) noexcept {
    if (this != &other) {
      reset();
      m_ptr = std::exchange(other.m_ptr, nullptr);
    }
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() { reset(); }

  void reset() {
    if (m_ptr != nullptr) Free(&m_ptr);
    m_ptr = nullptr;
  }
  [[nodiscard]] T* get() const { return m_ptr; }
  T* operator->() const { return m_ptr; }
  explicit operator bool() const { return m_ptr != nullptr; }
  // For libav functions that fill in (or free on failure) a `T**`.
  T** out() { return &m_ptr; }

 private:
  T* m_ptr = nullptr;
};

// Closes the AVIOContext an output format opened, then frees the context.
void free_output_format(AVFormatContext** context);

using InputFormat = Handle<AVFormatContext, avformat_close_input>;
using OutputFormat = Handle<AVFormatContext, free_output_format>;
using Packet = Handle<AVPacket, av_packet_free>;
using Frame = Handle<AVFrame, av_frame_free>;
using CodecContext = Handle<AVCodecContext, avcodec_free_context>;
using Dictionary = Handle<AVDictionary, av_dict_free>;

Result<Packet> make_packet();
Result<Frame> make_frame();

struct OpenOptions {
  Dictionary* options = nullptr;               // format/protocol options; consumed ones are removed
  const AVIOInterruptCB* interrupt = nullptr;  // for network sources: the way out of a stall
};

// Opens an input and reads its stream information (avformat_find_stream_info).
Result<InputFormat> open_input(const std::string& url, const OpenOptions& open = {});

// How encode_and_write() sets a packet's duration, in the codec's time base, before
// rescaling it; an encoder may leave it 0.
struct PacketDuration {
  std::int64_t ticks = 0;  // 0: the encoder's, as it is
  bool always = false;     // every packet gets `ticks`, not only those without one (<= 0)
};

// Sends `frame` (nullptr flushes) to `codec`, then writes every packet the encoder has
// ready to stream `stream_index` of `mux` (av_interleaved_write_frame), its timestamps
// rescaled from the codec's time base to the stream's. `packet` is the caller's, reused.
// Errors read "encode: ..." or "write <file>: ...".
Result<void> encode_and_write(AVCodecContext* codec, AVFrame* frame, AVFormatContext* mux,
                              int stream_index, AVPacket* packet, std::string_view file,
                              PacketDuration duration = {});

// An input read from bytes in memory (a fragment cut out of a file, an MP4 made in
// memory): owns the bytes, the AVIOContext over them and the opened format, freed in
// the right order.
class MemoryInput {
 public:
  // Opens `bytes` and reads their stream information; errors name `what`.
  static Result<MemoryInput> open(std::string bytes, std::string_view what);

  [[nodiscard]] AVFormatContext* get() const;
  AVFormatContext* operator->() const { return get(); }

  MemoryInput(MemoryInput&&) noexcept;
  MemoryInput& operator=(MemoryInput&&) noexcept;
  MemoryInput(const MemoryInput&) = delete;
  MemoryInput& operator=(const MemoryInput&) = delete;
  ~MemoryInput();

  struct State;

 private:
  explicit MemoryInput(std::unique_ptr<State> state);
  std::unique_ptr<State> m_state;
};

}  // namespace cctv::av
