// The timelapse of a day: `<day dir>/timelapse.mp4`, about a minute (timelapse.seconds)
// of H.264 made from keyframes only. Every packet of the day's files is read, but only
// the keyframes picked for the output are decoded: a keyframe is picked when its place
// in the day's recorded time (gaps skipped) reaches the next output slot (slot i of N at
// i * R / N, R the recorded time, N = seconds * fps). Its picture fills the slots until
// the next picture's (repeated: a constant frame rate), so a day with fewer keyframes than
// slots still lasts N / fps seconds. Scaled to at most 1280 px wide (never up), libx264 veryfast
// crf 26, yuv420p limited range, `movflags=+faststart`, no audio; written as `timelapse.mp4.part`,
// fsynced, renamed, the directory fsynced. See docs/worker.md, "Timelapse".
#pragma once

#include "core/catalog.hpp"
#include "core/error.hpp"
#include "core/layout.hpp"

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cctv::worker {

// A recorded stretch of an input file: from `file_us` (its time in the file, from the
// file's first video packet) for `length_us`.
struct TimelapseSpan {
  std::int64_t file_us = 0;
  std::int64_t length_us = 0;
};

// One input file and the recorded time it holds, in order.
struct TimelapseInput {
  std::filesystem::path path;
  std::vector<TimelapseSpan> spans;
};

// A segment of `duration_us` (the catalog's): one span.
TimelapseInput segment_input(std::filesystem::path path, std::int64_t duration_us);
// A converted day's video.mp4: one span per fragment (the file keeps the day's gaps).
TimelapseInput converted_input(std::filesystem::path path, const ConvertedDay& day);

// Where time `file_us` of `input` lies in the day's recorded time: `offset_us` (the
// recorded time of the inputs before it) plus the recorded time of `input` before
// `file_us`; a time in a gap between spans is the end of the span before it.
std::int64_t recorded_position(const TimelapseInput& input, std::int64_t offset_us,
                               std::int64_t file_us);

// The recorded time of the inputs (the sum of their spans).
std::int64_t recorded_us(const std::vector<TimelapseInput>& inputs);

// The picking rule: N output slots over R recorded microseconds; slot i is at i * R / N.
class SlotPicker {
 public:
  SlotPicker(std::int64_t recorded_us, std::int64_t slots);

  // The first slot a keyframe at `position_us` would cover, or nullopt when it does not
  // reach the next free slot (or every slot is taken).
  [[nodiscard]] std::optional<std::int64_t> due(std::int64_t position_us) const;
  // Takes the slots up to `position_us` (after due() said yes and the frame was made).
  void take(std::int64_t position_us);
  // The next free slot (N when all are taken).
  [[nodiscard]] std::int64_t next() const { return m_next; }
  [[nodiscard]] std::int64_t slots() const { return m_slots; }

 private:
  std::int64_t m_recorded_us;
  std::int64_t m_slots;
  std::int64_t m_next = 0;
};

struct TimelapseOptions {
  int seconds = 60;                 // timelapse.seconds: the output's length
  int fps = 25;                     // output frame rate: seconds * fps slots
  int max_width = 1280;             // pixels; never wider than the source
  int crf = 26;                     // libx264 constant rate factor
  std::string preset = "veryfast";  // libx264 preset
  // A missing input is an error (the daemon: the day changed under it) instead of a
  // skipped file (the command line makes what it can).
  bool missing_is_error = false;
  // Names the timelapse in log lines and errors ("cam=front timelapse of 2026-11-20");
  // "" = the output's path.
  std::string what;
  // The output's mtime (ns since the epoch) when set: the time its inputs were listed, so
  // that a file that arrives while it is made counts as newer than it. 0 = when written.
  std::int64_t mtime_ns = 0;
  // Stops between packets (SIGTERM): the .part is removed.
  const std::atomic<bool>* stop = nullptr;
};

struct TimelapseStats {
  std::int64_t recorded_us = 0;     // R
  std::int64_t slots = 0;           // N
  std::int64_t packets = 0;         // video packets read
  std::int64_t keyframes = 0;       // keyframe packets among them
  std::int64_t decoded = 0;         // keyframe packets sent to a decoder
  std::int64_t frames = 0;          // pictures made (the output repeats each for its slots)
  std::int64_t skipped_inputs = 0;  // files that could not be read (corrupt, no video)
  std::int64_t missing_inputs = 0;  // files not there
  std::int64_t duration_us = 0;     // of the output
  int width = 0;                    // of the output
  int height = 0;
};

// <day_dir>/timelapse.mp4
std::filesystem::path timelapse_path(const std::filesystem::path& day_dir);

// Makes `output` from `inputs` (in time order). A leftover `output`.part is removed
// first; on success `output` is replaced atomically, on failure nothing is left but
// what was there before. Errors: not_found when no input is on disk, data_loss when no
// keyframe could be decoded, unavailable when stopped.
Result<TimelapseStats> make_timelapse(const std::vector<TimelapseInput>& inputs,
                                      const std::filesystem::path& output,
                                      const TimelapseOptions& options = {});

// The inputs of a day from the catalog: its segments, or its converted video.mp4.
// nullopt for a day whose files are not on this disk (archived: only in S3) or that has
// none.
Result<std::optional<std::vector<TimelapseInput>>> timelapse_inputs(
    Catalog& catalog, std::int64_t camera_id, const DayRow& day,
    const std::filesystem::path& day_dir);

}  // namespace cctv::worker
