#include "fcgi/archive_access.hpp"

#include "core/layout.hpp"
#include "core/log.hpp"

#include <algorithm>

namespace cctv::web {

Result<Catalog*> ArchiveAccess::catalog() {
  if (!m_catalog) {
    auto opened = Catalog::open_read_only(m_config.catalog_path);
    if (!opened) {
      log::warning(opened.error().message);
      return fail(ErrorKind::unavailable, "the archive catalog is not available yet");
    }
    m_catalog.emplace(std::move(*opened));
  }
  return &*m_catalog;
}

Result<CameraRow> ArchiveAccess::select_camera(std::optional<std::string_view> requested) {
  auto db = catalog();
  if (!db) return std::unexpected(db.error());
  if (requested) {
    if (!is_valid_camera_name(*requested)) {
      return fail(ErrorKind::invalid_argument, "camera: not a valid camera name");
    }
    auto found = (*db)->find_camera(*requested);
    if (!found) return std::unexpected(found.error());
    if (!*found) {
      return fail(ErrorKind::not_found, "unknown camera \"" + std::string(*requested) + "\"");
    }
    return **found;
  }
  auto cameras = (*db)->cameras();
  if (!cameras) return std::unexpected(cameras.error());
  if (cameras->empty()) return fail(ErrorKind::not_found, "no cameras in the archive yet");
  if (cameras->size() == 1) return cameras->front();
  std::string names;
  for (const auto& cam : *cameras) {
    if (cam.name == m_config.default_camera) return cam;
    names += names.empty() ? cam.name : ", " + cam.name;
  }
  return fail(ErrorKind::invalid_argument, "camera: required (one of " + names + ")");
}

std::string camera_url_prefix(const Config& config, const CameraRow& camera) {
  std::string prefix = config.web_base_url;
  if (!camera.directory.empty()) {
    prefix += camera.directory;
    prefix += '/';
  }
  return prefix;
}

std::string day_url_prefix(const Config& config, const CameraRow& camera, const Date& date) {
  std::string prefix = camera_url_prefix(config, camera);
  prefix += format_date(date);
  prefix += '/';
  return prefix;
}

Result<std::filesystem::path> camera_path(const Config& config, const CameraRow& camera) {
  const std::filesystem::path relative(camera.directory);
  if (relative.is_absolute() ||
      std::ranges::any_of(relative, [](const auto& part) { return part == ".."; })) {
    return fail(ErrorKind::internal, "bad camera directory in the catalog");
  }
  return config.save_path / relative;
}

}  // namespace cctv::web
