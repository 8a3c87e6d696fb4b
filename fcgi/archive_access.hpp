// What both web programs need from the catalog: a lazily opened read-only
// connection (the worker may start after us) and the choice of camera.
#pragma once

#include "core/catalog.hpp"
#include "core/config.hpp"
#include "core/error.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace cctv::web {

class ArchiveAccess {
 public:
  explicit ArchiveAccess(const Config& config) : m_config(config) {}

  // The read-only catalog, opened on first use and retried after a failure.
  Result<Catalog*> catalog();

  // The camera a request means: `requested` when given (400 if malformed, 404 if
  // unknown), else the only camera, else the configured default camera.
  Result<CameraRow> select_camera(std::optional<std::string_view> requested);

  [[nodiscard]] const Config& config() const { return m_config; }

 private:
  const Config& m_config;
  std::optional<Catalog> m_catalog;
};

// The URL path prefix of a day directory: base + camera dir + "/" + date + "/".
std::string day_url_prefix(const Config& config, const CameraRow& camera, const Date& date);
// The URL path prefix of a camera directory: base + camera dir + "/" (base alone for "").
std::string camera_url_prefix(const Config& config, const CameraRow& camera);

// savePath / the camera's directory. The catalog's directory is relative to the archive
// root; one that is absolute or climbs out with ".." is an internal error.
Result<std::filesystem::path> camera_path(const Config& config, const CameraRow& camera);

}  // namespace cctv::web
