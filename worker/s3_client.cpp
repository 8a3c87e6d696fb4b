#include "worker/s3_client.hpp"

#include "core/unique_fd.hpp"
#include "worker/s3_error.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <optional>
#include <thread>

namespace cctv::worker::s3 {

namespace {

std::string unquote(std::string_view etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') {
    etag = etag.substr(1, etag.size() - 2);
  }
  return std::string(etag);
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

struct OpenFile {
  UniqueFd fd;
  std::uint64_t size = 0;
};

Result<OpenFile> open_file(const std::filesystem::path& file) {
  OpenFile out;
  out.fd = UniqueFd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!out.fd.valid()) {
    return fail(errno == ENOENT ? ErrorKind::not_found : ErrorKind::unavailable,
                "open " + file.string() + ": " + std::strerror(errno));
  }
  struct stat st {};
  if (::fstat(out.fd.get(), &st) != 0) {
    return fail(ErrorKind::unavailable, "stat " + file.string() + ": " + std::strerror(errno));
  }
  if (!S_ISREG(st.st_mode)) {
    return fail(ErrorKind::invalid_argument, file.string() + ": not a regular file");
  }
  out.size = static_cast<std::uint64_t>(st.st_size);
  return out;
}

Result<void> check_key(std::string_view key) {
  if (key.empty() || key.size() > 1024 || key.starts_with('/')) {
    return fail(ErrorKind::invalid_argument,
                "S3 key \"" + std::string(key) + "\" is empty, too long or starts with '/'");
  }
  return {};
}

// The <Part> list of a CompleteMultipartUpload request.
std::string complete_body(const std::vector<CompletedPart>& parts) {
  std::string xml = "<CompleteMultipartUpload>";
  for (const CompletedPart& p : parts) {
    xml += "<Part><PartNumber>";
    xml += std::to_string(p.number);
    xml += "</PartNumber><ETag>";
    xml += p.etag;
    xml += "</ETag></Part>";
  }
  xml += "</CompleteMultipartUpload>";
  return xml;
}

}  // namespace

std::string_view content_type_for(const std::filesystem::path& file) {
  const std::string ext = lower(file.extension().string());
  if (ext == ".ts") return "video/mp2t";
  if (ext == ".mp4" || ext == ".m4s") return "video/mp4";
  if (ext == ".m3u8") return "application/vnd.apple.mpegurl";
  if (ext == ".sha512sum" || ext == ".txt" || ext == ".duration") return "text/plain";
  if (ext == ".json") return "application/json";
  if (ext == ".jpg" || ext == ".jpeg") return "image/jpeg";
  return "application/octet-stream";
}

std::uint64_t part_size_for(std::uint64_t size, std::uint64_t preferred) {
  std::uint64_t part = std::max(preferred, k_min_part_size);
  const std::uint64_t fit = (size + k_max_parts - 1) / k_max_parts;
  if (fit > part) part = (fit + k_mib - 1) / k_mib * k_mib;
  return part;
}

ClientOptions client_options(const S3Config& config) {
  ClientOptions o;
  o.endpoint = config.endpoint;
  o.region = config.region;
  o.bucket = config.bucket;
  o.path_style = config.path_style;
  o.credentials = {config.access_key_id, config.secret_access_key, config.session_token};
  o.storage_class = config.storage_class;
  o.transport.verify_tls = config.verify_tls;
  o.multipart_threshold = static_cast<std::uint64_t>(config.multipart_threshold_mb) * k_mib;
  o.part_size = static_cast<std::uint64_t>(config.multipart_part_size_mb) * k_mib;
  o.upload_concurrency = config.upload_concurrency;
  o.upload_limit_bytes_per_second = static_cast<std::uint64_t>(config.upload_limit_kbps) * 1024;
  return o;
}

