#include "worker/daemon.hpp"

#include "core/log.hpp"

#include <poll.h>
#include <sys/signalfd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>

namespace cctv::worker {
namespace {

constexpr std::chrono::milliseconds k_max_sleep{1000};

}  // namespace

Result<Daemon> Daemon::create(Notifier& notifier, Clock clock) {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&set, sig);
  if (const int rc = pthread_sigmask(SIG_BLOCK, &set, nullptr); rc != 0) {
    return fail(ErrorKind::internal, std::string("block signals: ") + std::strerror(rc));
  }
  UniqueFd fd(signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC));
  if (!fd.valid()) {
    return fail(ErrorKind::internal, std::string("signalfd: ") + std::strerror(errno));
  }
  return Daemon(notifier, std::move(clock), std::move(fd));
}

std::string Daemon::status() const {
  std::string status;
  for (const Module* module : m_modules) {
    if (!status.empty()) status += "; ";
    status += module->status();
  }
  return status;
}

void Daemon::read_signals() {
  signalfd_siginfo info{};
  while (::read(m_signals.get(), &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
    if (info.ssi_signo == SIGHUP) {
      m_resync_pending = true;
    } else if (m_stop_signal == 0) {
      m_stop_signal = static_cast<int>(info.ssi_signo);
    }
  }
}

bool Daemon::stop_requested() {
  read_signals();
  return m_stop_signal != 0;
}

Result<bool> Daemon::handle_signals() {
  read_signals();
  if (m_stop_signal != 0) {
    log::info(std::string("stopping on ") + (m_stop_signal == SIGINT ? "SIGINT" : "SIGTERM"));
    m_notifier->stopping();
    stop_modules();
    return false;
  }
  if (m_resync_pending) {
    m_resync_pending = false;
    log::info("SIGHUP: resync");
    for (Module* module : m_modules) CCTV_TRY(module->resync());
  }
  return true;
}

void Daemon::stop_modules() {
  if (m_stopped) return;
  m_stopped = true;
  for (Module* module : m_modules) module->stop();
}

Result<bool> Daemon::run_once(std::chrono::milliseconds max_wait) {
  if (m_stopped) return false;
  std::vector<pollfd> fds{{m_signals.get(), POLLIN, 0}};
  for (const Module* module : m_modules) fds.push_back({module->fd(), POLLIN, 0});
  auto wait = std::min(max_wait, k_max_sleep);
  if (auto period = m_notifier->period()) wait = std::min(wait, *period);
  const int n = ::poll(fds.data(), fds.size(), static_cast<int>(wait.count()));
  if (n < 0 && errno != EINTR) {
    return fail(ErrorKind::internal, std::string("poll: ") + std::strerror(errno));
  }
  // Also when a signal was taken early by stop_requested().
  if (auto running = handle_signals(); !running || !*running) return running;
  for (std::size_t i = 0; i < m_modules.size(); ++i) {
    if (n <= 0 || (fds[i + 1].revents & (POLLIN | POLLERR | POLLHUP)) == 0) continue;
    if (auto r = m_modules[i]->on_readable(); !r) {
      if (!is_transient(r.error())) return std::unexpected(r.error());
      log::error(std::string(m_modules[i]->name()) + ": " + r.error().message);
    }
  }
  const UtcMicros now = m_clock();
  for (Module* module : m_modules) {
    if (auto r = module->tick(now); !r) {
      if (!is_transient(r.error())) return std::unexpected(r.error());
      log::error(std::string(module->name()) + ": " + r.error().message);
    }
  }
  m_notifier->keepalive();
  m_notifier->status(status());
  return true;
}

Result<void> Daemon::run() {
  for (;;) {
    auto running = run_once(k_max_sleep);
    if (!running) {
      stop_modules();
      return std::unexpected(running.error());
    }
    if (!*running) return {};
  }
}

}  // namespace cctv::worker
