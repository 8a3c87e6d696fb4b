#include "worker/module_thread.hpp"

namespace cctv::worker {

void ModuleThread::stop() {
  {
    const std::lock_guard lock(m_mutex);
    m_stop = true;
  }
  m_wake.notify_all();
  if (m_thread.joinable()) m_thread.join();
}

void ModuleThread::pause(std::chrono::milliseconds delay) {
  std::unique_lock lock(m_mutex);
  m_wake.wait_for(lock, delay, [this] { return m_stop.load() || m_woken; });
  m_woken = false;
}

void ModuleThread::wake() {
  {
    const std::lock_guard lock(m_mutex);
    m_woken = true;
  }
  m_wake.notify_all();
}

}  // namespace cctv::worker