Result<Client> Client::create(ClientOptions options) {
  if (options.bucket.empty()) return fail(ErrorKind::invalid_argument, "S3: no bucket");
  if (options.region.empty()) return fail(ErrorKind::invalid_argument, "S3: no region");
  if (options.credentials.access_key_id.empty() || options.credentials.secret_access_key.empty()) {
    return fail(ErrorKind::invalid_argument, "S3: no credentials");
  }
  std::string url = options.endpoint.empty() ? "https://s3." + options.region + ".amazonaws.com"
                                             : options.endpoint;
  while (url.ends_with('/')) url.pop_back();
  const auto scheme_end = url.find("://");
  Endpoint endpoint;
  if (scheme_end != std::string::npos) {
    endpoint.scheme = lower(url.substr(0, scheme_end));
    endpoint.authority = url.substr(scheme_end + 3);
  }
  if ((endpoint.scheme != "http" && endpoint.scheme != "https") || endpoint.authority.empty() ||
      endpoint.authority.find_first_of("/?#@") != std::string::npos) {
    return fail(ErrorKind::invalid_argument,
                "S3 endpoint \"" + url + "\" is not http(s)://host[:port]");
  }
  options.upload_concurrency = std::clamp(options.upload_concurrency, 1, 64);
  options.part_attempts = std::max(options.part_attempts, 1);
  auto connection = HttpConnection::create(options.transport);
  if (!connection) return std::unexpected(connection.error());
  return Client(std::move(options), std::move(endpoint), std::move(*connection));
}

std::chrono::sys_seconds Client::now() const {
  const auto t = m_options.clock ? m_options.clock() : std::chrono::system_clock::now();
  return std::chrono::floor<std::chrono::seconds>(t);
}

sigv4::Request Client::sigv4_request(std::string_view method, std::string_view key) const {
  sigv4::Request r;
  r.method = std::string(method);
  if (m_options.path_style) {
    r.host = m_endpoint.authority;
    r.path = "/" + m_options.bucket;
    if (!key.empty()) r.path += "/" + std::string(key);
  } else {
    r.host = m_options.bucket + "." + m_endpoint.authority;
    r.path = "/" + std::string(key);
  }
  return r;
}

std::string Client::object_url(std::string_view key) const {
  const sigv4::Request r = sigv4_request("GET", key);
  return m_endpoint.scheme + "://" + r.host + sigv4::canonical_uri(r.path);
}

std::string Client::object_name(std::string_view key) const {
  return "s3://" + m_options.bucket + "/" + std::string(key);
}

Result<HttpRequest> Client::signed_request(std::string_view method, std::string_view key,
                                           sigv4::Params query, sigv4::Params headers,
                                           std::string payload_sha256) const {
  sigv4::Request r = sigv4_request(method, key);
  r.query = std::move(query);
  r.headers = std::move(headers);
  r.payload_sha256 = std::move(payload_sha256);
  auto signed_request = sigv4::sign(r, m_options.credentials, m_options.region, now());
  if (!signed_request) return std::unexpected(signed_request.error());
  HttpRequest out;
  out.method = r.method;
  out.url = m_endpoint.scheme + "://" + r.host + sigv4::canonical_uri(r.path);
  if (!r.query.empty()) out.url += "?" + sigv4::canonical_query(r.query);
  out.headers = std::move(signed_request->headers);
  out.headers.emplace_back("authorization", std::move(signed_request->authorization));
  return out;
}

Result<HttpResponse> Client::send(HttpConnection& connection, const HttpRequest& request,
                                  std::string_view what) const {
  auto response = connection.perform(request, what);
  if (!response) return response;
  if (response->status < 200 || response->status > 299) {
    return std::unexpected(http_error(what, response->status, response->body));
  }
  return response;
}

