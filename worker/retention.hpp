// Retention planning, pure: from the catalog's days (sizes, dates, states), the limits
// of the config, the archive's total size and the file system's free bytes, which days
// to delete (oldest first, whole days) and, only when the free-space floor demands it,
// how many bytes of today's oldest files. worker/retention_module.hpp carries it out.
//
// The rules, in order (docs/worker.md, "Retention"):
//   1. days:       a day at least daysToKeep local days old (0 = forever) goes.
//   2. size:       while the archive exceeds clearWhenFilePathReachGB, the oldest day goes.
//   3. free space: while the file system has less than minFreeGB free, the oldest day
//                  goes; then days not yet stored elsewhere (S3), with loss; then the
//                  oldest files of today.
// A day not yet stored elsewhere is kept by rules 1 and 2 (held back). Today (the day
// being recorded, in the camera's zone) is never deleted whole, and only rule 3 takes
// files from it. A `converting` day is never touched; an `archived` day (its files live
// only in S3) has nothing here to delete.
#pragma once

#include "core/catalog.hpp"
#include "core/civil_time.hpp"
#include "core/config.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cctv::worker {

enum class RetentionReason { days, size, free_space };
// "days", "size", "free space" (also the catalog's day.delete_reason).
std::string_view to_string(RetentionReason reason);

// Sizes in the config are GB of 2^30 bytes, as `df -h` and `du -h` count them.
inline constexpr std::int64_t k_bytes_per_gb = std::int64_t{1} << 30;
std::int64_t gb_to_bytes(double gb);

struct RetentionLimits {
  std::int64_t max_archive_bytes = 0;  // clearWhenFilePathReachGB; 0 = no cap
  std::int64_t min_free_bytes = 0;     // minFreeGB; 0 = no floor
};
RetentionLimits retention_limits(const Config& config);

// The daysToKeep of a camera: its own, else the global one; 0 = forever.
int days_to_keep(const Config& config, std::string_view camera);

// One day of the catalog, as retention sees it.
struct RetentionDay {
  std::int64_t camera_id = 0;
  std::string camera;
  Date date;
  DayState state = DayState::settled;
  std::int64_t size_bytes = 0;  // its files on this disk
  std::int64_t age_days = 0;    // the camera's local today minus `date`: 0 = today
  int keep_days = 0;            // the camera's daysToKeep; 0 = forever
  bool safe = true;             // stored elsewhere (S3), or S3 is off
};

struct RetentionState {
  std::vector<RetentionDay> days;
  std::int64_t archive_bytes = 0;  // the archive's total size
  std::int64_t free_bytes = -1;    // free on its file system; -1 = unknown (no floor check)
};

struct RetentionAction {
  std::size_t day = 0;  // index into RetentionState::days
  RetentionReason reason = RetentionReason::days;
  bool whole_day = true;    // false: only today's oldest files, `bytes` of them
  std::int64_t bytes = 0;   // whole day: its size; else the bytes to free from it
  bool loses_data = false;  // not stored elsewhere: said loudly (error level)
};

struct RetentionPlan {
  std::vector<RetentionAction> actions;  // in the order to carry them out
  std::vector<std::size_t> held_back;    // due by days or size, kept: not yet stored elsewhere
  std::int64_t archive_bytes_after = 0;
  std::int64_t free_bytes_after = -1;
  bool size_ok = true;  // the archive is within its cap after the plan
  bool free_ok = true;  // the free-space floor holds after the plan (or is unknown)
};

RetentionPlan plan_retention(const RetentionState& state, const RetentionLimits& limits);

}  // namespace cctv::worker
