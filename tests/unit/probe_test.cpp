// Unit tests for worker/probe: exact durations (compared with ffprobe's packet
// timestamps), the codec string, and files that are not media.
#define BOOST_TEST_MODULE probe
#include <boost/test/unit_test.hpp>

#include "tests/unit/worker_fixture.hpp"
#include "worker/probe.hpp"

#include <cmath>

using namespace cctv;
using namespace cctv::test;
using worker::probe_segment;
using worker::ProbeMode;

BOOST_AUTO_TEST_CASE(duration_is_exact_from_the_packets) {
  TempDir dir;
  for (double seconds : {4.0, 2.5}) {
    const auto file = dir.path() / ("x" + std::to_string(seconds) + ".ts");
    make_ts(file, seconds, "320x180");
    const auto expected_us = std::llround(ffprobe_duration(file) * 1e6);
    const auto probe = value_of(probe_segment(file));
    BOOST_TEST(probe.duration_us == expected_us);
    BOOST_TEST(probe.codec == "h264 320x180");
  }
}

BOOST_AUTO_TEST_CASE(codec_only_skips_the_duration) {
  const auto probe = value_of(probe_segment(sample_ts(), ProbeMode::codec_only));
  BOOST_TEST(probe.duration_us == 0);
  BOOST_TEST(probe.codec == "h264 320x180");
}

BOOST_AUTO_TEST_CASE(garbage_empty_and_missing_files_are_errors) {
  TempDir dir;
  write_file(dir.path() / "garbage.ts", std::string(5000, 'x'));
  write_file(dir.path() / "empty.ts", "");
  for (const char* name : {"garbage.ts", "empty.ts"}) {
    auto probe = probe_segment(dir.path() / name);
    BOOST_REQUIRE(!probe);
    BOOST_TEST(probe.error().message.find(name) != std::string::npos);
  }
  auto missing = probe_segment(dir.path() / "missing.ts");
  BOOST_REQUIRE(!missing);
  BOOST_TEST(missing.error().kind == ErrorKind::not_found);
}

BOOST_AUTO_TEST_CASE(truncated_file_gives_what_it_holds_or_an_error) {
  TempDir dir;
  const auto full = dir.path() / "full.ts";
  make_ts(full, 4);
  const auto size = fs::file_size(full);
  // Cut in the middle of a TS packet: the head still plays, and is shorter.
  const auto half = dir.path() / "half.ts";
  fs::copy_file(full, half);
  fs::resize_file(half, size / 2 + 77);
  const auto probe = value_of(probe_segment(half));
  BOOST_TEST(probe.duration_us > 0);
  BOOST_TEST(probe.duration_us < value_of(probe_segment(full)).duration_us);
  // Cut to less than one packet: nothing to index.
  const auto stub = dir.path() / "stub.ts";
  fs::copy_file(full, stub);
  fs::resize_file(stub, 100);
  BOOST_TEST(!probe_segment(stub));
}

BOOST_AUTO_TEST_CASE(file_without_video_is_an_error) {
  TempDir dir;
  const auto audio = dir.path() / "audio.ts";
  run("ffmpeg -nostdin -v error -y -f lavfi -i sine=frequency=440:sample_rate=16000 -t 1 "
      "-c:a mp2 -f mpegts '" +
      audio.string() + "'");
  auto probe = probe_segment(audio);
  BOOST_REQUIRE(!probe);
  BOOST_TEST(probe.error().message.find("no video stream") != std::string::npos);
}
