// The wall clock as a seam: the worker asks a Clock for "now" so that tests can
// move time (day rollover, the settle period) without waiting for it.
#pragma once

#include "core/civil_time.hpp"

#include <chrono>
#include <functional>

namespace cctv::worker {

using Clock = std::function<UtcMicros()>;

inline UtcMicros system_now() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace cctv::worker
