// Small file-system helpers. Files written so that a reader (or a crash) never sees half
// of one: the bytes go to a
// temporary file of their own beside the target (a dot-file ending in `.part`, which the
// indexer, nginx and listings ignore), which is fsynced, renamed into place, and the
// directory fsynced.
#pragma once

#include "core/error.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string_view>

namespace cctv {

// Writes `bytes` to `path` atomically, creating its directory and replacing what was
// there; nothing is left at `path` (nor a temporary file) on failure.
Result<void> write_file_atomically(const std::filesystem::path& path, std::string_view bytes);

// The same, but an existing `path` is never replaced: invalid_argument ("exists") then,
// and nothing is written. Two writers of one name cannot mix their bytes.
Result<void> write_new_file_atomically(const std::filesystem::path& path, std::string_view bytes);

// fsync of a file or (`directory`) a directory, by path.
Result<void> fsync_path(const std::filesystem::path& path, bool directory);

// A file's modification time in nanoseconds since the epoch; nullopt when it is not there.
std::optional<std::int64_t> file_mtime_ns(const std::filesystem::path& path);

// Its status change time (ctime), which, unlike the mtime, no copy tool can set back:
// when the file was created, renamed, or had its data or stamps changed; nullopt when it
// is not there.
std::optional<std::int64_t> file_ctime_ns(const std::filesystem::path& path);

// Sets a file's mtime (its atime is left alone).
Result<void> set_file_mtime_ns(const std::filesystem::path& path, std::int64_t mtime_ns);

}  // namespace cctv
