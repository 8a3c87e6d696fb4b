// The checksums an S3 upload carries: the SHA-256 signed as x-amz-content-sha256 and the
// MD5 sent as Content-MD5 (which S3 checks before it stores a byte), computed in one pass
// over a byte range of a file with OpenSSL's EVP interface; and the ETag that S3 gives a
// multipart object, to verify it after the upload.
#pragma once

#include "core/error.hpp"

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

struct evp_md_ctx_st;

namespace cctv::worker::s3 {

using Md5 = std::array<unsigned char, 16>;

struct PayloadDigests {
  std::string sha256_hex;  // x-amz-content-sha256
  Md5 md5{};               // raw MD5
  std::uint64_t bytes = 0;
  [[nodiscard]] std::string md5_hex() const;     // a single PUT's ETag
  [[nodiscard]] std::string md5_base64() const;  // Content-MD5
};

// MD5 and SHA-256 updated together.
class PayloadHasher {
 public:
  static Result<PayloadHasher> create();
  Result<void> update(std::span<const std::byte> data);
  Result<void> update(std::string_view data);
  // The digests; the hasher cannot be updated afterwards.
  Result<PayloadDigests> finish();

 private:
  struct Free {
    void operator()(evp_md_ctx_st* ctx) const;
  };
  using Ctx = std::unique_ptr<evp_md_ctx_st, Free>;
  PayloadHasher(Ctx md5, Ctx sha256) : m_md5(std::move(md5)), m_sha256(std::move(sha256)) {}
  Ctx m_md5;
  Ctx m_sha256;
  std::uint64_t m_bytes = 0;
  bool m_done = false;
};

// Digests of `data`.
Result<PayloadDigests> digest_bytes(std::string_view data);

// Digests of `length` bytes of the open file `fd` from `offset` (pread: the descriptor can
// be shared by threads). A file shorter than offset + length is a data_loss error.
Result<PayloadDigests> digest_file_range(int fd, std::uint64_t offset, std::uint64_t length);

// Digests of a whole file.
Result<PayloadDigests> digest_file(const std::filesystem::path& file);

// Standard base64 (with padding) of bytes.
std::string base64(std::span<const unsigned char> data);

// The ETag S3 gives a multipart object: hex MD5 of the parts' raw MD5s concatenated,
// "-" and the number of parts ("…-3"). Some stores (s3rver) give the plain MD5 instead.
Result<std::string> multipart_etag(const std::vector<Md5>& part_md5s);

}  // namespace cctv::worker::s3
