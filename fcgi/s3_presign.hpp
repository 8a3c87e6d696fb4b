// Presigned GET URLs for the web side: the playlist of a day whose files live only in S3
// (storageConfig.clearAfterUpload, day state `archived`) points at them, so any HLS
// player still plays it. Pure computation with the config's s3Config + awsCredentials:
// SigV4 query signing (core/s3_sigv4, the signer the worker's S3 client uses; the web
// programs link that one pure file, no curl), no network. The same addressing as the
// worker's s3::Client (path-style or virtual-hosted, docs/s3.md).
#pragma once

#include "core/config.hpp"
#include "core/error.hpp"

#include <chrono>
#include <string>
#include <string_view>

namespace cctv::web {

class Presigner {
 public:
  // Fails when S3 is off or the endpoint or credentials are unusable.
  static Result<Presigner> create(const S3Config& s3);

  // A URL that lets anyone GET `key` until `signed_at + expiry`. A credential: never log it.
  [[nodiscard]] Result<std::string> url(std::string_view key, std::chrono::sys_seconds signed_at,
                                        std::chrono::seconds expiry) const;

 private:
  Presigner(S3Config s3, std::string scheme, std::string authority)
      : m_s3(std::move(s3)), m_scheme(std::move(scheme)), m_authority(std::move(authority)) {}
  S3Config m_s3;
  std::string m_scheme;     // "https"
  std::string m_authority;  // "s3.eu-central-1.amazonaws.com", "127.0.0.1:4569"
};

// When the URLs of a playlist are signed: `now` rounded down to a step of a quarter of
// the validity (at least 1 min, at most 1 h), so that a playlist stays the same (ETag,
// caches) for that step and every URL in it is valid for at least 3/4 of `expiry`.
std::chrono::sys_seconds presign_time(std::chrono::sys_seconds now, std::chrono::seconds expiry);
std::chrono::seconds presign_step(std::chrono::seconds expiry);

}  // namespace cctv::web
