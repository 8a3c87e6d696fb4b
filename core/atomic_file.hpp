// Small files written so that a reader (or a crash) never sees half of one: write
// `<path>.part`, fsync, rename into place, fsync the directory.
#pragma once

#include "core/error.hpp"

#include <filesystem>
#include <string_view>

namespace cctv {

// Writes `bytes` to `path` atomically, creating its directory; nothing is left at `path`
// (nor a .part) on failure.
Result<void> write_file_atomically(const std::filesystem::path& path, std::string_view bytes);

}  // namespace cctv
