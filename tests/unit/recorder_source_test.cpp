// Unit tests for worker/recorder_source: the deadlines that keep a dead camera from
// blocking (a silent RTSP server, a stalled HTTP camera served by the ffmpeg CLI),
// a stop that interrupts at once, real-time pacing of files, end of stream, and the
// resolution watch.
#define BOOST_TEST_MODULE recorder_source
#include <boost/test/unit_test.hpp>

#include "core/unique_fd.hpp"
#include "tests/unit/recorder_fixture.hpp"
#include "worker/recorder_source.hpp"

#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <thread>

using namespace cctv;
using namespace cctv::test;
using namespace cctv::worker;
using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

namespace {

// A TCP port on loopback that accepts connections (the kernel's backlog) and never
// says a word: a camera that hangs.
class SilentServer {
 public:
  SilentServer() : m_fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof addr;
    if (::bind(m_fd.get(), reinterpret_cast<sockaddr*>(&addr), size) != 0 ||
        ::listen(m_fd.get(), 8) != 0 ||
        ::getsockname(m_fd.get(), reinterpret_cast<sockaddr*>(&addr), &size) != 0) {
      throw std::runtime_error("silent server");
    }
    m_port = ntohs(addr.sin_port);
  }
  [[nodiscard]] int port() const { return m_port; }

 private:
  UniqueFd m_fd;
  int m_port = 0;
};

int free_port() {
  const SilentServer probe;
  return probe.port();
}

// The ffmpeg CLI as a live HTTP camera (PEERS.md: one client, then it exits).
class HttpCamera {
 public:
  explicit HttpCamera(int port) {
    const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/cam.ts";
    m_pid = ::fork();
    if (m_pid == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      ::execlp("ffmpeg", "ffmpeg", "-nostdin", "-v", "quiet", "-re", "-f", "lavfi", "-i",
               "testsrc2=size=320x180:rate=10", "-c:v", "libx264", "-preset", "ultrafast", "-tune",
               "zerolatency", "-g", "10", "-f", "mpegts", "-listen", "1", url.c_str(),
               static_cast<char*>(nullptr));
      ::_exit(127);
    }
  }
  HttpCamera(const HttpCamera&) = delete;
  HttpCamera& operator=(const HttpCamera&) = delete;
  ~HttpCamera() {
    ::kill(m_pid, SIGCONT);
    ::kill(m_pid, SIGKILL);
    ::waitpid(m_pid, nullptr, 0);
  }
  void pause() const { ::kill(m_pid, SIGSTOP); }

 private:
  pid_t m_pid = -1;
};

double since(SteadyClock::time_point start) {
  return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

}  // namespace

BOOST_AUTO_TEST_CASE(opening_a_silent_camera_gives_up_at_the_deadline) {
  const SilentServer server;
  SourceRequest request;
  request.url = "rtsp://admin:pw@127.0.0.1:" + std::to_string(server.port()) + "/cam1";
  request.timeouts.open = 1s;
  const auto start = SteadyClock::now();
  auto source = open_source(request);
  BOOST_TEST_REQUIRE(!source.has_value());
  BOOST_TEST(source.error().kind == ErrorKind::timeout);
  BOOST_TEST(source.error().message == "no stream within 1s");
  BOOST_TEST(since(start) >= 0.9);
  BOOST_TEST(since(start) < 3.0);
}

BOOST_AUTO_TEST_CASE(a_stop_interrupts_a_blocking_open_at_once) {
  const SilentServer server;
  std::atomic<bool> stop{false};
  SourceRequest request;
  request.url = "http://127.0.0.1:" + std::to_string(server.port()) + "/cam.ts";
  request.stop = &stop;
  std::thread stopper([&] {
    std::this_thread::sleep_for(300ms);
    stop = true;
  });
  const auto start = SteadyClock::now();
  auto source = open_source(request);  // 30 s deadline
  stopper.join();
  BOOST_TEST(!source.has_value());
  BOOST_TEST(since(start) < 2.0);
}

BOOST_AUTO_TEST_CASE(a_refused_connection_is_unavailable) {
  SourceRequest request;
  request.url = "rtsp://127.0.0.1:" + std::to_string(free_port()) + "/cam1";
  auto source = open_source(request);
  BOOST_TEST_REQUIRE(!source.has_value());
  BOOST_TEST(source.error().kind == ErrorKind::unavailable);
  BOOST_TEST(source.error().message.find("Connection refused") != std::string::npos,
             source.error().message);
}

