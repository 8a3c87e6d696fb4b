#include "worker/retention.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace cctv::worker {
namespace {

// Whole days that any rule may delete: not today (or later), not being converted, and
// with files on this disk.
bool deletable(const RetentionDay& day) {
  return day.age_days > 0 && day.state != DayState::converting && day.state != DayState::archived;
}

class Planner {
 public:
  Planner(const RetentionState& state, const RetentionLimits& limits)
      : m_state(state), m_limits(limits), m_order(state.days.size()) {
    std::iota(m_order.begin(), m_order.end(), std::size_t{0});
    std::stable_sort(m_order.begin(), m_order.end(), [&](std::size_t a, std::size_t b) {
      const RetentionDay& x = state.days[a];
      const RetentionDay& y = state.days[b];
      if (x.date != y.date) return x.date < y.date;
      return x.camera < y.camera;
    });
    m_chosen.assign(state.days.size(), false);
    m_held.assign(state.days.size(), false);
    m_plan.archive_bytes_after = state.archive_bytes;
    m_plan.free_bytes_after = state.free_bytes;
  }

  RetentionPlan run() {
    by_days();
    by_size();
    by_free_space();
    for (std::size_t i : m_order) {
      if (m_held[i] && !m_chosen[i]) m_plan.held_back.push_back(i);
    }
    m_plan.size_ok = !over_size();
    m_plan.free_ok = !below_floor();
    return std::move(m_plan);
  }

 private:
  [[nodiscard]] bool over_size() const {
    return m_limits.max_archive_bytes > 0 &&
           m_plan.archive_bytes_after > m_limits.max_archive_bytes;
  }
  [[nodiscard]] bool below_floor() const {
    return m_limits.min_free_bytes > 0 && m_plan.free_bytes_after >= 0 &&
           m_plan.free_bytes_after < m_limits.min_free_bytes;
  }

  void choose(std::size_t i, RetentionReason reason, bool whole_day, std::int64_t bytes) {
    const RetentionDay& day = m_state.days[i];
    m_chosen[i] = true;
    m_plan.actions.push_back(RetentionAction{i, reason, whole_day, bytes, !day.safe});
    m_plan.archive_bytes_after -= bytes;
    if (m_plan.free_bytes_after >= 0) m_plan.free_bytes_after += bytes;
  }

  void by_days() {
    for (std::size_t i : m_order) {
      const RetentionDay& day = m_state.days[i];
      if (day.keep_days <= 0 || day.age_days < day.keep_days || !deletable(day)) continue;
      if (!day.safe) {
        m_held[i] = true;
        continue;
      }
      choose(i, RetentionReason::days, true, day.size_bytes);
    }
  }

  void by_size() {
    for (std::size_t i : m_order) {
      if (!over_size()) return;
      const RetentionDay& day = m_state.days[i];
      if (m_chosen[i] || !deletable(day)) continue;
      if (!day.safe) {
        m_held[i] = true;
        continue;
      }
      choose(i, RetentionReason::size, true, day.size_bytes);
    }
  }

  void by_free_space() {
    // What is stored elsewhere first, then what is not (lost), oldest first each time.
    for (const bool safe : {true, false}) {
      for (std::size_t i : m_order) {
        if (!below_floor()) return;
        const RetentionDay& day = m_state.days[i];
        if (m_chosen[i] || !deletable(day) || day.safe != safe) continue;
        choose(i, RetentionReason::free_space, true, day.size_bytes);
      }
    }
    // Then the oldest files of the days being recorded.
    for (std::size_t i : m_order) {
      if (!below_floor()) return;
      const RetentionDay& day = m_state.days[i];
      if (m_chosen[i] || day.age_days > 0 || day.state == DayState::converting ||
          day.state == DayState::archived || day.size_bytes <= 0) {
        continue;
      }
      const std::int64_t need = m_limits.min_free_bytes - m_plan.free_bytes_after;
      choose(i, RetentionReason::free_space, false, std::min(need, day.size_bytes));
    }
  }

  const RetentionState& m_state;
  const RetentionLimits& m_limits;
  std::vector<std::size_t> m_order;  // oldest first, then by camera name
  std::vector<bool> m_chosen;
  std::vector<bool> m_held;
  RetentionPlan m_plan;
};

}  // namespace

std::string_view to_string(RetentionReason reason) {
  switch (reason) {
    case RetentionReason::days:
      return "days";
    case RetentionReason::size:
      return "size";
    case RetentionReason::free_space:
      return "free space";
  }
  return "days";
}

std::int64_t gb_to_bytes(double gb) {
  if (!(gb > 0)) return 0;
  return static_cast<std::int64_t>(std::llround(gb * static_cast<double>(k_bytes_per_gb)));
}

RetentionLimits retention_limits(const Config& config) {
  return RetentionLimits{gb_to_bytes(config.clear_when_path_reach_gb),
                         gb_to_bytes(config.min_free_gb)};
}

int days_to_keep(const Config& config, std::string_view camera) {
  for (const CameraConfig& cam : config.cameras) {
    if (cam.name == camera && cam.days_to_keep >= 0) return cam.days_to_keep;
  }
  return config.days_to_keep;
}

RetentionPlan plan_retention(const RetentionState& state, const RetentionLimits& limits) {
  return Planner(state, limits).run();
}

}  // namespace cctv::worker
