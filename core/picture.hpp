// Pictures out of video, shared by the worker (thumbnails, timelapse) and the web
// (frame.jpg, moment.gif): a decoder for one video stream, scaling a decoded frame with
// libswscale (keeping the display aspect), and one JPEG with libavcodec's MJPEG encoder.
// Only targets that link `cctv_picture` include this.
#pragma once

#include "core/av.hpp"
#include "core/error.hpp"

#include <string>

namespace cctv::av {

// An opened decoder for `stream` (of an opened input). `threads` 1 for one picture at a
// time (threads only add delay there), 0 for libav's choice.
Result<CodecContext> open_decoder(const AVStream& stream, int threads = 1);

// `src` scaled to at most `width` pixels wide (never wider than its display width; the
// height keeps the display aspect; both even), as `format` in `range` (full range for
// JPEG, AVCOL_RANGE_MPEG for video encoders).
Result<Frame> scale_frame(const AVFrame& src, int width, AVPixelFormat format = AV_PIX_FMT_YUV420P,
                          AVColorRange range = AVCOL_RANGE_JPEG);
// `src` scaled to exactly `width` x `height` (stretched if its aspect differs).
Result<Frame> scale_frame_to(const AVFrame& src, int width, int height, AVPixelFormat format,
                             AVColorRange range);

// One JPEG of a full-range YUV 4:2:0 `frame`; `quality` is MJPEG's qscale, 2 (best) .. 31.
Result<std::string> encode_jpeg(AVFrame& frame, int quality);

}  // namespace cctv::av
