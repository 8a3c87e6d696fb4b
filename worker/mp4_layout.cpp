#include "worker/mp4_layout.hpp"

#include "core/av.hpp"

#include <algorithm>
#include <array>
#include <fstream>
#include <system_error>

namespace cctv::worker {
namespace {

constexpr AVRational k_micros{1, 1'000'000};

std::uint64_t read_be(const unsigned char* bytes, int count) {
  std::uint64_t value = 0;
  for (int i = 0; i < count; ++i) value = (value << 8U) | bytes[i];  // NOLINT
  return value;
}

}  // namespace

Result<std::vector<Mp4Box>> read_top_level_boxes(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return fail(ErrorKind::not_found, "cannot read " + file.string());
  std::error_code ec;
  const auto total = static_cast<std::int64_t>(std::filesystem::file_size(file, ec));
  if (ec) return fail(ErrorKind::unavailable, file.string() + ": " + ec.message());
  std::vector<Mp4Box> boxes;
  std::int64_t offset = 0;
  while (offset < total) {
    std::array<unsigned char, 16> header{};
    in.seekg(offset);
    in.read(reinterpret_cast<char*>(header.data()), 8);  // NOLINT
    if (in.gcount() != 8) return fail(ErrorKind::data_loss, file.string() + ": truncated box");
    std::int64_t size = static_cast<std::int64_t>(read_be(header.data(), 4));
    std::string type(reinterpret_cast<const char*>(header.data() + 4), 4);  // NOLINT
    if (size == 1) {
      in.read(reinterpret_cast<char*>(header.data() + 8), 8);  // NOLINT
      if (in.gcount() != 8) return fail(ErrorKind::data_loss, file.string() + ": truncated box");
      size = static_cast<std::int64_t>(read_be(header.data() + 8, 8));  // NOLINT
    } else if (size == 0) {
      size = total - offset;
    }
    if (size < 8 || offset + size > total) {
      return fail(ErrorKind::data_loss, file.string() + ": box " + type + " at " +
                                            std::to_string(offset) + " overruns the file");
    }
    boxes.push_back(Mp4Box{std::move(type), offset, size});
    offset += size;
  }
  return boxes;
}

Result<ConvertedDay> layout_of(const std::filesystem::path& file) {
  auto boxes = read_top_level_boxes(file);
  if (!boxes) return std::unexpected(boxes.error());
  ConvertedDay day;
  day.file_name = file.filename().string();
  std::error_code ec;
  day.file_size_bytes = static_cast<std::int64_t>(std::filesystem::file_size(file, ec));
  bool seen_moov = false;
  for (std::size_t i = 0; i < boxes->size(); ++i) {
    const Mp4Box& box = (*boxes)[i];
    if (box.type == "moov") seen_moov = true;
    if (box.type != "moof") continue;
    if (day.fragments.empty()) day.init_size_bytes = box.offset;
    if (i + 1 >= boxes->size() || (*boxes)[i + 1].type != "mdat") {
      return fail(ErrorKind::data_loss, file.string() + ": moof without mdat");
    }
    day.fragments.push_back(Fragment{box.offset, box.size + (*boxes)[i + 1].size, 0, 0});
  }
  if (!seen_moov || day.fragments.empty()) {
    return fail(ErrorKind::data_loss, file.string() + ": not a fragmented MP4");
  }
  return day;
}

Result<void> time_fragments(const std::filesystem::path& file, UtcMicros day_start_us,
                            ConvertedDay& day) {
  auto input = av::open_input(file.string());
  if (!input) return std::unexpected(input.error().context(file.string()));
  const int video = av_find_best_stream(input->get(), AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  if (video < 0) return fail(ErrorKind::data_loss, file.string() + ": no video stream");
  AVStream* stream = (*input)->streams[video];
  auto packet = av::make_packet();
  if (!packet) return std::unexpected(packet.error());
  std::vector<std::int64_t> starts;
  std::vector<std::int64_t> lengths;  // the sum of each fragment's frame durations
  std::int64_t end = 0;
  for (;;) {
    const int rc = av_read_frame(input->get(), packet->get());
    if (rc == AVERROR_EOF) break;
    if (rc < 0) return std::unexpected(av::error_from(rc, "read " + file.string()));
    AVPacket* p = packet->get();
    if (p->stream_index == video && p->pts != AV_NOPTS_VALUE) {
      const std::int64_t pts = av_rescale_q(p->pts, stream->time_base, k_micros);
      const std::int64_t dur = av_rescale_q(p->duration, stream->time_base, k_micros);
      if ((p->flags & AV_PKT_FLAG_KEY) != 0 || starts.empty()) {
        starts.push_back(pts);
        lengths.push_back(0);
      }
      lengths.back() += dur;
      end = std::max(end, pts + dur);
    }
    av_packet_unref(p);
  }
  if (starts.size() != day.fragments.size()) {
    return fail(ErrorKind::data_loss, file.string() + ": " + std::to_string(starts.size()) +
                                          " keyframes for " + std::to_string(day.fragments.size()) +
                                          " fragments");
  }
  for (std::size_t i = 0; i < starts.size(); ++i) {
    const std::int64_t next = i + 1 < starts.size() ? starts[i + 1] : end;
    // The first frame went in at the day's start; the muxer may shift the whole file
    // by the encoder's reordering delay (no edit list in a fragmented MP4).
    day.fragments[i].start_us = day_start_us + (starts[i] - starts.front());
    // Up to the next fragment, or less where a skipped segment left a hole.
    day.fragments[i].duration_us = std::min(next - starts[i], lengths[i]);
  }
  if (stream->codecpar->width > 0) {
    day.codec = "hevc " + std::to_string(stream->codecpar->width) + "x" +
                std::to_string(stream->codecpar->height);
  }
  return {};
}

}  // namespace cctv::worker
