// Unit tests for core/av: the RAII handles (moves free what they held), the
// AVERROR -> ErrorKind mapping, opening inputs and the encode-and-mux loop.
#define BOOST_TEST_MODULE av
#include <boost/test/unit_test.hpp>

#include "core/av.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>
#include "tests/unit/worker_fixture.hpp"

using namespace cctv;
using namespace cctv::test;

BOOST_AUTO_TEST_CASE(packet_move_assignment_frees_the_old_packet) {
  auto a = value_of(av::make_packet());
  auto b = value_of(av::make_packet());
  BOOST_TEST(av_new_packet(a.get(), 100) == 0);  // owns a buffer: ASan sees a leak if not freed
  AVPacket* const b_raw = b.get();
  a = std::move(b);
  BOOST_TEST(a.get() == b_raw);
  BOOST_TEST(!b);
  av::Packet c(std::move(a));
  BOOST_TEST(c.get() == b_raw);
  BOOST_TEST(!a);
  c = std::move(c);  // self-move keeps it
  BOOST_TEST(c.get() == b_raw);
  c.reset();
  BOOST_TEST(!c);
}

BOOST_AUTO_TEST_CASE(frame_codec_context_and_dictionary_move) {
  auto frame = value_of(av::make_frame());
  av::Frame other;
  other = std::move(frame);
  BOOST_TEST(static_cast<bool>(other));
  BOOST_TEST(!frame);

  av::CodecContext codec(avcodec_alloc_context3(nullptr));
  av::CodecContext codec2(avcodec_alloc_context3(nullptr));
  AVCodecContext* const raw = codec.get();
  codec2 = std::move(codec);
  BOOST_TEST(codec2.get() == raw);
  BOOST_TEST(!codec);

  av::Dictionary dict;
  BOOST_TEST(av_dict_set(dict.out(), "rtsp_transport", "tcp", 0) == 0);
  av::Dictionary dict2;
  BOOST_TEST(av_dict_set(dict2.out(), "timeout", "5000000", 0) == 0);
  dict2 = std::move(dict);
  BOOST_TEST(av_dict_get(dict2.get(), "rtsp_transport", nullptr, 0) != nullptr);
  BOOST_TEST(av_dict_get(dict2.get(), "timeout", nullptr, 0) == nullptr);
  BOOST_TEST(!dict);
}

BOOST_AUTO_TEST_CASE(input_format_move_assignment_closes_the_old_input) {
  auto a = value_of(av::open_input(sample_ts().string()));
  auto b = value_of(av::open_input(sample_ts().string()));
  AVFormatContext* const b_raw = b.get();
  BOOST_TEST(a->nb_streams == 1U);
  a = std::move(b);
  BOOST_TEST(a.get() == b_raw);
  BOOST_TEST(!b);
}

BOOST_AUTO_TEST_CASE(output_format_is_freed_with_its_io) {
  TempDir dir;
  av::OutputFormat out;
  BOOST_TEST(avformat_alloc_output_context2(out.out(), nullptr, "mpegts",
                                            (dir.path() / "x.ts").c_str()) >= 0);
  BOOST_TEST(avio_open(&out->pb, (dir.path() / "x.ts").c_str(), AVIO_FLAG_WRITE) >= 0);
  av::OutputFormat moved;
  moved = std::move(out);
  BOOST_TEST(static_cast<bool>(moved));
  moved.reset();  // closes the AVIOContext, frees the context
  BOOST_TEST(fs::exists(dir.path() / "x.ts"));
}

BOOST_AUTO_TEST_CASE(errors_map_to_kinds_with_a_message) {
  BOOST_TEST(av::error_from(AVERROR(ENOENT), "open x").kind == ErrorKind::not_found);
  BOOST_TEST(av::error_from(AVERROR_INVALIDDATA, "x").kind == ErrorKind::data_loss);
  BOOST_TEST(av::error_from(AVERROR(ETIMEDOUT), "x").kind == ErrorKind::timeout);
  BOOST_TEST(av::error_from(AVERROR_EXIT, "x").kind == ErrorKind::timeout);
  BOOST_TEST(av::error_from(AVERROR(ECONNREFUSED), "x").kind == ErrorKind::unavailable);
  BOOST_TEST(av::error_from(AVERROR_HTTP_UNAUTHORIZED, "x").kind == ErrorKind::invalid_argument);
  BOOST_TEST(av::error_from(AVERROR(ENOMEM), "x").kind == ErrorKind::internal);
  BOOST_TEST(av::error_from(AVERROR_INVALIDDATA, "probe a.ts").message ==
             "probe a.ts: Invalid data found when processing input");
  BOOST_TEST(!av::error_string(-123456789).empty());
}

BOOST_AUTO_TEST_CASE(opening_a_missing_file_is_not_found) {
  TempDir dir;
  auto input = av::open_input((dir.path() / "missing.ts").string());
  BOOST_REQUIRE(!input);
  BOOST_TEST(input.error().kind == ErrorKind::not_found);
}

