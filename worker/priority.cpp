#include "worker/priority.hpp"

#include "core/log.hpp"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <sched.h>
#include <string>

namespace cctv::worker {
namespace {

// ioprio_set(2) has no glibc wrapper: IOPRIO_WHO_PROCESS with 0 = the calling thread.
constexpr int k_ioprio_who_process = 1;
constexpr int k_ioprio_class_idle = 3;
constexpr int k_ioprio_class_shift = 13;
constexpr int k_nice = 10;

}  // namespace

void lower_thread_priority(std::string_view who) {
  const std::string prefix(who);
  if (::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), k_nice) != 0) {
    log::warning(prefix + ": cannot lower its nice level");
  }
  sched_param param{};
  if (::sched_setscheduler(0, SCHED_BATCH, &param) != 0) {
    log::warning(prefix + ": cannot use SCHED_BATCH");
  }
  if (::syscall(SYS_ioprio_set, k_ioprio_who_process, 0,
                k_ioprio_class_idle << k_ioprio_class_shift) != 0) {
    log::warning(prefix + ": cannot set the idle I/O priority");
  }
}

}  // namespace cctv::worker
