// How long a recorder waits before it tries a camera again: capped exponential
// backoff with jitter (1 s doubling to 60 s, ±20 %), so that many cameras behind
// one failed switch do not all knock at the same moment. The recorder resets it
// after a minute of good recording. Pure: the caller supplies the random number.
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>

namespace cctv::worker {

class Backoff {
 public:
  using Millis = std::chrono::milliseconds;

  explicit Backoff(Millis first = Millis{1000}, Millis max = Millis{60000}, double jitter = 0.2)
      : m_first(first), m_max(std::max(first, max)), m_jitter(std::clamp(jitter, 0.0, 1.0)) {}

  // The delay before the next attempt; `unit` in [0, 1) picks where in the jitter
  // band it falls (0.5 is the middle). Each call doubles the base, up to the cap.
  Millis next(double unit) {
    const Millis base = m_base.count() == 0 ? m_first : std::min(m_base * 2, m_max);
    m_base = base;
    ++m_step;
    const double factor = 1.0 + m_jitter * (2.0 * std::clamp(unit, 0.0, 1.0) - 1.0);
    return Millis{std::llround(static_cast<double>(base.count()) * factor)};
  }

  void reset() {
    m_base = Millis{0};
    m_step = 0;
  }

  // Attempts since the last reset.
  [[nodiscard]] int step() const { return m_step; }

 private:
  Millis m_first;
  Millis m_max;
  double m_jitter;
  Millis m_base{0};
  int m_step = 0;
};

}  // namespace cctv::worker
