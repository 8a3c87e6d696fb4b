// An S3 client over libcurl for the worker's sync (issue 5), described in docs/s3.md:
// single PUTs streamed from a file, multipart uploads with parts sent in parallel, HEAD to
// verify, presigned GET URLs, DELETE. Every upload carries x-amz-content-sha256 (the
// payload's SHA-256, signed) and Content-MD5 (checked by S3 before it stores a byte);
// upload_file() then verifies the object with HEAD (size, and ETag = MD5 for a single PUT).
//
// Failures are Errors whose kind says whether a retry may help (s3::is_retryable:
// 5xx, SlowDown, timeouts, connection errors) or not (403 InvalidAccessKeyId /
// SignatureDoesNotMatch, 404 NoSuchBucket...), with a one-line message that carries S3's
// error Code and Message and never a secret, a signature or a presigned query. The client
// does not retry whole requests itself (the sync queue does, with backoff); multipart
// parts are retried a few times so that one hiccup does not resend a whole file.
//
// A Client holds one curl handle, reused for keep-alive: use it from one thread at a time.
// multipart_upload() opens its own handle per part thread.
#pragma once

#include "core/config.hpp"
#include "core/error.hpp"
#include "core/s3_sigv4.hpp"
#include "worker/s3_checksum.hpp"
#include "worker/s3_http.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace cctv::worker::s3 {

inline constexpr std::uint64_t k_mib = std::uint64_t{1} << 20U;
inline constexpr std::uint64_t k_min_part_size = 5 * k_mib;          // S3's minimum (not the last)
inline constexpr std::uint64_t k_max_single_put = 5 * 1024 * k_mib;  // 5 GiB
inline constexpr int k_max_parts = 10000;

struct ClientOptions {
  std::string endpoint;  // "scheme://host[:port]"; "" = https://s3.<region>.amazonaws.com
  std::string region = "us-east-1";
  std::string bucket;
  bool path_style = false;  // endpoint/bucket/key; else bucket.endpoint/key
  sigv4::Credentials credentials;
  std::string storage_class;  // x-amz-storage-class of new objects; "" = the bucket's default
  TransportOptions transport;
  std::uint64_t multipart_threshold = 64 * k_mib;   // upload_file: larger files go multipart
  std::uint64_t part_size = 16 * k_mib;             // raised to fit in k_max_parts parts
  int upload_concurrency = 4;                       // part threads, each with its own handle
  std::uint64_t upload_limit_bytes_per_second = 0;  // for all of one upload's parts; 0 = none
  int part_attempts = 3;                            // tries of a part on retryable errors
  std::chrono::milliseconds part_retry_delay{500};  // doubled after each failed try
  // The signing time; system_clock::now by default (a fixed clock in tests).
  std::function<std::chrono::system_clock::time_point()> clock;
  // Called by multipart_upload() (and so upload_file()) with the upload id as soon as
  // the upload is created, before any part is sent: the sync queue records it so that a
  // restart can abort an upload a crash interrupted.
  std::function<void(std::string_view key, std::string_view upload_id)> on_multipart_created;
};

// The client options of the worker's config (s3Config + awsCredentials).
ClientOptions client_options(const S3Config& config);

struct ObjectInfo {
  std::uint64_t size = 0;
  std::string etag;  // without quotes
};

struct CompletedPart {
  int number = 0;    // 1-based
  std::string etag;  // as the server returned it (quotes included)
  Md5 md5{};
};

struct UploadResult {
  std::string key;
  std::uint64_t size = 0;
  std::string etag;       // without quotes
  std::string md5_hex;    // MD5 of the whole file (single PUT); "" for multipart
  int parts = 0;          // 0 = single PUT
  bool verified = false;  // HEAD checked size and ETag
};

class Client {
 public:
  static Result<Client> create(ClientOptions options);

  [[nodiscard]] const ClientOptions& options() const { return m_options; }

  // Where `key` lives: "https://bucket.s3.eu-central-1.amazonaws.com/cam/a%20b.ts" or,
  // path-style, "http://127.0.0.1:4569/bucket/cam/a%20b.ts". Holds no secret.
  [[nodiscard]] std::string object_url(std::string_view key) const;
  // "s3://bucket/key", for messages.
  [[nodiscard]] std::string object_name(std::string_view key) const;

