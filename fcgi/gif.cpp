#include "fcgi/gif.hpp"

#include "core/av.hpp"
#include "core/picture.hpp"

extern "C" {
#include <libavfilter/avfilter.h>
#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>
#include <libavutil/opt.h>
}

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <utility>

namespace cctv::web {
namespace {

using FilterGraph = av::Handle<AVFilterGraph, avfilter_graph_free>;
using FilterInOut = av::Handle<AVFilterInOut, avfilter_inout_free>;

// The filter graph from decoded frames to palettised ones: fewer frames, smaller,
// one palette fitted to the whole clip.
struct Graph {
  FilterGraph graph;
  AVFilterContext* source = nullptr;  // owned by the graph
  AVFilterContext* sink = nullptr;
};

Result<Graph> make_graph(const AVCodecContext& decoder, AVRational time_base,
                         const GifOptions& options) {
  Graph out;
  out.graph = FilterGraph(avfilter_graph_alloc());
  if (!out.graph) return fail(ErrorKind::internal, "avfilter_graph_alloc: out of memory");
  out.graph->nb_threads = 1;
  const AVRational aspect =
      decoder.sample_aspect_ratio.num > 0 ? decoder.sample_aspect_ratio : AVRational{1, 1};
  char args[256];
  std::snprintf(args, sizeof args, "video_size=%dx%d:pix_fmt=%d:time_base=%d/%d:pixel_aspect=%d/%d",
                decoder.width, decoder.height, static_cast<int>(decoder.pix_fmt), time_base.num,
                time_base.den, aspect.num, aspect.den);
  if (const int rc = avfilter_graph_create_filter(&out.source, avfilter_get_by_name("buffer"), "in",
                                                  args, nullptr, out.graph.get());
      rc < 0) {
    return std::unexpected(av::error_from(rc, "GIF filter source"));
  }
  if (const int rc = avfilter_graph_create_filter(&out.sink, avfilter_get_by_name("buffersink"),
                                                  "out", nullptr, nullptr, out.graph.get());
      rc < 0) {
    return std::unexpected(av::error_from(rc, "GIF filter sink"));
  }
  // The picture as shown (non-square pixels widened), at most options.width wide.
  const double display_width = decoder.width * av_q2d(aspect);
  const int width = std::max(16, std::min(options.width, static_cast<int>(display_width)) & ~1);
  const int height =
      std::max(2, static_cast<int>(std::lround(decoder.height * width / display_width / 2)) * 2);
  const std::string description =
      "fps=" + std::to_string(std::clamp(options.fps, 1, 25)) + ",scale=" + std::to_string(width) +
      ":" + std::to_string(height) +
      ":flags=lanczos,setsar=1,split[a][b];[a]palettegen=stats_mode=full[p];"
      "[b][p]paletteuse=dither=bayer:bayer_scale=4";
  FilterInOut outputs(avfilter_inout_alloc());
  FilterInOut inputs(avfilter_inout_alloc());
  if (!outputs || !inputs) return fail(ErrorKind::internal, "avfilter_inout_alloc: out of memory");
  outputs->name = av_strdup("in");
  outputs->filter_ctx = out.source;
  inputs->name = av_strdup("out");
  inputs->filter_ctx = out.sink;
  if (const int rc = avfilter_graph_parse_ptr(out.graph.get(), description.c_str(), inputs.out(),
                                              outputs.out(), nullptr);
      rc < 0) {
    return std::unexpected(av::error_from(rc, "GIF filter graph"));
  }
  if (const int rc = avfilter_graph_config(out.graph.get(), nullptr); rc < 0) {
    return std::unexpected(av::error_from(rc, "GIF filter graph"));
  }
  return out;
}

// The GIF muxer writing into memory, with its encoder.
struct GifWriter {
  av::OutputFormat format;
  av::CodecContext encoder;
  AVStream* stream = nullptr;
  bool header_written = false;

  Result<void> open(const AVFrame& first, AVRational time_base) {
    const AVCodec* codec = avcodec_find_encoder(AV_CODEC_ID_GIF);
    if (codec == nullptr) return fail(ErrorKind::internal, "no GIF encoder in libavcodec");
    encoder = av::CodecContext(avcodec_alloc_context3(codec));
    if (!encoder) return fail(ErrorKind::internal, "avcodec_alloc_context3: out of memory");
    encoder->width = first.width;
    encoder->height = first.height;
    encoder->pix_fmt = AV_PIX_FMT_PAL8;
    encoder->time_base = time_base;
    if (const int rc = avcodec_open2(encoder.get(), codec, nullptr); rc < 0) {
      return std::unexpected(av::error_from(rc, "open the GIF encoder"));
    }
    if (const int rc = avformat_alloc_output_context2(format.out(), nullptr, "gif", nullptr);
        rc < 0) {
      return std::unexpected(av::error_from(rc, "GIF muxer"));
    }
    stream = avformat_new_stream(format.get(), nullptr);
    if (stream == nullptr) return fail(ErrorKind::internal, "avformat_new_stream: out of memory");
    if (const int rc = avcodec_parameters_from_context(stream->codecpar, encoder.get()); rc < 0) {
      return std::unexpected(av::error_from(rc, "GIF stream parameters"));
    }
    stream->time_base = time_base;
    if (const int rc = avio_open_dyn_buf(&format->pb); rc < 0) {
      return std::unexpected(av::error_from(rc, "GIF buffer"));
    }
    if (const int rc = avformat_write_header(format.get(), nullptr); rc < 0) {
      return std::unexpected(av::error_from(rc, "GIF header"));
    }
    header_written = true;
    return {};
  }

