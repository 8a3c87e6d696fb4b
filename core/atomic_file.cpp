#include "core/atomic_file.hpp"

#include "core/unique_fd.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace cctv {
namespace {

namespace fs = std::filesystem;

Error errno_error(const std::string& what) {
  return Error{errno == ENOENT ? ErrorKind::not_found : ErrorKind::unavailable,
               what + ": " + std::strerror(errno)};
}

}  // namespace

Result<void> write_file_atomically(const fs::path& path, std::string_view bytes) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (ec) {
    return fail(ErrorKind::unavailable,
                "create " + path.parent_path().string() + ": " + ec.message());
  }
  const fs::path part = path.string() + ".part";
  auto failed = [&](const std::string& what) {
    const Error error = errno_error(what + " " + part.string());
    ::unlink(part.c_str());
    return std::unexpected(error);
  };
  {
    const UniqueFd fd(::open(part.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!fd.valid()) return std::unexpected(errno_error("create " + part.string()));
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
  }
  if (::rename(part.c_str(), path.c_str()) != 0) return failed("rename");
  const UniqueFd dir(::open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.valid()) (void)::fsync(dir.get());
  return {};
}

}  // namespace cctv
