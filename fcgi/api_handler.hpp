// GET <base>api/1/...: the JSON API (docs/api.md).
//   system.json                              status, version, cameras, disk use
//   cameras.json                             every camera with its day range
//   cameras/<camera>/days.json               per day: recorded seconds, gaps, bytes, state
//   cameras/<camera>/<YYYY-MM-DD>/segments.json   start, duration and URL of each piece
// Times are UTC ISO 8601 ("2026-11-20T10:15:00.000Z"); every camera and day answer
// carries the camera's IANA time zone. Errors are JSON too: {"error": {...}}.
#pragma once

#include "fcgi/archive_access.hpp"
#include "fcgi/server.hpp"

#include <filesystem>
#include <functional>
#include <string_view>

namespace cctv::web {

inline constexpr std::string_view k_api_prefix = "api/1/";

// Free and total bytes of the file system holding a path (statvfs); injectable so
// tests can pretend.
struct DiskSpace {
  std::int64_t free_bytes = 0;
  std::int64_t total_bytes = 0;
};
using DiskProbe = std::function<Result<DiskSpace>(const std::filesystem::path&)>;
Result<DiskSpace> statvfs_disk_space(const std::filesystem::path& path);

class ApiHandler final : public Handler {
 public:
  explicit ApiHandler(const Config& config, DiskProbe disk = statvfs_disk_space)
      : m_access(config), m_disk(std::move(disk)) {}

  Response handle(const Request& request) override;

 private:
  Result<Response> respond(const Request& request);
  Result<std::string> system_json();
  Result<std::string> cameras_json();
  Result<std::string> days_json(const CameraRow& camera);
  Result<std::string> segments_json(const CameraRow& camera, const Date& date);
  Result<std::string> moments_json(const CameraRow& camera);

  ArchiveAccess m_access;
  DiskProbe m_disk;
};

}  // namespace cctv::web
