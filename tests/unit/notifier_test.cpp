// Unit tests for worker/notifier: the sd_notify messages, received on a socket
// of our own like systemd would, and the watchdog at half of WATCHDOG_USEC.
#define BOOST_TEST_MODULE notifier
#include <boost/test/unit_test.hpp>

#include "tests/unit/notify_socket.hpp"
#include "tests/unit/worker_fixture.hpp"
#include "worker/notifier.hpp"

#include <thread>

using namespace cctv;
using namespace cctv::test;
using namespace cctv::worker;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_CASE(ready_status_and_stopping) {
  TempDir dir;
  NotifySocket socket(dir.path() / "notify");
  ::unsetenv("WATCHDOG_USEC");
  Notifier notifier;
  BOOST_TEST(!notifier.period());
  notifier.keepalive();  // starting: asks for more time
  BOOST_TEST(socket.next(1s).value_or("") == "EXTEND_TIMEOUT_USEC=90000000");
  notifier.ready("watching 1 cameras, 3 segments");
  BOOST_TEST(socket.next(1s).value_or("") == "READY=1\nSTATUS=watching 1 cameras, 3 segments");
  notifier.status("watching 1 cameras, 3 segments");  // unchanged: not sent again
  notifier.status("watching 1 cameras, 4 segments");
  BOOST_TEST(socket.next(1s).value_or("") == "STATUS=watching 1 cameras, 4 segments");
  notifier.keepalive();  // ready, no watchdog: nothing
  BOOST_TEST(!socket.next(50ms));
  notifier.stopping();
  BOOST_TEST(socket.next(1s).value_or("") == "STOPPING=1\nSTATUS=stopping");
}

BOOST_AUTO_TEST_CASE(watchdog_keepalive_at_half_the_period) {
  TempDir dir;
  NotifySocket socket(dir.path() / "notify");
  ::setenv("WATCHDOG_USEC", "200000", 1);
  ::unsetenv("WATCHDOG_PID");
  Notifier notifier;
  ::unsetenv("WATCHDOG_USEC");
  BOOST_TEST(notifier.period().value_or(0ms).count() == 100);
  notifier.ready("ok");
  BOOST_TEST(socket.next(1s).value_or("") == "READY=1\nSTATUS=ok");
  notifier.keepalive();  // too early
  BOOST_TEST(!socket.next(20ms));
  std::this_thread::sleep_for(100ms);
  notifier.keepalive();
  BOOST_TEST(socket.next(1s).value_or("") == "WATCHDOG=1");
  notifier.keepalive();
  BOOST_TEST(!socket.next(20ms));
}

BOOST_AUTO_TEST_CASE(without_a_socket_nothing_happens) {
  ::unsetenv("NOTIFY_SOCKET");
  Notifier notifier;
  notifier.ready("x");
  notifier.keepalive();
  notifier.stopping();
}
