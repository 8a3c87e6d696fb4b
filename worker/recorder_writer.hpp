// One segment file of the recorder: the source's video (and audio) packets remuxed,
// never re-encoded, into MPEG-TS. The crash-safe order (docs/worker.md):
//   create <day>/video_HHMMSS.ts.part (O_EXCL) -> packets -> finish(): trailer, fsync,
//   close -> publish(): rename to a name that is free (never over a file), fsync of
//   the directory -> the caller records it in the catalog.
// A writer that is destroyed unfinished leaves its .part for the salvage at the next
// start; abandon() removes it.
#pragma once

#include "core/av.hpp"
#include "core/error.hpp"
#include "core/segment.hpp"
#include "core/unique_fd.hpp"
#include "worker/recorder_segmenter.hpp"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace cctv::worker {

// The input streams a recording keeps: one video stream, one audio stream if MPEG-TS
// can carry it, nothing else (data streams are dropped).
struct StreamChoice {
  int video = -1;
  int audio = -1;
};
Result<StreamChoice> choose_streams(const AVFormatContext& input);

// "h264 640x360": the same text the indexer's probe gives (a change is a discontinuity).
std::string codec_label(const AVCodecParameters& parameters);

namespace detail {
void free_io(AVIOContext** io);            // our custom AVIOContext and its buffer
void free_muxer(AVFormatContext** muxer);  // a muxer with custom I/O (pb is not closed)
}  // namespace detail

class SegmentWriter {
 public:
  // Timestamps are rebased so that the segment starts `k_headroom_us` after the
  // stream time `origin_us` (its first keyframe): packets of other streams that come
  // a little earlier still fit; those that would be negative are dropped.
  static constexpr std::int64_t k_headroom_us = 200'000;

  static Result<std::unique_ptr<SegmentWriter>> create(const std::filesystem::path& part,
                                                       const AVFormatContext& input,
                                                       StreamChoice streams,
                                                       std::int64_t origin_us);
  SegmentWriter(const SegmentWriter&) = delete;
  SegmentWriter& operator=(const SegmentWriter&) = delete;
  ~SegmentWriter();

  // Writes a packet of a chosen stream (others are ignored). The packet's timestamps
  // are changed and its data may be taken: read what you need first.
  Result<void> write(AVPacket& packet);
  // Trailer, fsync, close. The .part is then complete.
  Result<void> finish();
  // Closes and removes the .part (only if this writer created it).
  void abandon();

  [[nodiscard]] const std::filesystem::path& part() const { return m_part; }
  [[nodiscard]] std::int64_t bytes() const { return m_bytes; }
  [[nodiscard]] std::int64_t dropped() const { return m_dropped; }

 private:
  struct Output {
    int input_index = -1;
    AVRational input_time_base{1, 1};
    std::int64_t origin = 0;  // in the input time base
    std::int64_t last_dts = AV_NOPTS_VALUE;
  };
  static int write_io(void* opaque, std::uint8_t* data, int size);

  explicit SegmentWriter(std::filesystem::path part) : m_part(std::move(part)) {}
  Result<void> open(const AVFormatContext& input, StreamChoice streams, std::int64_t origin_us);
  [[nodiscard]] Error io_error(int code, std::string_view what) const;

  std::filesystem::path m_part;
  UniqueFd m_fd;
  int m_errno = 0;  // the first write error
  std::int64_t m_bytes = 0;
  std::int64_t m_dropped = 0;
  std::vector<Output> m_outputs;  // by output stream index
  av::Handle<AVIOContext, detail::free_io> m_io;
  av::Handle<AVFormatContext, detail::free_muxer> m_muxer;  // freed before m_io
  bool m_finished = false;
  bool m_created = false;  // the .part is ours to remove
};

// The first free name at or after `wanted` (seconds of the day) in `dir`: neither the
// segment nor its .part exists (`own_part`, the caller's, does not count). nullopt
// when the rest of the day is taken.
std::optional<int> free_second(const std::filesystem::path& dir, int wanted,
                               const std::filesystem::path& own_part = {});

// Moves a finished file into place without replacing anything (RENAME_NOREPLACE),
// creating the directory, then fsyncs the directories. ErrorKind::invalid_argument
// (EEXIST) when the name is taken.
Result<void> publish(const std::filesystem::path& from, const std::filesystem::path& to);

// fsync of a directory, so that a rename or a new entry survives a crash.
Result<void> sync_directory(const std::filesystem::path& dir);

}  // namespace cctv::worker