BOOST_AUTO_TEST_CASE(a_stalled_http_camera_times_out_after_the_read_deadline) {
  const int port = free_port();
  HttpCamera camera(port);
  SourceRequest request;
  request.url = "http://127.0.0.1:" + std::to_string(port) + "/cam.ts";
  request.timeouts.open = 20s;
  request.timeouts.read = 1s;
  Result<std::unique_ptr<Source>> source = fail(ErrorKind::internal, "not opened");
  for (int i = 0; i < 50 && !source; ++i) {  // until ffmpeg listens
    source = open_source(request);
    if (!source) std::this_thread::sleep_for(100ms);
  }
  BOOST_TEST_REQUIRE(source.has_value(), (source ? "" : source.error().message));
  auto packet = value_of(av::make_packet());
  for (int i = 0; i < 10; ++i) {
    check((*source)->read(*packet.get()));
    av_packet_unref(packet.get());
  }
  camera.pause();  // kill -STOP: the camera hangs
  const auto start = SteadyClock::now();
  Result<void> read;
  while ((read = (*source)->read(*packet.get()))) av_packet_unref(packet.get());  // buffered
  BOOST_TEST(read.error().kind == ErrorKind::timeout);
  BOOST_TEST(read.error().message == "no packet for 1s");
  BOOST_TEST(since(start) < 4.0);
}

BOOST_AUTO_TEST_CASE(a_file_ends_and_is_read_in_real_time_when_asked) {
  SourceRequest request;
  request.url = clip12().string();
  auto fast = value_of(open_source(request));
  auto packet = value_of(av::make_packet());
  int packets = 0;
  Result<void> read;
  while ((read = fast->read(*packet.get()))) {
    ++packets;
    av_packet_unref(packet.get());
  }
  BOOST_TEST(packets > 100);
  BOOST_TEST(read.error().kind == ErrorKind::unavailable);
  BOOST_TEST(read.error().message == "end of stream");

  request.realtime = true;
  auto live = value_of(open_source(request));
  const auto start = SteadyClock::now();
  for (int i = 0; i < 40; ++i) {  // about 1.5 s of video and audio
    check(live->read(*packet.get()));
    av_packet_unref(packet.get());
  }
  BOOST_TEST(since(start) > 1.0);
  BOOST_TEST(since(start) < 3.0);
}

BOOST_AUTO_TEST_CASE(a_size_change_is_seen_on_the_keyframe_that_brings_it) {
  TempDir dir;
  make_clip(dir.path() / "a.ts", 2);
  make_clip(dir.path() / "b.ts", 2, "640x360", "-output_ts_offset 2");
  run("cat '" + (dir.path() / "a.ts").string() + "' '" + (dir.path() / "b.ts").string() + "' > '" +
      (dir.path() / "ab.ts").string() + "'");
  SourceRequest request;
  request.url = (dir.path() / "ab.ts").string();
  auto source = value_of(open_source(request));
  const AVCodecParameters& par = *source->input().streams[0]->codecpar;
  BOOST_TEST_REQUIRE(par.codec_type == AVMEDIA_TYPE_VIDEO);
  SizeWatch watch = value_of(SizeWatch::create(par));
  auto packet = value_of(av::make_packet());
  std::vector<std::string> changes;
  int keyframes = 0;
  while (source->read(*packet.get())) {
    if (packet->stream_index == 0 && (packet->flags & AV_PKT_FLAG_KEY) != 0) {
      ++keyframes;
      if (auto change = watch.changed(*packet.get())) changes.push_back(*change);
    }
    av_packet_unref(packet.get());
  }
  BOOST_TEST(keyframes >= 4);
  BOOST_TEST_REQUIRE(!changes.empty());
  BOOST_TEST(changes.front() == "320x180 to 640x360");
}

BOOST_AUTO_TEST_CASE(urls_and_errors_are_classified) {
  BOOST_TEST(is_file_url("/srv/clip.ts"));
  BOOST_TEST(is_file_url("file:/srv/clip.ts"));
  BOOST_TEST(!is_file_url("rtsp://cam/x"));
  BOOST_TEST(is_unauthorized(av::error_from(AVERROR_HTTP_UNAUTHORIZED, "open")));
  BOOST_TEST(!is_unauthorized(av::error_from(AVERROR_HTTP_FORBIDDEN, "open")));
  BOOST_TEST(!is_unauthorized(Error{ErrorKind::unavailable, "open: Connection refused"}));
}
