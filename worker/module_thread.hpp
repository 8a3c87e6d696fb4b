// The thread of a daemon module (converter, retention, sync, thumbnails, timelapse): its
// loop runs `while (!thread.stopping())`, sleeps between passes with pause(), and hands
// stop_flag() to work that checks it between steps; stop() sets the flag, ends a pause
// and joins.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace cctv::worker {

class ModuleThread {
 public:
  ModuleThread() = default;
  ModuleThread(const ModuleThread&) = delete;
  ModuleThread& operator=(const ModuleThread&) = delete;
  ModuleThread(ModuleThread&&) = delete;
  ModuleThread& operator=(ModuleThread&&) = delete;
  ~ModuleThread() { stop(); }

  void start(std::function<void()> body) { m_thread = std::thread(std::move(body)); }
  // Idempotent; returns once the body has returned.
  void stop();

  [[nodiscard]] bool stopping() const { return m_stop.load(); }
  [[nodiscard]] const std::atomic<bool>* stop_flag() const { return &m_stop; }

  // Sleeps up to `delay`, or until stop() or wake() (a wake() before it ends the next one).
  void pause(std::chrono::milliseconds delay);
  void wake();

 private:
  std::atomic<bool> m_stop{false};
  bool m_woken = false;  // under m_mutex
  std::mutex m_mutex;
  std::condition_variable m_wake;
  std::thread m_thread;
};

}  // namespace cctv::worker
