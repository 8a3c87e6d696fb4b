#include "core/files.hpp"

#include "core/unique_fd.hpp"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <ctime>
#include <string>

namespace cctv {
namespace {

namespace fs = std::filesystem;

// `bytes` into a new temporary file beside `path`, fsynced; its name.
Result<fs::path> write_temporary(const fs::path& path, std::string_view bytes) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (ec) {
    return fail(ErrorKind::unavailable,
                "create " + path.parent_path().string() + ": " + ec.message());
  }
  std::string name = (path.parent_path() / ("." + path.filename().string() + ".XXXXXX.part"));
  const UniqueFd fd(::mkostemps(name.data(), 5, O_CLOEXEC));
  if (!fd.valid()) return std::unexpected(errno_error("create " + name));
  auto failed = [&](const std::string& what) {
    const Error error = errno_error(what + " " + name);
    ::unlink(name.c_str());
    return std::unexpected(error);
  };
  if (::fchmod(fd.get(), 0644) != 0) return failed("chmod");
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd.get(), bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return failed("write");
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd.get()) != 0) return failed("fsync");
  return fs::path(name);
}

std::optional<struct stat> stat_of(const fs::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return st;
}

std::int64_t nanoseconds(const timespec& time) {
  return std::int64_t{time.tv_sec} * 1'000'000'000 + time.tv_nsec;
}

}  // namespace

Result<void> write_file_atomically(const fs::path& path, std::string_view bytes) {
  auto temporary = write_temporary(path, bytes);
  if (!temporary) return std::unexpected(temporary.error());
  if (::rename(temporary->c_str(), path.c_str()) != 0) {
    const Error error = errno_error("rename " + temporary->string());
    ::unlink(temporary->c_str());
    return std::unexpected(error);
  }
  (void)fsync_path(path.parent_path(), true);
  return {};
}

Result<void> write_new_file_atomically(const fs::path& path, std::string_view bytes) {
  auto temporary = write_temporary(path, bytes);
  if (!temporary) return std::unexpected(temporary.error());
  if (::renameat2(AT_FDCWD, temporary->c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE) != 0) {
    const bool exists = errno == EEXIST;
    Error error = errno_error("rename " + temporary->string());
    ::unlink(temporary->c_str());
    if (exists) error = Error{ErrorKind::invalid_argument, path.string() + " exists"};
    return std::unexpected(error);
  }
  (void)fsync_path(path.parent_path(), true);
  return {};
}

Result<void> fsync_path(const fs::path& path, bool directory) {
  const UniqueFd fd(
      ::open(path.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC));
  if (!fd.valid()) return std::unexpected(errno_error("open " + path.string()));
  if (::fsync(fd.get()) != 0) return std::unexpected(errno_error("fsync " + path.string()));
  return {};
}

std::optional<std::int64_t> file_mtime_ns(const fs::path& path) {
  const auto st = stat_of(path);
  if (!st) return std::nullopt;
  return nanoseconds(st->st_mtim);
}

std::optional<std::int64_t> file_ctime_ns(const fs::path& path) {
  const auto st = stat_of(path);
  if (!st) return std::nullopt;
  return nanoseconds(st->st_ctim);
}

Result<void> set_file_mtime_ns(const fs::path& path, std::int64_t mtime_ns) {
  const std::array<timespec, 2> times{
      timespec{0, UTIME_OMIT},
      timespec{static_cast<time_t>(mtime_ns / 1'000'000'000), mtime_ns % 1'000'000'000}};
  if (::utimensat(AT_FDCWD, path.c_str(), times.data(), 0) != 0) {
    return std::unexpected(errno_error("set the mtime of " + path.string()));
  }
  return {};
}

}  // namespace cctv
