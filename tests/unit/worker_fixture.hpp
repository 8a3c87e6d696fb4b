// Shared helpers of the worker's unit tests: temporary directories, MPEG-TS
// segments made with the ffmpeg CLI at test time, and ffprobe's view of them.
#pragma once

#include "core/catalog.hpp"
#include "core/config.hpp"
#include "core/error.hpp"
#include "tests/unit/printers.hpp"
#include "tests/unit/temp_dir.hpp"

#include <sys/stat.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <ostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace cctv::test {

namespace fs = std::filesystem;

// Runs a shell command and returns its standard output; throws if it fails.
inline std::string run(const std::string& command) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(command.c_str(), "r"), ::pclose);
  if (!pipe) throw std::runtime_error("popen failed: " + command);
  std::string out;
  std::array<char, 4096> buf{};
  while (const std::size_t n = std::fread(buf.data(), 1, buf.size(), pipe.get())) {
    out.append(buf.data(), n);
  }
  if (::pclose(pipe.release()) != 0) throw std::runtime_error("command failed: " + command);
  return out;
}

// An H.264 MPEG-TS segment of `seconds` at 10 fps, keyframe every second.
inline void make_ts(const fs::path& path, double seconds, const std::string& size = "320x180") {
  fs::create_directories(path.parent_path());
  run("ffmpeg -nostdin -v error -y -f lavfi -i testsrc2=size=" + size + ":rate=10 -t " +
      std::to_string(seconds) + " -c:v libx264 -preset ultrafast -g 10 -f mpegts '" +
      path.string() + "'");
}

// One 2-second segment made once per test program, copied where needed (fast).
inline const fs::path& sample_ts() {
  static TempDir dir;
  static const fs::path path = [] {
    const fs::path p = dir.path() / "sample.ts";
    make_ts(p, 2);
    return p;
  }();
  return path;
}

inline void copy_sample(const fs::path& to) {
  fs::create_directories(to.parent_path());
  fs::copy_file(sample_ts(), to, fs::copy_options::overwrite_existing);
}

inline void write_file(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

// Sets a file's modification time to `seconds` since the epoch.
inline void set_mtime(const fs::path& path, std::int64_t seconds) {
  run("touch -m -d @" + std::to_string(seconds) + " '" + path.string() + "'");
}

// ffprobe's packet-derived duration of the video stream: max(pts + duration) - min(pts).
inline double ffprobe_duration(const fs::path& path) {
  std::istringstream lines(
      run("ffprobe -v error -select_streams v:0 -show_entries "
          "packet=pts_time,duration_time -of csv=p=0 '" +
          path.string() + "'"));
  double first = 1e300;
  double end = -1e300;
  std::string line;
  while (std::getline(lines, line)) {
    const auto comma = line.find(',');
    if (comma == std::string::npos || comma == 0) continue;
    const double pts = std::stod(line.substr(0, comma));
    const double duration = std::stod(line.substr(comma + 1));
    first = std::min(first, pts);
    end = std::max(end, pts + duration);
  }
  if (end <= first) throw std::runtime_error("ffprobe found no packets in " + path.string());
  return end - first;
}

// A config for an archive root in a temporary directory.
inline Config make_config(const fs::path& root, const fs::path& catalog,
                          std::string time_zone = "UTC") {
  Config config;
  config.save_path = root;
  config.catalog_path = catalog;
  config.time_zone = std::move(time_zone);
  return config;
}

inline Catalog open_catalog(const fs::path& path) {
  auto catalog = Catalog::open_writable(path);
  if (!catalog) throw std::runtime_error(catalog.error().message);
  return std::move(*catalog);
}

// The value of a Result, or a test failure with its message.
template <typename T>
T value_of(Result<T> result) {
  if (!result) throw std::runtime_error(result.error().message);
  return std::move(*result);
}

inline void check(const Result<void>& result) {
  if (!result) throw std::runtime_error(result.error().message);
}

}  // namespace cctv::test
