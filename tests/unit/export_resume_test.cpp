// Unit tests for fcgi/export_resume and Mp4Export::write_from on real media made by the
// ffmpeg command line: H.264 MPEG-TS segments (with and without B-frames) across a gap
// and midnight, and a converted day's fragmented H.265 MP4. Every fragment made from its
// checkpoint must be byte for byte the same as that part of the whole MP4.
#define BOOST_TEST_MODULE export_resume
#include <boost/test/unit_test.hpp>

#include "fcgi/export_mp4.hpp"
#include "fcgi/export_resume.hpp"
#include "tests/unit/worker_fixture.hpp"

#include <fstream>
#include <string>
#include <vector>

using namespace cctv;
using namespace cctv::test;
using namespace cctv::web;

namespace {

constexpr std::int64_t k_second = 1'000'000;
constexpr Date k_day{2026, 11, 20};
constexpr Date k_next_day{2026, 11, 21};
// 2026-11-20T23:59:50Z
constexpr UtcMicros k_t0 = 1'795'219'190 * k_second;

struct Archive {
  TempDir dir;
  fs::path camera = dir.path() / "front";
  ExportPlan plan;

  fs::path file(Date date, const std::string& name) const {
    const fs::path p = camera / format_date(date) / name;
    fs::create_directories(p.parent_path());
    return p;
  }
  void segment(Date date, const std::string& name, UtcMicros start, int seconds,
               const std::string& x264) {
    run("ffmpeg -nostdin -v error -y -f lavfi -i testsrc2=size=320x180:rate=10 -t " +
        std::to_string(seconds) + " -c:v libx264 " + x264 + " -g 10 -f mpegts '" +
        file(date, name).string() + "'");
    ExportPiece piece;
    piece.date = date;
    piece.name = name;
    piece.start_us = start;
    piece.end_us = start + seconds * k_second;
    piece.codec = "h264 320x180";
    plan.pieces.push_back(piece);
  }
};

// 4 s + 4 s segments, a 2 s gap, then 6 s after midnight.
void add_segments(Archive& a, const std::string& x264) {
  a.segment(k_day, "235950.ts", k_t0, 4, x264);
  a.segment(k_day, "235954.ts", k_t0 + 4 * k_second, 4, x264);
  a.segment(k_next_day, "000000.ts", k_t0 + 10 * k_second, 6, x264);
}

// A converted day: 20 s of H.265, a keyframe a second, as the converter's fragmented MP4.
void add_converted_day(Archive& a) {
  const fs::path path = a.file(k_day, "converted.mp4");
  run("ffmpeg -nostdin -v error -y -f lavfi -i testsrc2=size=320x180:rate=10 -t 20 -c:v libx265 "
      "-preset ultrafast -x265-params log-level=error:keyint=10:min-keyint=10 -tag:v hvc1 "
      "-movflags frag_keyframe+empty_moov+default_base_moof -f mp4 '" +
      path.string() + "'");
  std::string bytes(fs::file_size(path), '\0');
  std::ifstream(path, std::ios::binary)
      .read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  BoxScanner boxes;
  BOOST_REQUIRE(boxes.feed(bytes));
  BOOST_REQUIRE(!boxes.fragments().empty());
  ExportPiece piece;
  piece.date = k_day;
  piece.name = "converted.mp4";
  piece.converted = true;
  piece.init_bytes = boxes.fragments().front().offset;
  piece.offset_bytes = piece.init_bytes;
  piece.length_bytes =
      boxes.fragments().back().offset + boxes.fragments().back().bytes - piece.init_bytes;
  piece.start_us = k_t0;
  piece.end_us = k_t0 + 20 * k_second;
  piece.codec = "hevc 320x180";
  a.plan.pieces.push_back(piece);
}

struct Made {
  std::string bytes;
  Mp4Index index;
};

Made make_whole(Mp4Export& mp4) {
  Made out;
  auto stats = mp4.write(
      [&](std::string_view b) {
        out.bytes.append(b);
        return true;
      },
      &out.index);
  BOOST_REQUIRE_MESSAGE(stats, (stats ? "" : stats.error().message));
  BOOST_TEST(stats->bytes == std::ssize(out.bytes));
  BOOST_TEST(out.index.size == std::ssize(out.bytes));
  return out;
}

// The bytes from checkpoint k on, or an error.
Result<std::string> make_from(Mp4Export& mp4, const Mp4Index& index, std::size_t k) {
  std::string out;
  auto stats = mp4.write_from(
      [&](std::string_view b) {
        out.append(b);
        return true;
      },
      index, k);
  if (!stats) return std::unexpected(stats.error());
  BOOST_TEST(stats->bytes == std::ssize(out));
  return out;
}

// Every fragment made from its checkpoint equals the whole MP4 from there on; so does
// the range from an arbitrary byte (the part of its fragment before it dropped).
void check_every_fragment(Archive& a, UtcMicros from, UtcMicros to, std::size_t min_fragments) {
  auto mp4 = Mp4Export::open(a.plan, a.camera, from, to);
  BOOST_REQUIRE_MESSAGE(mp4, (mp4 ? "" : mp4.error().message));
  const Made whole = make_whole(*mp4);
  BOOST_TEST_REQUIRE(whole.index.checkpoints.size() >= min_fragments);
  BOOST_TEST_MESSAGE(whole.index.size << " bytes, " << whole.index.checkpoints.size()
                                      << " fragments, each made from its checkpoint");
  // The MP4 ends with its last fragment (no mfra).
  const Mp4Fragment& last = whole.index.checkpoints.back().fragment;
  BOOST_TEST(last.offset + last.bytes == whole.index.size);
  for (std::size_t k = 1; k < whole.index.checkpoints.size(); ++k) {
    const Mp4Fragment& f = whole.index.checkpoints[k].fragment;
    BOOST_TEST(f.sequence == k + 1);
    auto resumed = make_from(*mp4, whole.index, k);
    BOOST_REQUIRE_MESSAGE(resumed,
                          "fragment " << k << ": " << (resumed ? "" : resumed.error().message));
    BOOST_TEST_INFO("fragment " << k);
    BOOST_TEST((*resumed == whole.bytes.substr(static_cast<std::size_t>(f.offset))));
  }
  // Arbitrary first bytes: the middle of a fragment, its last byte, the MP4's last byte.
  const std::int64_t size = whole.index.size;
  for (const std::int64_t at : {size / 3, size / 2, size - 1, size * 9 / 10}) {
    const auto k = whole.index.fragment_at(at);
    BOOST_TEST_REQUIRE(k.has_value());
    const std::int64_t offset = whole.index.checkpoints[*k].fragment.offset;
    BOOST_TEST(offset <= at);
    auto resumed = make_from(*mp4, whole.index, *k);
    BOOST_REQUIRE(resumed);
    BOOST_TEST((resumed->substr(static_cast<std::size_t>(at - offset)) ==
                whole.bytes.substr(static_cast<std::size_t>(at))));
  }
  // Made again from the start, the MP4 is the same.
  std::string again;
  BOOST_REQUIRE(mp4->write([&](std::string_view b) {
    again.append(b);
    return true;
  }));
  BOOST_TEST((again == whole.bytes));
}

}  // namespace

