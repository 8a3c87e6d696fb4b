// After a crash (kill -9, power loss) a recorder leaves the segment it was writing
// as `video_HHMMSS.ts.part`. On start, before recording, each recorded camera's
// newest two day directories are searched for them: a playable one (a video
// keyframe, a duration above zero) is renamed to its final name (the next free
// second if that is taken) and indexed; anything else is removed.
#pragma once

#include "core/catalog.hpp"
#include "core/error.hpp"
#include "worker/indexer.hpp"

#include <cstddef>
#include <filesystem>

namespace cctv::worker {

struct SalvageStats {
  std::size_t kept = 0;
  std::size_t removed = 0;
};

Result<SalvageStats> salvage_camera(const Camera& camera, Catalog& catalog);

// True when a file holds at least one video keyframe.
bool has_video_keyframe(const std::filesystem::path& path);

}  // namespace cctv::worker
