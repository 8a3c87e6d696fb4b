// GET /moment.gif: an animated GIF of a short MP4 (a moment), made with libavfilter's
// two-pass palette (palettegen + paletteuse: one 256-colour palette fitted to the clip,
// far better than a fixed palette on grey CCTV scenes) and libavcodec's GIF encoder.
#pragma once

#include "core/error.hpp"

#include <string>

namespace cctv::web {

struct GifOptions {
  int width = 480;  // at most; never wider than the video as shown (its aspect kept)
  int fps = 8;
  // Frames before this time of the MP4 are left out (0: the pre-roll before the start
  // of an export, which has negative timestamps).
  double start_s = 0;
};

struct GifStats {
  int frames = 0;
  int width = 0;
  int height = 0;
};

// The GIF of `mp4` (any file libavformat reads), looping forever. `stats` when given.
Result<std::string> mp4_to_gif(std::string mp4, const GifOptions& options,
                               GifStats* stats = nullptr);

}  // namespace cctv::web
