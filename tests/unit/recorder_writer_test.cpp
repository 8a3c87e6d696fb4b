// Unit tests for worker/recorder_writer: remuxing a stream into a playable MPEG-TS
// .part (video + audio, data and unsupported streams dropped), finish and publish
// (never over a file), free names, abandon, and a real write error (RLIMIT_FSIZE).
#define BOOST_TEST_MODULE recorder_writer
#include <boost/test/unit_test.hpp>

#include "tests/unit/recorder_fixture.hpp"
#include "worker/probe.hpp"
#include "worker/recorder_writer.hpp"

#include <sys/resource.h>

#include <csignal>

using namespace cctv;
using namespace cctv::test;
using namespace cctv::worker;

namespace {

struct Input {
  std::unique_ptr<Source> source;
  explicit Input(const fs::path& file) {
    SourceRequest request;
    request.url = file.string();
    source = value_of(open_source(request));
  }
  [[nodiscard]] const AVFormatContext& format() const { return source->input(); }
};

// Copies `seconds` of a file (from its first video keyframe) into a writer.
void copy_into(SegmentWriter& writer, Input& in, StreamChoice streams, double seconds) {
  auto packet = value_of(av::make_packet());
  std::optional<std::int64_t> first;
  while (in.source->read(*packet.get())) {
    const AVStream* st = in.format().streams[packet->stream_index];
    const std::int64_t us = av_rescale_q(packet->pts, st->time_base, AVRational{1, 1'000'000});
    if (!first && packet->stream_index == streams.video) first = us;
    if (first && us - *first >= static_cast<std::int64_t>(seconds * 1e6)) break;
    if (first) check(writer.write(*packet.get()));
    av_packet_unref(packet.get());
  }
}

std::int64_t first_video_us(const fs::path& file) {
  Input in(file);
  auto packet = value_of(av::make_packet());
  const int video = value_of(choose_streams(in.format())).video;
  while (in.source->read(*packet.get())) {
    if (packet->stream_index == video) {
      return av_rescale_q(packet->dts, in.format().streams[video]->time_base,
                          AVRational{1, 1'000'000});
    }
    av_packet_unref(packet.get());
  }
  throw std::runtime_error("no video");
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_segment_is_remuxed_into_a_playable_part_then_published) {
  TempDir dir;
  Input in(clip12());
  const StreamChoice streams = value_of(choose_streams(in.format()));
  BOOST_TEST(streams.video >= 0);
  BOOST_TEST(streams.audio >= 0);
  const fs::path part = dir.path() / "2026-11-20" / "video_101500.ts.part";
  auto writer =
      value_of(SegmentWriter::create(part, in.format(), streams, first_video_us(clip12())));
  copy_into(*writer, in, streams, 3.0);
  check(writer->finish());
  BOOST_TEST(writer->bytes() == static_cast<std::int64_t>(fs::file_size(part)));
  BOOST_TEST(writer->dropped() == 0);
  const fs::path final_path = dir.path() / "2026-11-20" / "video_101500.ts";
  check(publish(part, final_path));
  BOOST_TEST(!fs::exists(part));
  BOOST_TEST(std::abs(ffprobe_duration(final_path) - 3.0) < 0.11);
  BOOST_TEST(ffprobe_streams(final_path) == "video,audio");
  // The codec text is the indexer's.
  BOOST_TEST(value_of(probe_segment(final_path)).codec ==
             codec_label(*in.format().streams[streams.video]->codecpar));
  // Each segment starts near zero, whatever the camera's clock says.
  const std::string start = run("ffprobe -v error -show_entries format=start_time -of csv=p=0 '" +
                                final_path.string() + "'");
  BOOST_TEST(std::stod(start) < 2.0, start);
}

BOOST_AUTO_TEST_CASE(publish_never_replaces_a_file_and_creates_the_directory) {
  TempDir dir;
  write_file(dir.path() / "a.part", "new");
  write_file(dir.path() / "day" / "video_000000.ts", "old");
  auto taken = publish(dir.path() / "a.part", dir.path() / "day" / "video_000000.ts");
  BOOST_TEST_REQUIRE(!taken.has_value());
  BOOST_TEST(taken.error().kind == ErrorKind::invalid_argument);
  BOOST_TEST(run("cat '" + (dir.path() / "day" / "video_000000.ts").string() + "'") == "old");
  check(publish(dir.path() / "a.part", dir.path() / "other" / "video_000001.ts"));
  BOOST_TEST(run("cat '" + (dir.path() / "other" / "video_000001.ts").string() + "'") == "new");
  BOOST_TEST(!publish(dir.path() / "missing.part", dir.path() / "x.ts").has_value());
}

BOOST_AUTO_TEST_CASE(free_second_skips_segments_and_parts) {
  TempDir dir;
  BOOST_TEST(free_second(dir.path() / "nothing-yet", 100).value_or(-1) == 100);
  write_file(dir.path() / "video_000140.ts", "x");
  write_file(dir.path() / "video_000141.ts.part", "x");
  BOOST_TEST(free_second(dir.path(), 100).value_or(-1) == 102);  // 00:01:40 = 100 s
  write_file(dir.path() / "video_235959.ts", "x");
  BOOST_TEST(!free_second(dir.path(), 86399).has_value());
}

BOOST_AUTO_TEST_CASE(abandon_removes_the_part_and_an_existing_part_is_never_reused) {
  TempDir dir;
  Input in(clip12());
  const StreamChoice streams = value_of(choose_streams(in.format()));
  const fs::path part = dir.path() / "video_000000.ts.part";
  {
    auto writer = value_of(SegmentWriter::create(part, in.format(), streams, 0));
    BOOST_TEST(fs::exists(part));
    // A second writer for the same .part is refused (O_EXCL): nothing is overwritten.
    auto twin = SegmentWriter::create(part, in.format(), streams, 0);
    BOOST_TEST(!twin.has_value());
    BOOST_TEST(fs::exists(part));
    writer->abandon();
    BOOST_TEST(!fs::exists(part));
  }
  {
    // Destroyed unfinished (a crash, as far as the disk knows): the .part stays.
    auto writer = value_of(SegmentWriter::create(part, in.format(), streams, 0));
  }
  BOOST_TEST(fs::exists(part));
}

BOOST_AUTO_TEST_CASE(a_write_error_is_an_error_value_not_a_crash) {
  TempDir dir;
  Input in(clip12());
  const StreamChoice streams = value_of(choose_streams(in.format()));
  // A file size limit gives EFBIG on write, like a full disk gives ENOSPC.
  (void)std::signal(SIGXFSZ, SIG_IGN);
  rlimit saved{};
  ::getrlimit(RLIMIT_FSIZE, &saved);
  rlimit small = saved;
  small.rlim_cur = 100'000;
  ::setrlimit(RLIMIT_FSIZE, &small);
  auto writer = value_of(SegmentWriter::create(dir.path() / "video_000000.ts.part", in.format(),
                                               streams, first_video_us(clip12())));
  auto packet = value_of(av::make_packet());
  Result<void> written;
  while (written && in.source->read(*packet.get())) {
    written = writer->write(*packet.get());
    av_packet_unref(packet.get());
  }
  if (written) written = writer->finish();
  ::setrlimit(RLIMIT_FSIZE, &saved);
  BOOST_TEST_REQUIRE(!written.has_value());
  BOOST_TEST(written.error().kind == ErrorKind::unavailable);
  BOOST_TEST(written.error().message.find("File too large") != std::string::npos,
             written.error().message);
  BOOST_TEST(written.error().message.find("video_000000.ts.part") != std::string::npos);
  writer->abandon();
}

BOOST_AUTO_TEST_CASE(unsupported_streams_are_dropped_and_mjpeg_is_refused) {
  TempDir dir;
  // G.711 audio cannot go into MPEG-TS: the video is recorded alone.
  const fs::path alaw = dir.path() / "alaw.mkv";
  run("ffmpeg -nostdin -v error -f lavfi -i testsrc2=size=160x90:rate=10 -f lavfi -i "
      "sine=sample_rate=8000 -t 1 -c:v libx264 -preset ultrafast -c:a pcm_alaw '" +
      alaw.string() + "'");
  Input a(alaw);
  const StreamChoice choice = value_of(choose_streams(a.format()));
  BOOST_TEST(choice.video == 0);
  BOOST_TEST(choice.audio == -1);
  const fs::path mjpeg = dir.path() / "cam.mkv";
  run("ffmpeg -nostdin -v error -f lavfi -i testsrc2=size=160x90:rate=10 -t 1 -c:v mjpeg '" +
      mjpeg.string() + "'");
  Input m(mjpeg);
  auto refused = choose_streams(m.format());
  BOOST_TEST_REQUIRE(!refused.has_value());
  BOOST_TEST(refused.error().message.find("mjpeg cannot be stored in MPEG-TS") !=
             std::string::npos);
  const fs::path audio_only = dir.path() / "audio.ts";
  run("ffmpeg -nostdin -v error -f lavfi -i sine -t 1 -c:a aac '" + audio_only.string() + "'");
  Input o(audio_only);
  BOOST_TEST(!choose_streams(o.format()).has_value());
}

BOOST_AUTO_TEST_CASE(sync_directory_reports_a_missing_directory) {
  TempDir dir;
  check(sync_directory(dir.path()));
  BOOST_TEST(!sync_directory(dir.path() / "missing").has_value());
}
