// Resuming an exported MP4 at a fragment. While the MP4 is made once for its size, the
// box stream is scanned and every moof+mdat pair is recorded with where the writer was
// when it sent the fragment's first packet (a checkpoint); a range request then makes
// the MP4 from the fragment its first byte lies in. Every resumed fragment is checked
// against its checkpoint before a byte of it goes out.
#pragma once

#include "core/civil_time.hpp"
#include "core/error.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cctv::web {

// One moof+mdat pair of the MP4 as it went out.
struct Mp4Fragment {
  std::int64_t offset = 0;        // of its moof, from the start of the stream
  std::int64_t bytes = 0;         // moof + mdat
  std::uint32_t sequence = 0;     // mfhd sequence_number
  std::uint64_t decode_time = 0;  // tfdt baseMediaDecodeTime (output time base)
  std::uint32_t samples = 0;      // trun sample_count
  std::uint64_t moof_hash = 0;    // FNV-1a of the whole moof box
  bool operator==(const Mp4Fragment&) const = default;
};

// Where Mp4Export::write was when it sent a fragment's first packet to the muxer.
struct WriterState {
  std::uint32_t piece = 0;    // index into the plan's pieces
  std::int64_t packet = 0;    // packets read from that piece before this one
  UtcMicros anchor = 0;       // the piece's time anchor
  UtcMicros prev_end = 0;     // where the frames so far end
  std::int64_t zero = 0;      // the piece's zero timestamp (its time base)
  std::int64_t last_dts = 0;  // the last DTS sent (output time base)
  std::int64_t emitted = 0;   // packets sent to the muxer before this one
};

struct Checkpoint {
  Mp4Fragment fragment;
  WriterState state;
};

// What making an MP4 once teaches: its size and its checkpoints, one per fragment
// (empty when the fragments could not be matched to the writer's keyframes).
struct Mp4Index {
  std::int64_t size = 0;
  UtcMicros origin = 0;  // the writer's time origin
  std::vector<Checkpoint> checkpoints;

  // The fragment (1 or later) that byte `at` lies in; nullopt for the init and the
  // first fragment, which are cheap to make from the start.
  [[nodiscard]] std::optional<std::size_t> fragment_at(std::int64_t at) const;
};

// Reads the top-level boxes of an MP4 as it streams past (ftyp, moov, moof+mdat pairs)
// and records the fragments.
class BoxScanner {
 public:
  Result<void> feed(std::string_view bytes);
  [[nodiscard]] const std::vector<Mp4Fragment>& fragments() const { return m_fragments; }
  [[nodiscard]] std::int64_t offset() const { return m_offset; }
  // True between boxes (no box half read).
  [[nodiscard]] bool at_box_boundary() const { return m_header.empty() && m_left == 0; }

 private:
  Result<void> start_box();
  std::int64_t m_offset = 0;
  std::string m_header;     // the box header read so far
  std::int64_t m_left = 0;  // bytes of the current box still to come
  bool m_in_moof = false;
  std::string m_moof;                    // the moof being read
  std::optional<Mp4Fragment> m_pending;  // a moof waiting for its mdat header
  std::vector<Mp4Fragment> m_fragments;
};

// Parses a whole moof box: sequence number, decode time, sample count and hash.
Result<Mp4Fragment> parse_moof(std::string_view moof);

// Joins the scanned fragments with the writer's state at each keyframe; the checkpoints
// stay empty unless fragment k began with keyframe k for every k.
void fill_checkpoints(Mp4Index& index, const std::vector<Mp4Fragment>& fragments,
                      const std::vector<WriterState>& keyframes);

// Passes on the bytes of an MP4 made from checkpoint `k` on: drops what the fresh muxer
// writes before its first moof, and sends a byte only once the fragment it belongs to
// matched its checkpoint (offset, size, sequence number, decode time, sample count,
// moof hash). A mismatch stops the stream; mismatched() tells so.
class ResumeFilter {
 public:
  using Sink = std::function<bool(std::string_view)>;
  ResumeFilter(const Mp4Index& index, std::size_t k, Sink sink);

  bool operator()(std::string_view bytes);
  // After the muxer is done: every byte up to the MP4's end went out and matched.
  Result<void> finish();
  [[nodiscard]] bool mismatched() const { return !m_problem.empty(); }
  [[nodiscard]] const std::string& problem() const { return m_problem; }
  [[nodiscard]] std::int64_t sent() const { return m_sent; }

 private:
  bool release();
  const Mp4Index& m_index;
  std::size_t m_first;
  Sink m_sink;
  BoxScanner m_scanner;
  std::optional<std::int64_t> m_shift;  // original offset minus resumed offset
  std::string m_held;                   // resumed bytes from m_held_at on, not yet checked
  std::int64_t m_held_at = 0;           // resumed offset of m_held's first byte
  std::size_t m_checked = 0;            // fragments of m_scanner checked
  std::int64_t m_verified_end = 0;      // resumed offset up to which bytes may go out
  std::int64_t m_sent = 0;
  std::string m_problem;
};

}  // namespace cctv::web