Result<UploadResult> Client::put_object(std::string_view key, const std::filesystem::path& file) {
  CCTV_TRY(check_key(key));
  const std::string what = "PUT " + object_name(key);
  auto opened = open_file(file);
  if (!opened) return std::unexpected(opened.error().context(what));
  if (opened->size > k_max_single_put) {
    return fail(ErrorKind::invalid_argument,
                what + ": " + file.string() + " is larger than 5 GiB: use a multipart upload");
  }
  auto digests = digest_file_range(opened->fd.get(), 0, opened->size);
  if (!digests) return std::unexpected(digests.error().context(what + ": " + file.string()));
  sigv4::Params headers{{"content-md5", digests->md5_base64()},
                        {"content-type", std::string(content_type_for(file))}};
  if (!m_options.storage_class.empty()) {
    headers.emplace_back("x-amz-storage-class", m_options.storage_class);
  }
  auto request = signed_request("PUT", key, {}, std::move(headers), digests->sha256_hex);
  if (!request) return std::unexpected(request.error().context(what));
  request->file_body = FileBody{opened->fd.get(), 0, opened->size};
  m_connection.set_send_limit(m_options.upload_limit_bytes_per_second);
  auto response = send(m_connection, *request, what);
  if (!response) return std::unexpected(response.error());
  UploadResult out;
  out.key = std::string(key);
  out.size = opened->size;
  out.etag = unquote(response->header("etag").value_or(""));
  out.md5_hex = digests->md5_hex();
  return out;
}

Result<std::string> Client::create_multipart_upload(std::string_view key,
                                                    std::string_view content_type) {
  CCTV_TRY(check_key(key));
  const std::string what = "CreateMultipartUpload " + object_name(key);
  sigv4::Params headers{{"content-type", std::string(content_type)}};
  if (!m_options.storage_class.empty()) {
    headers.emplace_back("x-amz-storage-class", m_options.storage_class);
  }
  auto request = signed_request("POST", key, {{"uploads", ""}}, std::move(headers),
                                std::string(sigv4::k_empty_payload_sha256));
  if (!request) return std::unexpected(request.error().context(what));
  auto response = send(m_connection, *request, what);
  if (!response) return std::unexpected(response.error());
  auto upload_id = xml_text(response->body, "UploadId");
  if (!upload_id || upload_id->empty()) {
    return fail(ErrorKind::unavailable, what + ": no UploadId in the answer");
  }
  return *upload_id;
}

Result<CompletedPart> Client::upload_part_on(HttpConnection& connection, std::string_view key,
                                             std::string_view upload_id, int part_number, int fd,
                                             std::uint64_t offset, std::uint64_t length) const {
  const std::string what = "UploadPart " + std::to_string(part_number) + " " + object_name(key);
  auto digests = digest_file_range(fd, offset, length);
  if (!digests) return std::unexpected(digests.error().context(what));
  auto request = signed_request(
      "PUT", key,
      {{"partNumber", std::to_string(part_number)}, {"uploadId", std::string(upload_id)}},
      {{"content-md5", digests->md5_base64()}}, digests->sha256_hex);
  if (!request) return std::unexpected(request.error().context(what));
  request->file_body = FileBody{fd, offset, length};
  auto response = send(connection, *request, what);
  if (!response) return std::unexpected(response.error());
  auto etag = response->header("etag");
  if (!etag || etag->empty()) return fail(ErrorKind::unavailable, what + ": no ETag in the answer");
  return CompletedPart{part_number, *etag, digests->md5};
}

Result<CompletedPart> Client::upload_part(std::string_view key, std::string_view upload_id,
                                          int part_number, const std::filesystem::path& file,
                                          std::uint64_t offset, std::uint64_t length) {
  CCTV_TRY(check_key(key));
  if (part_number < 1 || part_number > k_max_parts) {
    return fail(ErrorKind::invalid_argument,
                "part number " + std::to_string(part_number) + " is out of range 1..10000");
  }
  auto opened = open_file(file);
  if (!opened) return std::unexpected(opened.error());
  m_connection.set_send_limit(m_options.upload_limit_bytes_per_second);
  return upload_part_on(m_connection, key, upload_id, part_number, opened->fd.get(), offset,
                        length);
}

