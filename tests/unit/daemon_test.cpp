// Unit tests for worker/daemon: the event loop with a fake module: ticks,
// readable descriptors, SIGHUP (resync), SIGTERM (stop), and which module errors
// are fatal.
#define BOOST_TEST_MODULE daemon
#include <boost/test/unit_test.hpp>

#include "tests/unit/worker_fixture.hpp"
#include "worker/daemon.hpp"

#include <csignal>

using namespace cctv;
using namespace cctv::test;
using namespace cctv::worker;
using namespace std::chrono_literals;

namespace {

class FakeModule final : public Module {
 public:
  explicit FakeModule(int fd = -1) : m_fd(fd) {}
  [[nodiscard]] std::string_view name() const override { return "fake"; }
  [[nodiscard]] int fd() const override { return m_fd; }
  Result<void> on_readable() override {
    ++readable;
    char c = 0;
    (void)::read(m_fd, &c, 1);
    return {};
  }
  Result<void> tick(UtcMicros now) override {
    ++ticks;
    last_now = now;
    if (tick_error) return fail(*tick_error, "tick failed");
    return {};
  }
  Result<void> resync() override {
    ++resyncs;
    return {};
  }
  void stop() override { ++stops; }
  [[nodiscard]] std::string status() const override { return "fake ok"; }

  int readable = 0;
  int ticks = 0;
  int resyncs = 0;
  int stops = 0;
  UtcMicros last_now = 0;
  std::optional<ErrorKind> tick_error;

 private:
  int m_fd;
};

}  // namespace

BOOST_AUTO_TEST_CASE(ticks_readable_and_status) {
  int pipe_fds[2];
  BOOST_REQUIRE(::pipe(pipe_fds) == 0);
  Notifier notifier;
  auto daemon = value_of(Daemon::create(notifier, [] { return UtcMicros{42}; }));
  FakeModule module(pipe_fds[0]);
  daemon.add(module);
  BOOST_TEST(value_of(daemon.run_once(10ms)));
  BOOST_TEST(module.ticks == 1);
  BOOST_TEST(module.last_now == 42);
  BOOST_TEST(module.readable == 0);
  BOOST_TEST(::write(pipe_fds[1], "x", 1) == 1);
  const auto start = std::chrono::steady_clock::now();
  BOOST_TEST(value_of(daemon.run_once(5000ms)));
  BOOST_TEST(module.readable == 1);
  BOOST_TEST((std::chrono::steady_clock::now() - start < 1s));  // woke up at once
  BOOST_TEST(daemon.status() == "fake ok");
  ::close(pipe_fds[0]);
  ::close(pipe_fds[1]);
}

BOOST_AUTO_TEST_CASE(sighup_resyncs_and_sigterm_stops) {
  Notifier notifier;
  auto daemon = value_of(Daemon::create(notifier));
  FakeModule module;
  daemon.add(module);
  ::raise(SIGHUP);  // blocked: delivered through the signalfd
  BOOST_TEST(value_of(daemon.run_once(1000ms)));
  BOOST_TEST(module.resyncs == 1);
  ::raise(SIGTERM);
  const auto start = std::chrono::steady_clock::now();
  BOOST_TEST(!value_of(daemon.run_once(1000ms)));
  BOOST_TEST((std::chrono::steady_clock::now() - start < 500ms));
  BOOST_TEST(module.stops == 1);
  BOOST_TEST(!value_of(daemon.run_once(10ms)));  // stays stopped
  BOOST_TEST(module.stops == 1);
  ::raise(SIGINT);
  auto again = value_of(Daemon::create(notifier));
  FakeModule other;
  again.add(other);
  check(again.run());  // SIGINT was pending: run() returns
  BOOST_TEST(other.stops == 1);
}

BOOST_AUTO_TEST_CASE(transient_module_errors_are_logged_others_are_fatal) {
  Notifier notifier;
  auto daemon = value_of(Daemon::create(notifier));
  FakeModule module;
  daemon.add(module);
  module.tick_error = ErrorKind::unavailable;
  BOOST_TEST(value_of(daemon.run_once(10ms)));
  module.tick_error = ErrorKind::internal;
  auto result = daemon.run_once(10ms);
  BOOST_REQUIRE(!result);
  BOOST_TEST(result.error().kind == ErrorKind::internal);
  auto ran = daemon.run();
  BOOST_TEST(!ran);
  BOOST_TEST(module.stops == 1);  // run() stops the modules on a fatal error
}

BOOST_AUTO_TEST_CASE(stop_requested_sees_a_pending_sigterm_and_the_loop_still_stops) {
  Notifier notifier;
  auto daemon = value_of(Daemon::create(notifier));
  FakeModule module;
  daemon.add(module);
  BOOST_TEST(!daemon.stop_requested());
  ::raise(SIGTERM);
  BOOST_TEST(daemon.stop_requested());
  BOOST_TEST(daemon.stop_requested());
  BOOST_TEST(!value_of(daemon.run_once(1000ms)));  // the signal was taken early: still stops
  BOOST_TEST(module.stops == 1);
}
