// inotify at first contact: an owned inotify descriptor and owned watches.
// A Watch removes itself on destruction unless the kernel already dropped it
// (IN_IGNORED: the directory is gone), which release() records. Watches must not
// outlive their Inotify.
#pragma once

#include "core/error.hpp"
#include "core/unique_fd.hpp"

#include <sys/inotify.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace cctv::worker {

class Watch {
 public:
  Watch() = default;
  Watch(int inotify_fd, int wd) : m_fd(inotify_fd), m_wd(wd) {}
  Watch(Watch&& other) noexcept;
  Watch& operator=(Watch&& other) noexcept;
  Watch(const Watch&) = delete;
  Watch& operator=(const Watch&) = delete;
  ~Watch() { reset(); }

  [[nodiscard]] int wd() const { return m_wd; }
  [[nodiscard]] bool valid() const { return m_wd >= 0; }
  // Removes the watch from the kernel (if still there).
  void reset();
  // Forgets a watch the kernel already removed (after IN_IGNORED).
  void release() { m_wd = -1; }

 private:
  int m_fd = -1;
  int m_wd = -1;
};

struct InotifyEvent {
  int wd = -1;  // -1 for IN_Q_OVERFLOW
  std::uint32_t mask = 0;
  std::string name;  // empty for events on the watched directory itself
};

class Inotify {
 public:
  // What the worker watches on every directory: closed and moved files, created and
  // deleted entries, and the directory itself going away.
  static constexpr std::uint32_t k_directory_mask = IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO |
                                                    IN_CREATE | IN_DELETE | IN_DELETE_SELF |
                                                    IN_MOVE_SELF | IN_ONLYDIR;

  // Non-blocking, close-on-exec.
  static Result<Inotify> create();

  [[nodiscard]] int fd() const { return m_fd.get(); }
  // Watches a directory. Watching the same directory twice gives the same wd.
  Result<Watch> watch(const std::filesystem::path& dir,
                      std::uint32_t mask = k_directory_mask) const;
  // Every event queued now; empty when there is none (never blocks).
  Result<std::vector<InotifyEvent>> read_events() const;

 private:
  explicit Inotify(UniqueFd fd) : m_fd(std::move(fd)) {}
  UniqueFd m_fd;
};

}  // namespace cctv::worker