BOOST_AUTO_TEST_CASE(ffmpeg_log_lines_name_the_camera_and_hide_credentials) {
  av::route_log();
  av::set_thread_log_context("cam=front");
  // Capture stderr (where cctv::log writes) in a temporary file.
  std::FILE* capture = std::tmpfile();
  BOOST_REQUIRE(capture != nullptr);
  std::fflush(stderr);
  const int saved = ::dup(2);
  ::dup2(::fileno(capture), 2);
  av_log(nullptr, AV_LOG_ERROR, "could not open rtsp://admin:s3cret@10.0.0.5/stream?token=abc\n");
  std::fflush(stderr);
  ::dup2(saved, 2);
  ::close(saved);
  av::set_thread_log_context("");
  std::rewind(capture);
  std::string text(4096, '\0');
  text.resize(std::fread(text.data(), 1, text.size(), capture));
  std::fclose(capture);
  BOOST_TEST(text.find("cam=front ffmpeg: could not open rtsp://***@10.0.0.5/stream?***") !=
             std::string::npos);
  BOOST_TEST(text.find("s3cret") == std::string::npos);
  BOOST_TEST(text.find("abc") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(encode_and_write_muxes_every_frame_with_the_stream_time_base) {
  TempDir dir;
  const std::string file = (dir.path() / "out.mp4").string();
  const AVCodec* x264 = avcodec_find_encoder_by_name("libx264");
  BOOST_REQUIRE(x264 != nullptr);
  av::CodecContext codec(avcodec_alloc_context3(x264));
  BOOST_REQUIRE(static_cast<bool>(codec));
  codec->width = 64;
  codec->height = 64;
  codec->pix_fmt = AV_PIX_FMT_YUV420P;
  codec->time_base = AVRational{1, 10};
  codec->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;  // MP4 wants it
  BOOST_REQUIRE(avcodec_open2(codec.get(), x264, nullptr) == 0);
  av::OutputFormat mux;
  BOOST_REQUIRE(avformat_alloc_output_context2(mux.out(), nullptr, "mp4", file.c_str()) >= 0);
  AVStream* stream = avformat_new_stream(mux.get(), nullptr);
  BOOST_REQUIRE(stream != nullptr);
  BOOST_REQUIRE(avcodec_parameters_from_context(stream->codecpar, codec.get()) >= 0);
  stream->time_base = codec->time_base;
  BOOST_REQUIRE(avio_open(&mux->pb, file.c_str(), AVIO_FLAG_WRITE) >= 0);
  BOOST_REQUIRE(avformat_write_header(mux.get(), nullptr) >= 0);
  BOOST_TEST(av_cmp_q(stream->time_base, codec->time_base) != 0);  // the muxer chose its own

  auto packet = value_of(av::make_packet());
  auto frame = value_of(av::make_frame());
  frame->format = AV_PIX_FMT_YUV420P;
  frame->width = 64;
  frame->height = 64;
  BOOST_REQUIRE(av_frame_get_buffer(frame.get(), 0) == 0);
  constexpr int k_frames = 10;
  const av::PacketDuration two_ticks{.ticks = 2, .always = true};
  for (int i = 0; i < k_frames; ++i) {
    BOOST_REQUIRE(av_frame_make_writable(frame.get()) == 0);
    std::memset(frame->data[0], 20 * i, static_cast<std::size_t>(frame->linesize[0]) * 64);
    std::memset(frame->data[1], 128, static_cast<std::size_t>(frame->linesize[1]) * 32);
    std::memset(frame->data[2], 128, static_cast<std::size_t>(frame->linesize[2]) * 32);
    frame->pts = i;
    check(av::encode_and_write(codec.get(), frame.get(), mux.get(), 0, packet.get(), file,
                               two_ticks));
  }
  // libx264 holds frames back (lookahead, B-frames): the flush writes them.
  check(av::encode_and_write(codec.get(), nullptr, mux.get(), 0, packet.get(), file, two_ticks));
  // A flushed encoder takes no more frames.
  auto again = av::encode_and_write(codec.get(), nullptr, mux.get(), 0, packet.get(), file);
  BOOST_REQUIRE(!again);
  BOOST_TEST(again.error().message.starts_with("encode: "));
  BOOST_REQUIRE(av_write_trailer(mux.get()) == 0);
  mux.reset();

  // Read back: every frame at its time, in ticks of 1/10 s; the MP4 keeps the duration of
  // the last packet only (the others' follow from the next dts), so 9 + 2 ticks in all.
  auto input = value_of(av::open_input(file));
  BOOST_REQUIRE(input->nb_streams == 1U);
  const AVRational read_base = input->streams[0]->time_base;
  BOOST_TEST(av_rescale_q(input->streams[0]->duration, read_base, codec->time_base) == 11);
  std::vector<std::int64_t> pts;
  while (av_read_frame(input.get(), packet.get()) >= 0) {
    pts.push_back(av_rescale_q(packet->pts, read_base, codec->time_base));
    av_packet_unref(packet.get());
  }
  std::sort(pts.begin(), pts.end());
  std::vector<std::int64_t> expected(k_frames);
  for (int i = 0; i < k_frames; ++i) expected[i] = i;
  BOOST_TEST(pts == expected, boost::test_tools::per_element());
}
