// Unit tests for worker/app: exit codes of the program (run() in process), and
// the daemon as systemd sees it: the real binary with a NOTIFY_SOCKET, READY=1
// after the first reindex, a segment indexed while it runs, STOPPING=1 and exit 0
// promptly on SIGTERM.
#define BOOST_TEST_MODULE app
#include <boost/test/unit_test.hpp>

#include "tests/unit/notify_socket.hpp"
#include "tests/unit/worker_fixture.hpp"
#include "worker/app.hpp"

#include <fcntl.h>
#include <sys/wait.h>

#include <csignal>
#include <thread>

using namespace cctv;
using namespace cctv::test;
using namespace std::chrono_literals;

namespace {

int run_args(const std::vector<std::string>& args) {
  std::string program = "cctv-worker";
  std::vector<std::string> copies = args;
  std::vector<char*> argv{program.data()};
  for (auto& a : copies) argv.push_back(a.data());
  argv.push_back(nullptr);
  return worker::run(static_cast<int>(argv.size() - 1), argv.data());
}

struct Setup {
  TempDir dir;
  fs::path root = dir.path() / "archive";
  fs::path catalog = dir.path() / "lib" / "catalog.sqlite";
  fs::path config = dir.path() / "config.json";
  Setup() {
    copy_sample(root / "front" / "2026-11-20" / "video_101500.ts");
    write_file(config, R"({"storageConfig": {"savePath": ")" + root.string() +
                           R"(", "catalogPath": ")" + catalog.string() +
                           R"("}, "timeZone": "Europe/Berlin"})");
  }
};

}  // namespace

BOOST_AUTO_TEST_CASE(exit_codes) {
  Setup s;
  BOOST_TEST(run_args({"--help"}) == 0);
  BOOST_TEST(run_args({"--bogus"}) == 2);
  BOOST_TEST(run_args({"--log-level", "loud"}) == 2);
  BOOST_TEST(run_args({"--config", s.config.string(), "--check-config"}) == 0);
  BOOST_TEST(run_args({"--config", (s.dir.path() / "missing.json").string(), "--check-config"}) ==
             1);
  BOOST_TEST(run_args({"--config", (s.dir.path() / "missing.json").string()}) == 1);
  ::setenv("CCTV_CONFIG", s.config.c_str(), 1);
  BOOST_TEST(run_args({"--check-config"}) == 0);
  ::unsetenv("CCTV_CONFIG");
}

BOOST_AUTO_TEST_CASE(reindex_rebuilds_the_catalog_and_exits) {
  Setup s;
  BOOST_TEST(run_args({"--config", s.config.string(), "--reindex", "--log-level", "warning"}) == 0);
  auto catalog = value_of(Catalog::open_read_only(s.catalog));
  const auto front = value_of(catalog.find_camera("front"));
  BOOST_REQUIRE(front);
  BOOST_TEST(front->time_zone == "Europe/Berlin");
  BOOST_TEST(value_of(catalog.segments(front->id, Date{2026, 11, 20})).size() == 1U);
}

BOOST_AUTO_TEST_CASE(daemon_notifies_systemd_indexes_and_stops_on_sigterm) {
  Setup s;
  NotifySocket notify(s.dir.path() / "notify");
  const auto log_file = s.dir.path() / "worker.log";
  ::setenv("WATCHDOG_USEC", "400000", 1);  // for the child: keepalives every 200 ms
  const pid_t pid = ::fork();
  BOOST_REQUIRE(pid >= 0);
  if (pid == 0) {
    const int fd = ::open(log_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    ::execl(CCTV_WORKER_BINARY, "cctv-worker", "--config", s.config.c_str(), "--log-level", "debug",
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::unsetenv("WATCHDOG_USEC");
  BOOST_TEST(notify.wait_for("READY=1\nSTATUS=watching 1 cameras, 1 segments", 10s));
  BOOST_TEST(notify.wait_for("WATCHDOG=1", 1s));
  copy_sample(s.root / "front" / "2026-11-20" / "video_101502.ts");
  auto catalog = value_of(Catalog::open_read_only(s.catalog));
  const auto start = std::chrono::steady_clock::now();
  for (;;) {
    const auto front = value_of(catalog.find_camera("front"));
    if (front && value_of(catalog.segments(front->id, Date{2026, 11, 20})).size() == 2U) break;
    BOOST_REQUIRE(std::chrono::steady_clock::now() - start < 1s);
    std::this_thread::sleep_for(10ms);
  }
  BOOST_TEST(::kill(pid, SIGTERM) == 0);
  BOOST_TEST(notify.wait_for("STOPPING=1", 2s));
  int status = -1;
  for (int i = 0; i < 200 && ::waitpid(pid, &status, WNOHANG) == 0; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  BOOST_TEST(WIFEXITED(status));
  BOOST_TEST(WEXITSTATUS(status) == 0);
  std::ifstream in(log_file);
  std::ostringstream text;
  text << in.rdbuf();
  BOOST_TEST(text.str().find("<7>cam=front indexed 2026-11-20/video_101502.ts") !=
             std::string::npos);
  BOOST_TEST_MESSAGE(text.str());
}
