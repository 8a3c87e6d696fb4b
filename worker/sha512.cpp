#include "worker/sha512.hpp"

#include "core/files.hpp"
#include "core/unique_fd.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>
#include <vector>

namespace cctv::worker {

namespace {

Result<void> write_all(int fd, std::string_view data, const std::string& what) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return std::unexpected(errno_error("write " + what));
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

}  // namespace

void Sha512::Free::operator()(evp_md_ctx_st* ctx) const { EVP_MD_CTX_free(ctx); }

Result<Sha512> Sha512::create() {
  std::unique_ptr<evp_md_ctx_st, Free> ctx(EVP_MD_CTX_new());
  if (!ctx) return fail(ErrorKind::internal, "EVP_MD_CTX_new failed");
  if (EVP_DigestInit_ex(ctx.get(), EVP_sha512(), nullptr) != 1) {
    return fail(ErrorKind::internal, "EVP_DigestInit_ex(sha512) failed");
  }
  return Sha512(std::move(ctx));
}

Result<void> Sha512::update(std::span<const std::byte> data) {
  if (m_done) return fail(ErrorKind::internal, "sha512 updated after its digest");
  if (EVP_DigestUpdate(m_ctx.get(), data.data(), data.size()) != 1) {
    return fail(ErrorKind::internal, "EVP_DigestUpdate failed");
  }
  return {};
}

Result<void> Sha512::update(std::string_view data) {
  return update(std::as_bytes(std::span(data.data(), data.size())));
}

Result<std::string> Sha512::hex() {
  if (m_done) return fail(ErrorKind::internal, "sha512 digest taken twice");
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(m_ctx.get(), digest.data(), &length) != 1) {
    return fail(ErrorKind::internal, "EVP_DigestFinal_ex failed");
  }
  m_done = true;
  static constexpr std::string_view k_digits = "0123456789abcdef";
  std::string text;
  text.reserve(static_cast<std::size_t>(length) * 2);
  for (unsigned int i = 0; i < length; ++i) {
    const unsigned char byte = digest.at(i);
    text.push_back(k_digits[byte >> 4U]);
    text.push_back(k_digits[byte & 0x0fU]);
  }
  return text;
}

Result<std::string> sha512_file(const std::filesystem::path& file) {
  const UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return std::unexpected(errno_error("open " + file.string()));
  auto hash = Sha512::create();
  if (!hash) return std::unexpected(hash.error());
  std::vector<std::byte> buffer(std::size_t{1} << 20U);
  for (;;) {
    const ssize_t n = ::read(fd.get(), buffer.data(), buffer.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return std::unexpected(errno_error("read " + file.string()));
    }
    if (n == 0) break;
    CCTV_TRY(hash->update(std::span(buffer.data(), static_cast<std::size_t>(n))));
  }
  return hash->hex();
}

std::filesystem::path sha512sum_path(const std::filesystem::path& file) {
  std::filesystem::path sum = file;
  sum += ".sha512sum";
  return sum;
}

Result<std::string> write_sha512sum(const std::filesystem::path& file) {
  auto digest = sha512_file(file);
  if (!digest) return std::unexpected(digest.error());
  const std::filesystem::path sum = sha512sum_path(file);
  std::filesystem::path tmp = sum;
  tmp += ".part";
  const std::string line = *digest + "  " + file.filename().string() + "\n";
  {
    const UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!fd.valid()) return std::unexpected(errno_error("create " + tmp.string()));
    CCTV_TRY(write_all(fd.get(), line, tmp.string()));
    if (::fsync(fd.get()) != 0) return std::unexpected(errno_error("fsync " + tmp.string()));
  }
  if (::rename(tmp.c_str(), sum.c_str()) != 0) {
    return std::unexpected(errno_error("rename " + tmp.string()));
  }
  const std::filesystem::path dir = file.has_parent_path() ? file.parent_path() : ".";
  CCTV_TRY(fsync_path(dir, true));
  return digest;
}

Result<bool> verify_sha512sum(const std::filesystem::path& file) {
  const std::filesystem::path sum = sha512sum_path(file);
  std::ifstream in(sum);
  if (!in) return fail(ErrorKind::not_found, "cannot read " + sum.string());
  std::string line;
  std::getline(in, line);
  const std::string expected_name = "  " + file.filename().string();
  if (line.size() != 128 + expected_name.size() || !line.ends_with(expected_name)) {
    return false;
  }
  auto digest = sha512_file(file);
  if (!digest) return std::unexpected(digest.error());
  return line.compare(0, 128, *digest) == 0;
}

}  // namespace cctv::worker
