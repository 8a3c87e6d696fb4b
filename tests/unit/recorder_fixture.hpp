// Shared helpers of the recorder's unit tests: a fake wall clock, a file that plays
// like a live camera (the fake clock follows its video timestamps, so a 12 s
// recording takes milliseconds), faults on cue, and stderr captured to check the
// log lines.
#pragma once

#include "core/av.hpp"
#include "tests/unit/printers.hpp"
#include "tests/unit/worker_fixture.hpp"
#include "worker/indexer.hpp"
#include "worker/recorder.hpp"
#include "worker/recorder_source.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <optional>
#include <vector>

namespace cctv::test {

constexpr std::int64_t k_s = k_micros_per_second;

class FakeClock {
 public:
  explicit FakeClock(UtcMicros now) : m_now(now) {}
  [[nodiscard]] UtcMicros now() const { return m_now.load(); }
  void set(UtcMicros now) { m_now = now; }
  void advance(std::int64_t us) { m_now += us; }
  worker::Clock clock() {
    return [this] { return now(); };
  }

 private:
  std::atomic<UtcMicros> m_now;
};

// A source that ends the stream with an error when `fault(packet number)` says so,
// and moves the fake clock along with the video timestamps.
class LiveSource final : public worker::Source {
 public:
  using Fault = std::function<std::optional<Error>(int packet)>;
  // How far the clock lags the stream at a stream time (from the first video packet):
  // a lag that grows means packets that arrive in a burst, earlier than the first ones.
  using Lag = std::function<std::int64_t(std::int64_t stream_us)>;
  LiveSource(std::unique_ptr<worker::Source> inner, FakeClock& clock, Fault fault, Lag lag = {})
      : m_inner(std::move(inner)),
        m_clock(clock),
        m_fault(std::move(fault)),
        m_lag(std::move(lag)),
        m_t0(clock.now()) {}

  [[nodiscard]] const AVFormatContext& input() const override { return m_inner->input(); }

  Result<void> read(AVPacket& packet) override {
    if (m_fault) {
      if (auto error = m_fault(m_count)) return std::unexpected(*error);
    }
    ++m_count;
    CCTV_TRY(m_inner->read(packet));
    const AVStream* stream = input().streams[packet.stream_index];
    const std::int64_t ts = packet.pts != AV_NOPTS_VALUE ? packet.pts : packet.dts;
    if (stream->codecpar->codec_type == AVMEDIA_TYPE_VIDEO && ts != AV_NOPTS_VALUE) {
      const std::int64_t us = av_rescale_q(ts, stream->time_base, AVRational{1, 1'000'000});
      if (!m_first) m_first = us;
      const std::int64_t since_first = us - *m_first;
      m_clock.set(std::max(m_clock.now(), m_t0 + since_first - (m_lag ? m_lag(since_first) : 0)));
    }
    return {};
  }

 private:
  std::unique_ptr<worker::Source> m_inner;
  FakeClock& m_clock;
  Fault m_fault;
  Lag m_lag;
  UtcMicros m_t0;
  std::optional<std::int64_t> m_first;
  int m_count = 0;
};

// A camera made of a file: every open plays it from the start "live".
struct LiveCamera {
  LiveCamera(FakeClock& c, fs::path f) : clock(c), file(std::move(f)) {}
  FakeClock& clock;
  fs::path file;
  // An error for open attempt n (from 0) instead of a stream.
  std::function<std::optional<Error>(int open)> refuse;
  // An error before packet p of open n.
  std::function<std::optional<Error>(int open, int packet)> fault;
  LiveSource::Lag lag;
  int opens = 0;
  std::vector<std::string> urls;

