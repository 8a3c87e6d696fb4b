// Where a file of the archive goes in the bucket (issue 5, the Izara naming), pure:
//   s3Path/<camera>/<YYYY-MM-DD>/<cameraName>_<videoFeedId>_<startUTC>_<endUTC>.<ext>
// with times as YYYYMMDDTHHMMSSZ (start rounded down to the second, end to the nearest
// second), <YYYY-MM-DD> the camera's local day directory, <ext> everything after the
// first dot of the file name ("ts", "mp4", "mp4.sha512sum"). A videoFeedId such as
// "Streaming/Channels/101" becomes "Streaming-Channels-101" (only A-Z a-z 0-9 . - are
// kept, anything else is "-"); without a videoFeedId that field and its "_" are left out.
#pragma once

#include "core/civil_time.hpp"
#include "core/config.hpp"

#include <string>
#include <string_view>

namespace cctv::worker {

// "20261120T101500Z": `time` rounded down to the second.
std::string key_time(UtcMicros time);
// The videoFeedId as it appears in a key ("" stays "").
std::string key_feed_id(std::string_view feed_id);
// "ts" for "video_101500.ts", "mp4.sha512sum" for "video.mp4.sha512sum", "" without a dot.
std::string_view key_extension(std::string_view file_name);

struct KeyParts {
  std::string_view camera;   // cameraName
  std::string_view feed_id;  // videoFeedId, may be ""
  Date date;                 // the local day directory
  UtcMicros start_us = 0;
  UtcMicros end_us = 0;
  std::string_view file_name;  // inside the day directory
};

// The object key, under s3Path (S3Config::key_for).
std::string object_key(const S3Config& s3, const KeyParts& parts);

}  // namespace cctv::worker
