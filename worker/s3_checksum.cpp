#include "worker/s3_checksum.hpp"

#include "core/s3_sigv4.hpp"
#include "core/unique_fd.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace cctv::worker::s3 {

namespace {

constexpr std::size_t k_read_buffer = std::size_t{1} << 20U;

Result<std::string> final_digest(evp_md_ctx_st* ctx, std::size_t expected, unsigned char* out) {
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(ctx, out, &length) != 1 || length != expected) {
    return fail(ErrorKind::internal, "EVP_DigestFinal_ex failed");
  }
  return sigv4::hex(out, length);
}

}  // namespace

std::string PayloadDigests::md5_hex() const { return sigv4::hex(md5.data(), md5.size()); }

std::string PayloadDigests::md5_base64() const { return base64(md5); }

void PayloadHasher::Free::operator()(evp_md_ctx_st* ctx) const { EVP_MD_CTX_free(ctx); }

Result<PayloadHasher> PayloadHasher::create() {
  Ctx md5(EVP_MD_CTX_new());
  Ctx sha256(EVP_MD_CTX_new());
  if (!md5 || !sha256) return fail(ErrorKind::internal, "EVP_MD_CTX_new failed");
  if (EVP_DigestInit_ex(md5.get(), EVP_md5(), nullptr) != 1) {
    return fail(ErrorKind::internal, "EVP_DigestInit_ex(md5) failed (a FIPS-only OpenSSL?)");
  }
  if (EVP_DigestInit_ex(sha256.get(), EVP_sha256(), nullptr) != 1) {
    return fail(ErrorKind::internal, "EVP_DigestInit_ex(sha256) failed");
  }
  return PayloadHasher(std::move(md5), std::move(sha256));
}

Result<void> PayloadHasher::update(std::span<const std::byte> data) {
  if (m_done) return fail(ErrorKind::internal, "payload hasher updated after finish()");
  if (EVP_DigestUpdate(m_md5.get(), data.data(), data.size()) != 1 ||
      EVP_DigestUpdate(m_sha256.get(), data.data(), data.size()) != 1) {
    return fail(ErrorKind::internal, "EVP_DigestUpdate failed");
  }
  m_bytes += data.size();
  return {};
}

Result<void> PayloadHasher::update(std::string_view data) {
  return update(std::as_bytes(std::span(data.data(), data.size())));
}

Result<PayloadDigests> PayloadHasher::finish() {
  if (m_done) return fail(ErrorKind::internal, "payload hasher finished twice");
  m_done = true;
  PayloadDigests out;
  out.bytes = m_bytes;
  std::array<unsigned char, EVP_MAX_MD_SIZE> sha{};
  auto sha_hex = final_digest(m_sha256.get(), 32, sha.data());
  if (!sha_hex) return std::unexpected(sha_hex.error());
  out.sha256_hex = std::move(*sha_hex);
  std::array<unsigned char, EVP_MAX_MD_SIZE> md5{};
  auto md5_hex = final_digest(m_md5.get(), 16, md5.data());
  if (!md5_hex) return std::unexpected(md5_hex.error());
  std::copy_n(md5.begin(), out.md5.size(), out.md5.begin());
  return out;
}

Result<PayloadDigests> digest_bytes(std::string_view data) {
  auto hasher = PayloadHasher::create();
  if (!hasher) return std::unexpected(hasher.error());
  CCTV_TRY(hasher->update(data));
  return hasher->finish();
}

Result<PayloadDigests> digest_file_range(int fd, std::uint64_t offset, std::uint64_t length) {
  auto hasher = PayloadHasher::create();
  if (!hasher) return std::unexpected(hasher.error());
  std::vector<std::byte> buffer(static_cast<std::size_t>(
      std::min<std::uint64_t>(k_read_buffer, std::max<std::uint64_t>(length, 1))));
  std::uint64_t done = 0;
  while (done < length) {
    const auto want =
        static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), length - done));
    const ssize_t n = ::pread(fd, buffer.data(), want, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(ErrorKind::unavailable, std::string("read: ") + std::strerror(errno));
    }
    if (n == 0) {
      return fail(ErrorKind::data_loss, "the file ended at byte " + std::to_string(offset + done) +
                                            ", before " + std::to_string(offset + length));
    }
    CCTV_TRY(hasher->update(std::span(buffer.data(), static_cast<std::size_t>(n))));
    done += static_cast<std::uint64_t>(n);
  }
  return hasher->finish();
}

Result<PayloadDigests> digest_file(const std::filesystem::path& file) {
  const UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    return fail(ErrorKind::not_found, "open " + file.string() + ": " + std::strerror(errno));
  }
  std::error_code ec;
  const auto size = std::filesystem::file_size(file, ec);
  if (ec) return fail(ErrorKind::unavailable, "size of " + file.string() + ": " + ec.message());
  auto digests = digest_file_range(fd.get(), 0, size);
  if (!digests) return std::unexpected(digests.error().context(file.string()));
  return digests;
}

std::string base64(std::span<const unsigned char> data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data.data(),
                                static_cast<int>(data.size()));
  out.resize(static_cast<std::size_t>(std::max(n, 0)));
  return out;
}

Result<std::string> multipart_etag(const std::vector<Md5>& part_md5s) {
  auto hasher = PayloadHasher::create();
  if (!hasher) return std::unexpected(hasher.error());
  for (const Md5& md5 : part_md5s) {
    CCTV_TRY(hasher->update(std::as_bytes(std::span(md5))));
  }
  auto digests = hasher->finish();
  if (!digests) return std::unexpected(digests.error());
  return digests->md5_hex() + "-" + std::to_string(part_md5s.size());
}

}  // namespace cctv::worker::s3