Result<std::string> Client::complete_multipart_upload(std::string_view key,
                                                      std::string_view upload_id,
                                                      const std::vector<CompletedPart>& parts) {
  const std::string what = "CompleteMultipartUpload " + object_name(key);
  const std::string body = complete_body(parts);
  auto digests = digest_bytes(body);
  if (!digests) return std::unexpected(digests.error().context(what));
  auto request =
      signed_request("POST", key, {{"uploadId", std::string(upload_id)}},
                     {{"content-md5", digests->md5_base64()}, {"content-type", "application/xml"}},
                     digests->sha256_hex);
  if (!request) return std::unexpected(request.error().context(what));
  request->body = body;
  auto response = send(m_connection, *request, what);
  if (!response) return std::unexpected(response.error());
  // S3 may answer 200 and still fail: the error is then in the body.
  if (response->body.find("<Error>") != std::string::npos) {
    const Error e = http_error(what, 500, response->body);
    return std::unexpected(
        Error{classify_http(500, parse_error_body(response->body).code), e.message});
  }
  auto etag = xml_text(response->body, "ETag");
  if (!etag || etag->empty()) return fail(ErrorKind::unavailable, what + ": no ETag in the answer");
  return unquote(*etag);
}

Result<void> Client::abort_multipart_upload(std::string_view key, std::string_view upload_id) {
  const std::string what = "AbortMultipartUpload " + object_name(key);
  auto request = signed_request("DELETE", key, {{"uploadId", std::string(upload_id)}}, {},
                                std::string(sigv4::k_empty_payload_sha256));
  if (!request) return std::unexpected(request.error().context(what));
  auto response = send(m_connection, *request, what);
  if (!response) return std::unexpected(response.error());
  return {};
}

Result<UploadResult> Client::multipart_upload(std::string_view key,
                                              const std::filesystem::path& file) {
  CCTV_TRY(check_key(key));
  const std::string what = "multipart upload of " + object_name(key);
  auto opened = open_file(file);
  if (!opened) return std::unexpected(opened.error().context(what));
  const std::uint64_t size = opened->size;
  const std::uint64_t part_size = part_size_for(size, m_options.part_size);
  const auto count =
      static_cast<int>(std::max<std::uint64_t>(1, (size + part_size - 1) / part_size));
  auto upload_id = create_multipart_upload(key, content_type_for(file));
  if (!upload_id) return std::unexpected(upload_id.error());
  if (m_options.on_multipart_created) m_options.on_multipart_created(key, *upload_id);

  std::vector<CompletedPart> parts(static_cast<std::size_t>(count));
  std::atomic<int> next{0};
  std::atomic<bool> failed{false};
  std::mutex error_mutex;
  std::optional<Error> first_error;
  const int threads = std::min(m_options.upload_concurrency, count);
  TransportOptions transport = m_options.transport;
  transport.max_send_bytes_per_second =
      m_options.upload_limit_bytes_per_second / static_cast<std::uint64_t>(threads);
  if (m_options.upload_limit_bytes_per_second > 0 && transport.max_send_bytes_per_second == 0) {
    transport.max_send_bytes_per_second = 1;
  }
  const auto record = [&](Error e) {
    const std::lock_guard lock(error_mutex);
    if (!first_error) first_error = std::move(e);
    failed = true;
  };
  const auto work = [&] {
    auto connection = HttpConnection::create(transport);
    if (!connection) {
      record(connection.error());
      return;
    }
    for (int index = next++; index < count && !failed; index = next++) {
      const std::uint64_t offset = static_cast<std::uint64_t>(index) * part_size;
      const std::uint64_t length = std::min(part_size, size - offset);
      auto delay = m_options.part_retry_delay;
      for (int attempt = 1;; ++attempt) {
        auto part = upload_part_on(*connection, key, *upload_id, index + 1, opened->fd.get(),
                                   offset, length);
        if (part) {
          parts[static_cast<std::size_t>(index)] = std::move(*part);
          break;
        }
        if (!is_retryable(part.error()) || attempt >= m_options.part_attempts || failed) {
          record(part.error());
          return;
        }
        std::this_thread::sleep_for(delay);
        delay *= 2;
      }
    }
  };
  {
    std::vector<std::jthread> pool;
    pool.reserve(static_cast<std::size_t>(threads));
    for (int i = 0; i < threads; ++i) pool.emplace_back(work);
  }  // joined

  if (failed) {
    Error e = first_error.value_or(Error{ErrorKind::internal, "a part failed"});
    if (auto aborted = abort_multipart_upload(key, *upload_id); !aborted) {
      e.message += "; the upload could not be aborted either (" + aborted.error().message + ")";
    }
    return std::unexpected(e);
  }
  auto etag = complete_multipart_upload(key, *upload_id, parts);
  if (!etag) return std::unexpected(etag.error());
  std::vector<Md5> md5s;
  md5s.reserve(parts.size());
  for (const CompletedPart& p : parts) md5s.push_back(p.md5);
  auto expected = multipart_etag(md5s);
  if (!expected) return std::unexpected(expected.error());
  if (etag->find('-') != std::string::npos && lower(*etag) != *expected) {
    return fail(ErrorKind::data_loss,
                what + ": the server's ETag " + *etag + " is not the parts' " + *expected);
  }
  UploadResult out;
  out.key = std::string(key);
  out.size = size;
  out.etag = *etag;
  out.parts = count;
  return out;
}