  // Sends `frame` (nullptr: the end) and writes what the encoder gives back.
  Result<void> encode(const AVFrame* frame) {
    if (const int rc = avcodec_send_frame(encoder.get(), frame); rc < 0) {
      return std::unexpected(av::error_from(rc, "encode GIF"));
    }
    auto packet = av::make_packet();
    if (!packet) return std::unexpected(packet.error());
    for (;;) {
      const int rc = avcodec_receive_packet(encoder.get(), packet->get());
      if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return {};
      if (rc < 0) return std::unexpected(av::error_from(rc, "encode GIF"));
      packet->get()->stream_index = stream->index;
      av_packet_rescale_ts(packet->get(), encoder->time_base, stream->time_base);
      if (const int written = av_interleaved_write_frame(format.get(), packet->get());
          written < 0) {
        return std::unexpected(av::error_from(written, "write GIF"));
      }
    }
  }

  Result<std::string> finish() {
    if (const int rc = av_write_trailer(format.get()); rc < 0) {
      return std::unexpected(av::error_from(rc, "GIF trailer"));
    }
    std::uint8_t* buffer = nullptr;
    const int size = avio_close_dyn_buf(format->pb, &buffer);
    format->pb = nullptr;
    std::string bytes(reinterpret_cast<const char*>(buffer), static_cast<std::size_t>(size));
    av_free(buffer);
    return bytes;
  }

  GifWriter() = default;
  GifWriter(const GifWriter&) = delete;
  GifWriter& operator=(const GifWriter&) = delete;
  GifWriter(GifWriter&&) = delete;
  GifWriter& operator=(GifWriter&&) = delete;
  ~GifWriter() {
    if (format && format->pb != nullptr) {  // a failure before finish(): free the buffer
      std::uint8_t* buffer = nullptr;
      (void)avio_close_dyn_buf(format->pb, &buffer);
      av_free(buffer);
      format->pb = nullptr;
    }
  }
};

}  // namespace

Result<std::string> mp4_to_gif(std::string mp4, const GifOptions& options, GifStats* stats) {
  auto input = av::MemoryInput::open(std::move(mp4), "moment MP4");
  if (!input) return std::unexpected(input.error());
  const int index = av_find_best_stream(input->get(), AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  if (index < 0) return fail(ErrorKind::data_loss, "moment MP4: no video stream");
  const AVStream& stream = *input->get()->streams[index];
  auto decoder = av::open_decoder(stream, 0);
  if (!decoder) return std::unexpected(decoder.error());
  auto graph = make_graph(*decoder->get(), stream.time_base, options);
  if (!graph) return std::unexpected(graph.error());

  auto packet = av::make_packet();
  auto frame = av::make_frame();
  auto filtered = av::make_frame();
  if (!packet || !frame || !filtered) return fail(ErrorKind::internal, "out of memory");
  // The export's timeline starts at `from` (0); its pre-roll from the keyframe before
  // `from` has negative timestamps (an edit list hides it from players).
  const auto skip_before = static_cast<std::int64_t>(options.start_s / av_q2d(stream.time_base));
  GifWriter writer;
  GifStats counted;

  // Frames out of the graph into the GIF; the palette pass gives them only at the end.
  auto drain = [&]() -> Result<void> {
    for (;;) {
      const int rc = av_buffersink_get_frame(graph->sink, filtered->get());
      if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return {};
      if (rc < 0) return std::unexpected(av::error_from(rc, "GIF filter"));
      if (!writer.header_written) {
        CCTV_TRY(writer.open(*filtered->get(), av_buffersink_get_time_base(graph->sink)));
        counted.width = filtered->get()->width;
        counted.height = filtered->get()->height;
      }
      ++counted.frames;
      auto encoded = writer.encode(filtered->get());
      av_frame_unref(filtered->get());
      CCTV_TRY(encoded);
    }
  };
  // Decoded frames into the graph.
  auto feed = [&]() -> Result<void> {
    for (;;) {
      const int rc = avcodec_receive_frame(decoder->get(), frame->get());
      if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return {};
      if (rc < 0) return std::unexpected(av::error_from(rc, "decode the moment"));
      AVFrame* f = frame->get();
      f->pts = f->best_effort_timestamp;
      if (f->pts != AV_NOPTS_VALUE && f->pts >= skip_before) {
        if (const int added = av_buffersrc_add_frame_flags(graph->source, f, 0); added < 0) {
          return std::unexpected(av::error_from(added, "GIF filter"));
        }
        CCTV_TRY(drain());
      }
      av_frame_unref(f);
    }
  };
  for (;;) {
    const int rc = av_read_frame(input->get(), packet->get());
    if (rc < 0) break;
    if (packet->get()->stream_index == index) {
      const int sent = avcodec_send_packet(decoder->get(), packet->get());
      av_packet_unref(packet->get());
      if (sent < 0 && sent != AVERROR_INVALIDDATA) {
        return std::unexpected(av::error_from(sent, "decode the moment"));
      }
      CCTV_TRY(feed());
    } else {
      av_packet_unref(packet->get());
    }
  }
  (void)avcodec_send_packet(decoder->get(), nullptr);
  CCTV_TRY(feed());
  if (const int rc = av_buffersrc_add_frame_flags(graph->source, nullptr, 0); rc < 0) {
    return std::unexpected(av::error_from(rc, "GIF filter"));
  }
  CCTV_TRY(drain());
  if (!writer.header_written) return fail(ErrorKind::data_loss, "moment MP4: no picture decoded");
  CCTV_TRY(writer.encode(nullptr));
  auto bytes = writer.finish();
  if (bytes && stats != nullptr) *stats = counted;
  return bytes;
}

}  // namespace cctv::web
