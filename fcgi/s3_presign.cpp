#include "fcgi/s3_presign.hpp"

#include "core/s3_sigv4.hpp"

#include <algorithm>
#include <cctype>

namespace cctv::web {

Result<Presigner> Presigner::create(const S3Config& s3) {
  if (!s3.enabled()) return fail(ErrorKind::invalid_argument, "S3 is off");
  if (s3.access_key_id.empty() || s3.secret_access_key.empty()) {
    return fail(ErrorKind::invalid_argument, "S3: no credentials");
  }
  std::string url =
      s3.endpoint.empty() ? "https://s3." + s3.region + ".amazonaws.com" : s3.endpoint;
  while (url.ends_with('/')) url.pop_back();
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos) {
    return fail(ErrorKind::invalid_argument, "S3 endpoint \"" + url + "\" has no scheme");
  }
  std::string scheme = url.substr(0, scheme_end);
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::string authority = url.substr(scheme_end + 3);
  if ((scheme != "http" && scheme != "https") || authority.empty() ||
      authority.find_first_of("/?#@") != std::string::npos) {
    return fail(ErrorKind::invalid_argument,
                "S3 endpoint \"" + url + "\" is not http(s)://host[:port]");
  }
  return Presigner(s3, std::move(scheme), std::move(authority));
}

Result<std::string> Presigner::url(std::string_view key, std::chrono::sys_seconds signed_at,
                                   std::chrono::seconds expiry) const {
  if (key.empty() || key.starts_with('/')) {
    return fail(ErrorKind::invalid_argument, "S3 key \"" + std::string(key) + "\" is not valid");
  }
  sigv4::Request r;
  r.method = "GET";
  if (m_s3.path_style) {
    r.host = m_authority;
    r.path = "/" + m_s3.bucket + "/" + std::string(key);
  } else {
    r.host = m_s3.bucket + "." + m_authority;
    r.path = "/" + std::string(key);
  }
  const sigv4::Credentials credentials{m_s3.access_key_id, m_s3.secret_access_key,
                                       m_s3.session_token};
  auto query = sigv4::presign(r, credentials, m_s3.region, signed_at, expiry);
  if (!query)
    return std::unexpected(
        query.error().context("presign s3://" + m_s3.bucket + "/" + std::string(key)));
  return m_scheme + "://" + r.host + sigv4::canonical_uri(r.path) + "?" + *query;
}

std::chrono::seconds presign_step(std::chrono::seconds expiry) {
  return std::clamp(expiry / 4, std::chrono::seconds{60}, std::chrono::seconds{3600});
}

std::chrono::sys_seconds presign_time(std::chrono::sys_seconds now, std::chrono::seconds expiry) {
  const auto step = presign_step(expiry).count();
  const auto t = now.time_since_epoch().count();
  return std::chrono::sys_seconds{std::chrono::seconds{t - t % step}};
}

}  // namespace cctv::web
