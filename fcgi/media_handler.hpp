// cctv-export's requests: the exact-range export (fcgi/export_handler.hpp), and
//   GET <base>frame.jpg?camera=C            the newest keyframe as a JPEG
//   GET <base>moment.mp4?camera=C&length=&delay=  (and moment.gif)
//       the last `length` seconds (5..20, default 10) after waiting `delay` seconds
//       (0..10, default length/2, so the event is in the middle), saved to the camera's
//       moments/ directory (fcgi/moments.hpp) and answered.
// See docs/api.md, "Frame and moment".
#pragma once

#include "fcgi/export_handler.hpp"
#include "fcgi/server.hpp"

#include <chrono>
#include <string_view>

namespace cctv::web {

struct MomentRequest {
  CameraRow camera;
  int length_s = 10;
  int delay_s = 5;
  std::string_view format;  // "mp4" or "gif"
};

class MediaHandler final : public Handler {
 public:
  explicit MediaHandler(const Config& config) : m_export(config) {}

  Response handle(const Request& request) override;
  StreamedResponse handle_streamed(const Request& request) override;

  Result<MomentRequest> parse_moment(const Request& request, std::string_view format);
  Response frame(const Request& request);
  Response moment(const Request& request, std::string_view format);

  // How long a moment waits, after its end, for the segment holding that end to close.
  std::chrono::milliseconds moment_wait{30'000};

 private:
  ExportHandler m_export;
};

}  // namespace cctv::web
