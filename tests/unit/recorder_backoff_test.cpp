// Unit tests for worker/recorder_backoff.hpp: 1 s doubling to 60 s, ±20 % jitter,
// reset.
#define BOOST_TEST_MODULE recorder_backoff
#include <boost/test/unit_test.hpp>

#include "worker/recorder_backoff.hpp"

#include <vector>

using cctv::worker::Backoff;
using Millis = std::chrono::milliseconds;

BOOST_AUTO_TEST_CASE(doubles_from_one_second_up_to_a_minute) {
  Backoff backoff;
  std::vector<long> delays;
  for (int i = 0; i < 9; ++i) delays.push_back(static_cast<long>(backoff.next(0.5).count()));
  const std::vector<long> expected{1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000};
  BOOST_TEST(delays == expected, boost::test_tools::per_element());
  BOOST_TEST(backoff.step() == 9);
}

BOOST_AUTO_TEST_CASE(jitter_stays_within_twenty_percent) {
  Backoff low;
  Backoff high;
  BOOST_TEST(low.next(0.0).count() == 800);
  BOOST_TEST(high.next(0.999999).count() == 1200);
  for (int i = 0; i < 10; ++i) {
    (void)low.next(0.0);
    (void)high.next(0.999999);
  }
  BOOST_TEST(low.next(0.0).count() == 48000);
  BOOST_TEST(high.next(0.999999).count() == 72000);
  // Out-of-range randomness is clamped, never a negative or runaway delay.
  Backoff odd;
  BOOST_TEST(odd.next(-5).count() == 800);
  BOOST_TEST(odd.next(7).count() == 2400);
}

BOOST_AUTO_TEST_CASE(reset_starts_again_at_the_first_delay) {
  Backoff backoff;
  for (int i = 0; i < 5; ++i) (void)backoff.next(0.5);
  backoff.reset();
  BOOST_TEST(backoff.step() == 0);
  BOOST_TEST(backoff.next(0.5).count() == 1000);
}

BOOST_AUTO_TEST_CASE(custom_bounds_for_tests) {
  Backoff backoff(Millis{10}, Millis{30}, 0.0);
  BOOST_TEST(backoff.next(0.1).count() == 10);
  BOOST_TEST(backoff.next(0.9).count() == 20);
  BOOST_TEST(backoff.next(0.5).count() == 30);
  BOOST_TEST(backoff.next(0.5).count() == 30);
}
