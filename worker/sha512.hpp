// SHA-512 with OpenSSL's EVP interface, and the `sha512sum` checksum files the converter
// writes next to a converted day's video.mp4 ("<128 hex digits>  video.mp4\n").
#pragma once

#include "core/error.hpp"

#include <cstddef>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>

struct evp_md_ctx_st;

namespace cctv::worker {

// An incremental SHA-512: update() any number of times, then hex() once.
class Sha512 {
 public:
  static Result<Sha512> create();
  Result<void> update(std::span<const std::byte> data);
  Result<void> update(std::string_view data);
  // The lowercase hex digest; the hash cannot be updated afterwards.
  Result<std::string> hex();

 private:
  struct Free {
    void operator()(evp_md_ctx_st* ctx) const;
  };
  explicit Sha512(std::unique_ptr<evp_md_ctx_st, Free> ctx) : m_ctx(std::move(ctx)) {}
  std::unique_ptr<evp_md_ctx_st, Free> m_ctx;
  bool m_done = false;
};

// The hex SHA-512 of a whole file.
Result<std::string> sha512_file(const std::filesystem::path& file);

// The path of `file`'s checksum: "<file>.sha512sum".
std::filesystem::path sha512sum_path(const std::filesystem::path& file);

// Hashes `file` and writes its checksum file atomically (a temporary file, fsync, rename,
// fsync of the directory), naming the file without its directory so that `sha512sum -c`
// run in that directory accepts it. Returns the hex digest.
Result<std::string> write_sha512sum(const std::filesystem::path& file);

// True when `file`'s checksum file exists, names it and matches its contents;
// false when it does not match; an error when either cannot be read.
Result<bool> verify_sha512sum(const std::filesystem::path& file);

}  // namespace cctv::worker