  worker::SourceOpener opener() {
    return [this](const worker::SourceRequest& request) -> Result<std::unique_ptr<worker::Source>> {
      const int n = opens++;
      urls.push_back(request.url);
      if (refuse) {
        if (auto error = refuse(n)) return std::unexpected(*error);
      }
      worker::SourceRequest file_request = request;
      file_request.url = file.string();
      file_request.realtime = false;
      auto inner = worker::open_source(file_request);
      if (!inner) return std::unexpected(inner.error());
      LiveSource::Fault packet_fault;
      if (fault) packet_fault = [this, n](int p) { return fault(n, p); };
      return std::unique_ptr<worker::Source>(
          std::make_unique<LiveSource>(std::move(*inner), clock, std::move(packet_fault), lag));
    };
  }
};

// Sleeps that take no time: they are recorded, move the fake clock, and answer
// "stopped" once `allowed` sleeps have been taken.
struct Sleeps {
  explicit Sleeps(FakeClock& c) : clock(c) {}
  FakeClock& clock;
  int allowed = 0;
  std::vector<long> delays_ms;
  std::function<bool(std::chrono::milliseconds)> seam() {
    return [this](std::chrono::milliseconds delay) {
      delays_ms.push_back(static_cast<long>(delay.count()));
      clock.advance(delay.count() * 1000);
      return static_cast<int>(delays_ms.size()) <= allowed;
    };
  }
};

// Everything written to stderr (the log) while it lives.
class CapturedLog {
 public:
  CapturedLog() : m_path(m_dir.path() / "stderr.log") {
    (void)std::fflush(stderr);
    m_saved = ::dup(2);
    const int fd = ::open(m_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    ::dup2(fd, 2);
    ::close(fd);
  }
  CapturedLog(const CapturedLog&) = delete;
  CapturedLog& operator=(const CapturedLog&) = delete;
  ~CapturedLog() { restore(); }

  std::string text() {
    (void)std::fflush(stderr);
    std::ifstream in(m_path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  }
  // Restores stderr and echoes what was captured (so failing tests show it).
  std::string restore() {
    if (m_saved < 0) return m_text;
    m_text = text();
    ::dup2(m_saved, 2);
    ::close(m_saved);
    m_saved = -1;
    (void)std::fputs(m_text.c_str(), stderr);
    return m_text;
  }

 private:
  TempDir m_dir;
  fs::path m_path;
  int m_saved = -1;
  std::string m_text;
};

inline std::size_t count_of(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// An archive, a catalog and one configured camera, as the daemon would have them.
struct RecorderSetup {
  TempDir dir;
  fs::path root = dir.path() / "archive";
  fs::path catalog_path = dir.path() / "catalog.sqlite";
  Catalog catalog = open_catalog(catalog_path);
  CameraConfig cam;

  explicit RecorderSetup(int segment_seconds = 2, std::string zone = "UTC",
                         std::string url = "rtsp://admin:hunter2@127.0.0.1:8554/cam1") {
    fs::create_directories(root);
    cam.name = "front";
    cam.directory = "front";
    cam.url = std::move(url);
    cam.segment_seconds = segment_seconds;
    cam.time_zone = std::move(zone);
  }

  [[nodiscard]] Config config() const {
    Config config = make_config(root, catalog_path, cam.time_zone);
    config.cameras = {cam};
    return config;
  }

  worker::Camera camera() {
    worker::Indexer indexer(config(), catalog);
    check(drop(indexer.load_cameras()));
    return indexer.cameras().at(0);
  }

  fs::path day(const std::string& date) const { return root / cam.directory / date; }

  std::vector<Segment> segments(const std::string& date) {
    auto id = value_of(catalog.find_camera(cam.name));
    if (!id) return {};
    return value_of(catalog.segments(id->id, *parse_date(date)));
  }

 private:
  template <typename T>
  static Result<void> drop(const Result<T>& r) {
    if (!r) return std::unexpected(r.error());
    return {};
  }
};

// Files in a directory (names), sorted.
inline std::vector<std::string> files_in(const fs::path& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// A clip with video (10 fps, a keyframe every second) and AAC audio.
inline void make_clip(const fs::path& path, double seconds, const std::string& size = "320x180",
                      const std::string& extra = "") {
  fs::create_directories(path.parent_path());
  run("ffmpeg -nostdin -v error -y -f lavfi -i testsrc2=size=" + size +
      ":rate=10 -f lavfi -i sine=frequency=440:sample_rate=16000 -t " + std::to_string(seconds) +
      " -c:v libx264 -preset ultrafast -g 10 -pix_fmt yuv420p -c:a aac " + extra + " -f mpegts '" +
      path.string() + "'");
}

// A 12 s clip made once per test program.
inline const fs::path& clip12() {
  static TempDir dir;
  static const fs::path path = [] {
    const fs::path p = dir.path() / "clip12.ts";
    make_clip(p, 12);
    return p;
  }();
  return path;
}

// The codec types of a file's streams, "video,audio".
inline std::string ffprobe_streams(const fs::path& path) {
  std::istringstream lines(
      run("ffprobe -v error -show_entries stream=codec_type -of csv=p=0 '" + path.string() + "'"));
  std::string out;
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty()) break;  // then the programs list them again
    out += (out.empty() ? "" : ",") + line;
  }
  return out;
}

}  // namespace cctv::test
