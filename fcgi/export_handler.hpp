// GET <base>export.mp4?camera=&from=&to= and
// GET <base>api/1/camera/<camera>.range.<YYYYMMDD>.<HHMM>.to.<YYYYMMDD>.<HHMM>.mp4:
// one MP4 of exactly that range, remuxed on the fly from the segments and converted
// days (docs/api.md, "Export"). Refusals are one line of plain text.
#pragma once

#include "fcgi/archive_access.hpp"
#include "fcgi/export_range.hpp"
#include "fcgi/server.hpp"

#include <optional>

namespace cctv::web {

// What a request asks for, once parsed and checked against the limits.
struct ExportRequest {
  CameraRow camera;
  UtcMicros from = 0;
  UtcMicros to = 0;
};

class ExportHandler final : public Handler {
 public:
  explicit ExportHandler(const Config& config) : m_access(config) {}

  // The whole MP4 in memory (for tests and CGI-sized clips); the server streams.
  Response handle(const Request& request) override;
  StreamedResponse handle_streamed(const Request& request) override;

  // The camera and the UTC range a request means, or why not (400, 404, 413).
  Result<ExportRequest> parse(const Request& request);
  // The files of the range (404 when nothing is recorded; plan.conflict for a 409).
  Result<ExportPlan> plan(const ExportRequest& request);

  ArchiveAccess& access() { return m_access; }

 private:
  ArchiveAccess m_access;
};

}  // namespace cctv::web