  // Uploads `file` as `key`: a single PUT up to multipart_threshold, else multipart; then
  // verifies the object with HEAD. A verification mismatch is a data_loss error.
  Result<UploadResult> upload_file(std::string_view key, const std::filesystem::path& file);

  // One PUT streamed from the file (at most 5 GiB), with x-amz-content-sha256, Content-MD5,
  // Content-Type from the extension and the storage class. Not verified: see upload_file.
  Result<UploadResult> put_object(std::string_view key, const std::filesystem::path& file);

  // The whole multipart sequence: create, parts in parallel (each with Content-MD5, retried
  // part_attempts times when retryable), complete; aborted when it fails. Not verified.
  Result<UploadResult> multipart_upload(std::string_view key, const std::filesystem::path& file);

  // The steps, for a caller that records the upload id to resume or abort it later.
  Result<std::string> create_multipart_upload(std::string_view key, std::string_view content_type);
  Result<CompletedPart> upload_part(std::string_view key, std::string_view upload_id,
                                    int part_number, const std::filesystem::path& file,
                                    std::uint64_t offset, std::uint64_t length);
  // Returns the object's ETag (without quotes).
  Result<std::string> complete_multipart_upload(std::string_view key, std::string_view upload_id,
                                                const std::vector<CompletedPart>& parts);
  Result<void> abort_multipart_upload(std::string_view key, std::string_view upload_id);

  // Size and ETag; ErrorKind::not_found when there is no such object.
  Result<ObjectInfo> head_object(std::string_view key);
  // Deletes `key` (no error when it does not exist, as S3 answers 204 either way).
  Result<void> delete_object(std::string_view key);

  // A URL that lets anyone GET `key` for `expiry` (1 s .. 7 days) from now. It is a
  // credential: never log it (log::redact_url drops its query).
  [[nodiscard]] Result<std::string> presign_get(std::string_view key,
                                                std::chrono::seconds expiry) const;

 private:
  struct Endpoint {
    std::string scheme;     // "https"
    std::string authority;  // "s3.eu-central-1.amazonaws.com", "127.0.0.1:4569"
  };
  Client(ClientOptions options, Endpoint endpoint, HttpConnection connection)
      : m_options(std::move(options)),
        m_endpoint(std::move(endpoint)),
        m_connection(std::move(connection)) {}

  // A signed request for `key` ("" = the bucket itself).
  [[nodiscard]] Result<HttpRequest> signed_request(std::string_view method, std::string_view key,
                                                   sigv4::Params query, sigv4::Params headers,
                                                   std::string payload_sha256) const;
  [[nodiscard]] sigv4::Request sigv4_request(std::string_view method, std::string_view key) const;
  // Sends `request` on `connection` and turns a non-2xx answer into an Error.
  Result<HttpResponse> send(HttpConnection& connection, const HttpRequest& request,
                            std::string_view what) const;
  Result<CompletedPart> upload_part_on(HttpConnection& connection, std::string_view key,
                                       std::string_view upload_id, int part_number, int fd,
                                       std::uint64_t offset, std::uint64_t length) const;
  Result<ObjectInfo> verify(std::string_view key, const UploadResult& upload);
  [[nodiscard]] std::chrono::sys_seconds now() const;

  ClientOptions m_options;
  Endpoint m_endpoint;
  HttpConnection m_connection;
};

// The Content-Type of a file, by its extension: video/mp2t (.ts), video/mp4 (.mp4),
// application/vnd.apple.mpegurl (.m3u8), text/plain (.sha512sum, .txt, .duration),
// application/octet-stream otherwise.
std::string_view content_type_for(const std::filesystem::path& file);

// The part size for a file of `size` bytes: `preferred`, at least 5 MiB, and large enough
// that the file fits in 10,000 parts.
std::uint64_t part_size_for(std::uint64_t size, std::uint64_t preferred);

}  // namespace cctv::worker::s3