BOOST_AUTO_TEST_CASE(h264_segments_across_a_gap_and_midnight) {
  Archive a;
  add_segments(a, "-preset ultrafast");
  check_every_fragment(a, k_t0 + 1'500'000, k_t0 + 15 * k_second, 12);
}

BOOST_AUTO_TEST_CASE(h264_with_b_frames) {
  Archive a;
  add_segments(a, "-preset veryfast -bf 2");
  check_every_fragment(a, k_t0 + 2'300'000, k_t0 + 16 * k_second, 12);
}

BOOST_AUTO_TEST_CASE(converted_h265_day) {
  Archive a;
  add_converted_day(a);
  check_every_fragment(a, k_t0 + 3'700'000, k_t0 + 18 * k_second, 12);
}

BOOST_AUTO_TEST_CASE(a_wrong_checkpoint_sends_no_wrong_byte) {
  Archive a;
  add_segments(a, "-preset ultrafast");
  auto mp4 = Mp4Export::open(a.plan, a.camera, k_t0 + 1'500'000, k_t0 + 15 * k_second);
  BOOST_REQUIRE(mp4);
  const Made whole = make_whole(*mp4);
  BOOST_TEST_REQUIRE(whole.index.checkpoints.size() >= 6);
  // Resumed at fragment 3 with `change` made to checkpoint `changed`: an error, and
  // what went out is the whole MP4's bytes from fragment 3 up to fragment `changed`.
  const auto offset = [&](std::size_t k) { return whole.index.checkpoints[k].fragment.offset; };
  auto wrong = [&](std::size_t changed, auto change) {
    Mp4Index index = whole.index;
    change(index.checkpoints[changed]);
    std::string sent;
    auto stats = mp4->write_from(
        [&](std::string_view b) {
          sent.append(b);
          return true;
        },
        index, 3);
    BOOST_TEST(!stats);
    BOOST_TEST(std::ssize(sent) == offset(changed) - offset(3));
    BOOST_TEST((sent == whole.bytes.substr(static_cast<std::size_t>(offset(3)), sent.size())));
  };
  wrong(3, [](Checkpoint& c) { ++c.fragment.decode_time; });
  wrong(3, [](Checkpoint& c) { ++c.fragment.sequence; });
  wrong(3, [](Checkpoint& c) { ++c.fragment.bytes; });
  wrong(3, [](Checkpoint& c) { c.fragment.moof_hash ^= 1; });
  wrong(3, [](Checkpoint& c) { ++c.state.packet; });           // starts one packet late
  wrong(3, [](Checkpoint& c) { c.state.last_dts += 9'000; });  // other frame times
  wrong(5, [](Checkpoint& c) { c.fragment.moof_hash ^= 1; });  // stops before fragment 5
  // The right checkpoint still works after all that.
  auto resumed = make_from(*mp4, whole.index, 3);
  BOOST_REQUIRE(resumed);
  BOOST_TEST((*resumed == whole.bytes.substr(static_cast<std::size_t>(
                              whole.index.checkpoints[3].fragment.offset))));
}

BOOST_AUTO_TEST_CASE(fragment_at_skips_the_init_and_the_first_fragment) {
  Mp4Index index;
  index.size = 1000;
  for (const std::int64_t offset : {100, 300, 600}) {
    Checkpoint c;
    c.fragment.offset = offset;
    c.fragment.bytes = offset == 600 ? 400 : (offset == 100 ? 200 : 300);
    index.checkpoints.push_back(c);
  }
  BOOST_TEST(!index.fragment_at(0));
  BOOST_TEST(!index.fragment_at(299));
  BOOST_TEST(index.fragment_at(300).value_or(0) == 1U);
  BOOST_TEST(index.fragment_at(599).value_or(0) == 1U);
  BOOST_TEST(index.fragment_at(600).value_or(0) == 2U);
  BOOST_TEST(index.fragment_at(999).value_or(0) == 2U);
  BOOST_TEST(!index.fragment_at(1000));
}

BOOST_AUTO_TEST_CASE(scanner_finds_fragments_fed_byte_by_byte) {
  Archive a;
  add_segments(a, "-preset ultrafast");
  auto mp4 = Mp4Export::open(a.plan, a.camera, k_t0, k_t0 + 5 * k_second);
  BOOST_REQUIRE(mp4);
  const Made whole = make_whole(*mp4);
  BoxScanner scanner;
  for (const char c : whole.bytes) BOOST_REQUIRE(scanner.feed(std::string_view(&c, 1)));
  BOOST_TEST(scanner.at_box_boundary());
  BOOST_TEST_REQUIRE(scanner.fragments().size() == whole.index.checkpoints.size());
  for (std::size_t k = 0; k < scanner.fragments().size(); ++k) {
    BOOST_TEST((scanner.fragments()[k] == whole.index.checkpoints[k].fragment));
  }
  BoxScanner bad;
  BOOST_TEST(!bad.feed(std::string_view("\0\0\0\4moof", 8)));
}
