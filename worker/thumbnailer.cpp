#include "worker/thumbnailer.hpp"

#include "core/av.hpp"
#include "core/layout.hpp"
#include "core/picture.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <utility>

namespace cctv::worker {
namespace {

namespace fs = std::filesystem;

// Decodes the first keyframe of the best video stream of an opened input.
Result<std::string> thumbnail_of(AVFormatContext* input, const ThumbnailOptions& options) {
  const int index = av_find_best_stream(input, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  if (index < 0) return fail(ErrorKind::data_loss, "no video stream");
  auto opened = av::open_decoder(*input->streams[index]);
  if (!opened) return std::unexpected(opened.error());
  av::CodecContext decoder = std::move(*opened);
  auto packet = av::make_packet();
  if (!packet) return std::unexpected(packet.error());
  auto frame = av::make_frame();
  if (!frame) return std::unexpected(frame.error());

  bool keyframe_seen = false;
  int packets = 0;
  std::string problem = "no keyframe";
  auto got_frame = [&]() -> bool {
    const int rc = avcodec_receive_frame(decoder.get(), frame->get());
    if (rc >= 0) return true;
    if (rc != AVERROR(EAGAIN) && rc != AVERROR_EOF) problem = av::error_string(rc);
    return false;
  };
  auto to_jpeg = [&]() -> Result<std::string> {
    auto scaled = av::scale_frame(*frame->get(), options.width);
    if (!scaled) return std::unexpected(scaled.error());
    return av::encode_jpeg(*scaled->get(), options.quality);
  };
  for (;;) {
    const int rc = av_read_frame(input, packet->get());
    if (rc < 0) {
      if (rc != AVERROR_EOF) problem = av::error_string(rc);
      break;
    }
    AVPacket* pkt = packet->get();
    const bool take =
        pkt->stream_index == index && (keyframe_seen || (pkt->flags & AV_PKT_FLAG_KEY) != 0);
    if (pkt->stream_index == index && ++packets > options.max_packets) {
      av_packet_unref(pkt);
      break;
    }
    if (take) {
      keyframe_seen = true;
      const int sent = avcodec_send_packet(decoder.get(), pkt);
      if (sent < 0 && sent != AVERROR(EAGAIN)) problem = av::error_string(sent);
    }
    av_packet_unref(pkt);
    if (take && got_frame()) return to_jpeg();
  }
  if (keyframe_seen && avcodec_send_packet(decoder.get(), nullptr) >= 0 && got_frame()) {
    return to_jpeg();
  }
  return fail(ErrorKind::data_loss, "no decodable keyframe (" + problem + ")");
}

// Reads `length` bytes at `offset` of `file` onto the end of `out`.
Result<void> read_range(std::ifstream& file, std::int64_t offset, std::int64_t length,
                        std::string& out) {
  const std::size_t at = out.size();
  out.resize(at + static_cast<std::size_t>(length));
  file.seekg(offset);
  file.read(out.data() + at, static_cast<std::streamsize>(length));
  if (file.gcount() != static_cast<std::streamsize>(length)) {
    return fail(ErrorKind::data_loss, "short read at " + std::to_string(offset));
  }
  return {};
}

}  // namespace

std::string thumbnail_name(std::string_view segment_name) {
  if (!parse_segment_name(segment_name)) return {};
  segment_name.remove_suffix(3);  // ".ts"
  return std::string(segment_name) + ".jpg";
}

std::string thumbnail_name_at(int seconds_of_day) {
  std::string name = segment_name(seconds_of_day);
  name.resize(name.size() - 3);
  return name + ".jpg";
}

fs::path thumbnail_path(const fs::path& day_dir, std::string_view name) {
  return day_dir / k_thumbs_dir / name;
}

Result<std::string> make_thumbnail(const fs::path& file, const ThumbnailOptions& options) {
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) {
    return fail(ErrorKind::not_found, file.string() + ": no such file");
  }
  auto input = av::open_input(file.string());
  if (!input) {
    Error error = input.error().context(file.string());
    error.kind = ErrorKind::data_loss;
    return std::unexpected(std::move(error));
  }
  auto jpeg = thumbnail_of(input->get(), options);
  if (!jpeg) return std::unexpected(jpeg.error().context(file.string()));
  return jpeg;
}

Result<std::string> make_fragment_thumbnail(const fs::path& file, const FragmentRange& range,
                                            const ThumbnailOptions& options) {
  if (range.init_size <= 0 || range.length <= 0 || range.offset < range.init_size) {
    return fail(ErrorKind::invalid_argument, "bad fragment range");
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::unexpected(errno_error("open " + file.string()));
  std::string data;
  for (const auto& [offset, length] :
       {std::pair{std::int64_t{0}, range.init_size}, std::pair{range.offset, range.length}}) {
    if (auto read = read_range(in, offset, length, data); !read) {
      return std::unexpected(read.error().context(file.string()));
    }
  }
  auto input = av::MemoryInput::open(
      std::move(data), file.string() + " fragment at " + std::to_string(range.offset));
  if (!input) return std::unexpected(input.error());
  auto jpeg = thumbnail_of(input->get(), options);
  if (!jpeg) return std::unexpected(jpeg.error().context(file.string()));
  return jpeg;
}

}  // namespace cctv::worker
