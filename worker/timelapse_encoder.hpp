// The timelapse's output (worker/timelapse.hpp): libx264 through libavcodec into an MP4
// with its index first (`+faststart`, so browsers play it while it downloads), at a
// constant frame rate: frames and packets count in 1/fps, one tick per slot, and each
// picture is repeated until the next one's slot.
#pragma once

#include "core/av.hpp"
#include "core/error.hpp"
#include "worker/timelapse.hpp"

#include <cstdint>
#include <filesystem>
#include <utility>

namespace cctv::worker {

class TimelapseEncoder {
 public:
  // Writes `file` (the caller's .part) with options.fps, preset and crf.
  TimelapseEncoder(std::filesystem::path file, const TimelapseOptions& options)
      : m_file(std::move(file)), m_options(options) {}

  [[nodiscard]] bool is_open() const { return static_cast<bool>(m_codec); }
  [[nodiscard]] int width() const { return m_codec ? m_codec->width : 0; }
  [[nodiscard]] int height() const { return m_codec ? m_codec->height : 0; }

  // Opens the encoder and the file at the size of the first picture.
  Result<void> open(int width, int height);
  // `picture` (yuv420p, limited range, the opened size) from slot `slot` on: the picture
  // before it is repeated up to there, this one until the next one's slot or finish().
  Result<void> encode(av::Frame picture, std::int64_t slot);
  // The last picture up to `end_slot`, then the encoder's flush and the MP4's trailer.
  Result<void> finish(std::int64_t end_slot);

 private:
  Result<void> repeat_held_until(std::int64_t slot);
  // av::encode_and_write with every packet one tick long; nullptr flushes.
  Result<void> send(AVFrame* frame);

  std::filesystem::path m_file;
  const TimelapseOptions& m_options;
  av::CodecContext m_codec;
  av::OutputFormat m_mux;
  av::Packet m_packet;
  av::Frame m_held;             // the latest picture, repeated until the next one
  std::int64_t m_next_pts = 0;  // the next slot to fill
};

}  // namespace cctv::worker
