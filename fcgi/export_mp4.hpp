// Exact-range export, the libav part: remuxes the planned pieces (MPEG-TS segments and
// byte ranges of converted days' fragmented MP4) into one fragmented MP4 written in
// pieces to a sink, without re-encoding and without a temporary file.
#pragma once

#include "core/civil_time.hpp"
#include "core/error.hpp"
#include "fcgi/export_range.hpp"
#include "fcgi/export_resume.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

namespace cctv::web {

// Receives the MP4 in pieces; false when the client is gone.
using Mp4Sink = std::function<bool(std::string_view)>;

struct ExportStats {
  std::int64_t bytes = 0;
  std::int64_t packets = 0;
};

class Mp4Export {
 public:
  // Opens every input before a byte is sent, so that a missing or unreadable file is
  // an error the client gets as a status, not a cut download. `camera_dir` is the
  // camera's directory; each piece is `camera_dir/<date>/<name>`.
  static Result<Mp4Export> open(const ExportPlan& plan, const std::filesystem::path& camera_dir,
                                UtcMicros from, UtcMicros to);

  // The MP4 of [from, to): starts with the keyframe at or before `from`, and an edit
  // list makes playback start at `from`. An error means the output was cut short.
  // With `index`, also records its size and a checkpoint per fragment.
  Result<ExportStats> write(const Mp4Sink& sink, Mp4Index* index = nullptr);

  // The same MP4 from fragment `k` (1 or later) of `index` on: the sink's first byte is
  // byte `index.checkpoints[k].fragment.offset` of write()'s MP4. A fresh muxer starts at
  // the fragment's first packet; each fragment it makes must match its checkpoint before
  // a byte of it goes out, so an error with nothing sent means "make it from the start".
  // `stats.bytes` counts the bytes sent.
  Result<ExportStats> write_from(const Mp4Sink& sink, const Mp4Index& index, std::size_t k);

  Mp4Export(Mp4Export&&) noexcept;
  Mp4Export& operator=(Mp4Export&&) noexcept;
  Mp4Export(const Mp4Export&) = delete;
  Mp4Export& operator=(const Mp4Export&) = delete;
  ~Mp4Export();

  struct State;

 private:
  explicit Mp4Export(std::unique_ptr<State> state);
  Result<ExportStats> run(const Mp4Sink& sink, const Checkpoint* resume, UtcMicros* origin,
                          std::vector<WriterState>* keyframes);
  std::unique_ptr<State> m_state;
};

}  // namespace cctv::web
