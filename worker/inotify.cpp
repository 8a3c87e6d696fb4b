#include "worker/inotify.hpp"

#include <array>
#include <cerrno>
#include <cstring>
#include <utility>

namespace cctv::worker {

Watch::Watch(Watch&& other) noexcept
    : m_fd(std::exchange(other.m_fd, -1)), m_wd(std::exchange(other.m_wd, -1)) {}

Watch& Watch::operator=(Watch&& other) noexcept {
  if (this != &other) {
    reset();
    m_fd = std::exchange(other.m_fd, -1);
    m_wd = std::exchange(other.m_wd, -1);
  }
  return *this;
}

void Watch::reset() {
  if (m_fd >= 0 && m_wd >= 0) inotify_rm_watch(m_fd, m_wd);
  m_wd = -1;
}

Result<Inotify> Inotify::create() {
  UniqueFd fd(inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
  if (!fd.valid()) {
    return fail(ErrorKind::unavailable, std::string("inotify_init1: ") + std::strerror(errno));
  }
  return Inotify(std::move(fd));
}

Result<Watch> Inotify::watch(const std::filesystem::path& dir, std::uint32_t mask) const {
  const int wd = inotify_add_watch(m_fd.get(), dir.c_str(), mask);
  if (wd < 0) {
    const int err = errno;
    const ErrorKind kind = err == ENOENT || err == ENOTDIR ? ErrorKind::not_found
                           : err == ENOSPC                 ? ErrorKind::unavailable
                                                           : ErrorKind::internal;
    std::string message = "watch " + dir.string() + ": " + std::strerror(err);
    if (err == ENOSPC) message += " (raise fs.inotify.max_user_watches)";
    return fail(kind, std::move(message));
  }
  return Watch(m_fd.get(), wd);
}

Result<std::vector<InotifyEvent>> Inotify::read_events() const {
  std::vector<InotifyEvent> events;
  alignas(inotify_event) std::array<char, std::size_t{64} * 1024> buffer{};
  for (;;) {
    const ssize_t n = ::read(m_fd.get(), buffer.data(), buffer.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) break;
      return fail(ErrorKind::internal, std::string("read inotify: ") + std::strerror(errno));
    }
    if (n == 0) break;
    std::size_t offset = 0;
    while (offset + sizeof(inotify_event) <= static_cast<std::size_t>(n)) {
      inotify_event header{};
      std::memcpy(&header, buffer.data() + offset, sizeof header);
      InotifyEvent event{header.wd, header.mask, {}};
      if (header.len > 0) {
        const char* name = buffer.data() + offset + sizeof header;
        event.name.assign(name, strnlen(name, header.len));
      }
      events.push_back(std::move(event));
      offset += sizeof header + header.len;
    }
  }
  return events;
}

}  // namespace cctv::worker
