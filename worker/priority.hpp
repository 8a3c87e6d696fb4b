// Low CPU and I/O priority for the background jobs of the daemon (converter, thumbnails,
// timelapse), so that recording never waits for them.
#pragma once

#include <string_view>

namespace cctv::worker {

// Puts the calling thread at nice 10, SCHED_BATCH and the idle I/O class
// (ioprio_set). A step that the system refuses is logged as a warning naming `who`
// ("converter: cannot use SCHED_BATCH") and the rest still applies.
void lower_thread_priority(std::string_view who);

}  // namespace cctv::worker