Result<ObjectInfo> Client::head_object(std::string_view key) {
  CCTV_TRY(check_key(key));
  const std::string what = "HEAD " + object_name(key);
  auto request = signed_request("HEAD", key, {}, {}, std::string(sigv4::k_empty_payload_sha256));
  if (!request) return std::unexpected(request.error().context(what));
  auto response = send(m_connection, *request, what);
  if (!response) return std::unexpected(response.error());
  ObjectInfo info;
  const std::string length = response->header("content-length").value_or("");
  if (length.empty() || length.find_first_not_of("0123456789") != std::string::npos) {
    return fail(ErrorKind::unavailable, what + ": no Content-Length in the answer");
  }
  info.size = std::stoull(length);
  info.etag = unquote(response->header("etag").value_or(""));
  return info;
}

Result<void> Client::delete_object(std::string_view key) {
  CCTV_TRY(check_key(key));
  const std::string what = "DELETE " + object_name(key);
  auto request = signed_request("DELETE", key, {}, {}, std::string(sigv4::k_empty_payload_sha256));
  if (!request) return std::unexpected(request.error().context(what));
  auto response = send(m_connection, *request, what);
  if (!response) return std::unexpected(response.error());
  return {};
}

Result<std::string> Client::presign_get(std::string_view key, std::chrono::seconds expiry) const {
  CCTV_TRY(check_key(key));
  const sigv4::Request r = sigv4_request("GET", key);
  auto query = sigv4::presign(r, m_options.credentials, m_options.region, now(), expiry);
  if (!query) return std::unexpected(query.error().context("presign " + object_name(key)));
  return m_endpoint.scheme + "://" + r.host + sigv4::canonical_uri(r.path) + "?" + *query;
}

Result<ObjectInfo> Client::verify(std::string_view key, const UploadResult& upload) {
  const std::string what = "verify " + object_name(key);
  auto info = head_object(key);
  if (!info) return std::unexpected(info.error().context("verify"));
  if (info->size != upload.size) {
    return fail(ErrorKind::data_loss, what + ": the object has " + std::to_string(info->size) +
                                          " bytes, the file " + std::to_string(upload.size));
  }
  const std::string expected = upload.parts == 0 ? upload.md5_hex : upload.etag;
  if (lower(info->etag) != lower(expected)) {
    return fail(ErrorKind::data_loss, what + ": ETag " + info->etag + ", expected " + expected +
                                          (upload.parts == 0 ? " (the file's MD5)" : ""));
  }
  return info;
}

Result<UploadResult> Client::upload_file(std::string_view key, const std::filesystem::path& file) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(file, ec);
  if (ec) {
    return fail(
        ec == std::errc::no_such_file_or_directory ? ErrorKind::not_found : ErrorKind::unavailable,
        "upload " + file.string() + ": " + ec.message());
  }
  auto result =
      size > m_options.multipart_threshold ? multipart_upload(key, file) : put_object(key, file);
  if (!result) return result;
  auto verified = verify(key, *result);
  if (!verified) return std::unexpected(verified.error());
  result->verified = true;
  return result;
}

}  // namespace cctv::worker::s3
