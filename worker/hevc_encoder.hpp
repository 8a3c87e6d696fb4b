// The converter's output: libx265 (tag hvc1) into a fragmented MP4, one fragment per
// keyframe, with the day's AAC audio copied beside it. See docs/worker.md.
#pragma once

#include "core/av.hpp"
#include "core/error.hpp"
#include "worker/converter.hpp"

#include <array>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>

namespace cctv::worker {

// The encoder and muxer of one output file; frames and packets in k_time_base.
class HevcEncoder {
 public:
  static constexpr AVRational k_time_base{1, 90'000};

  HevcEncoder(std::filesystem::path file, const ConvertOptions& options);

  // The day's AAC audio, copied as it is (the muxer turns ADTS into ASC); before open().
  Result<void> set_audio(const AVCodecParameters& audio, std::span<const std::uint8_t> adts);
  [[nodiscard]] bool has_audio() const { return static_cast<bool>(m_audio_par); }

  // An audio packet whose pts/dts are in k_time_base already.
  Result<void> write_audio(AVPacket* packet);

  // Opens the encoder and the muxer for frames like `frame` at `rate` frames/s.
  Result<void> open(const AVFrame& frame, AVRational rate);

  [[nodiscard]] bool is_open() const { return static_cast<bool>(m_codec); }
  [[nodiscard]] const std::string& codec_text() const { return m_codec_text; }
  [[nodiscard]] int width() const { return m_codec ? m_codec->width : 0; }
  [[nodiscard]] int height() const { return m_codec ? m_codec->height : 0; }

  // Encodes `frame` (its pts in k_time_base) and writes the packets it completes
  // (av::encode_and_write); nullptr flushes.
  Result<void> encode(AVFrame* frame);

  // Flushes the encoder, writes the trailer and closes the file.
  Result<void> finish();

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

}  // namespace cctv::worker
