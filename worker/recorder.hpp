// One camera's recorder: a thread that opens the camera's stream
// (worker/recorder_source.hpp), remuxes it into segments (recorder_writer.hpp) cut
// where recorder_segmenter.hpp says, records each closed segment in the catalog over
// its own SQLite connection, and reconnects with backoff (recorder_backoff.hpp) when
// the camera refuses, drops, stalls, sends garbage or changes resolution. Nothing that
// happens to one camera reaches another camera or the daemon.
#pragma once

#include "core/catalog.hpp"
#include "core/config.hpp"
#include "worker/clock.hpp"
#include "worker/indexer.hpp"
#include "worker/recorder_backoff.hpp"
#include "worker/recorder_segmenter.hpp"
#include "worker/recorder_source.hpp"
#include "worker/recorder_status.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace cctv::worker {

struct RecorderOptions {
  SourceTimeouts timeouts;  // 30 s to open, 5 s without a packet
  std::chrono::milliseconds backoff_first{1000};
  std::chrono::milliseconds backoff_max{60000};
  double backoff_jitter = 0.2;
  std::chrono::seconds good_after{60};    // this long recording resets the backoff
  std::chrono::seconds status_every{10};  // camera_status while recording
};

struct RecorderSeams {
  Clock clock = system_now;  // the wall clock (UTC): segment times and names
  SourceOpener opener = open_source;
  // Waits `delay` unless the recorder is stopped first; false when stopped.
  // Empty: a condition variable that request_stop() wakes.
  std::function<bool(std::chrono::milliseconds)> sleep;
  std::function<double()> random;  // uniform in [0, 1) for the jitter; empty: a PRNG
};

class Recorder {
 public:
  Recorder(CameraConfig config, Camera camera, std::filesystem::path catalog_path,
           RecorderOptions options = {}, RecorderSeams seams = {});
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;
  ~Recorder();  // stops and joins

  void start();         // runs run() on the recorder's own thread
  void request_stop();  // the open segment is closed properly, then run() returns
  void join();
  void run();  // the recorder's loop, until stopped

  [[nodiscard]] CameraStatus status() const { return m_board.snapshot(); }
  [[nodiscard]] const std::string& name() const { return m_camera.name; }

 private:
  struct Session;

  [[nodiscard]] bool stopping() const { return m_stop.load(); }
  [[nodiscard]] std::string cam() const { return "cam=" + m_camera.name; }
  Error session();
  Result<void> on_packet(Session& s, AVPacket& packet);
  void open_segment(Session& s, std::int64_t origin_us, UtcMicros wall);
  void close_segment(Session& s, std::optional<std::int64_t> next_ts_us);
  // Puts the segment into the catalog; false when it is not there (the watcher then
  // indexes it when it sees the file).
  bool record(const Segment& segment);
  void disk_error(Session& s, const Error& error);
  void check_config(const AVFormatContext& input, int video);
  void set_state(CameraState state, std::string_view error);
  void report(bool force);
  Catalog* catalog();

  CameraConfig m_config;
  Camera m_camera;
  std::filesystem::path m_catalog_path;
  RecorderOptions m_options;
  RecorderSeams m_seams;
  std::string m_url;  // secret: log::redact_url
  Segmenter m_segmenter;
  StatusBoard m_board;
  Backoff m_backoff;
  Backoff m_disk_backoff;
  std::optional<Catalog> m_catalog;  // this thread's own connection
  UtcMicros m_catalog_retry = 0;
  UtcMicros m_next_report = 0;
  UtcMicros m_write_retry = 0;  // after a disk error, no new segment before this
  std::optional<UtcMicros> m_recording_since;
  std::string m_logged_mismatch;

  std::atomic<bool> m_stop{false};
  std::mutex m_mutex;
  std::condition_variable m_wake;
  std::thread m_thread;
};

}  // namespace cctv::worker
