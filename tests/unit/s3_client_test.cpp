// Unit tests for worker/s3_client against a scripted HTTP server on loopback (FakeS3,
// in fake_s3.hpp): what a PUT, a multipart upload, a HEAD and an abort send, keep-alive,
// parallel parts, part retries, verification, error classes and messages, addressing and
// presigned URLs. The signatures themselves are checked by s3_sigv4_test (AWS's examples) and by
// tests/integration/test_s3.py against a server that verifies them.
#define BOOST_TEST_MODULE s3_client
#include <boost/test/unit_test.hpp>

#include "tests/unit/fake_s3.hpp"
#include "tests/unit/printers.hpp"
#include "tests/unit/temp_dir.hpp"
#include "worker/s3_client.hpp"
#include "worker/s3_error.hpp"

#include <atomic>
#include <chrono>
#include <fstream>
#include <string>

using namespace cctv;
using namespace cctv::worker;
using cctv::test::Bucket;
using cctv::test::FakeS3;
using namespace std::chrono_literals;

namespace {

constexpr std::string_view k_secret = "s3cr3t/x+y";

s3::ClientOptions options_for(const FakeS3& server) {
  s3::ClientOptions o;
  o.endpoint = server.endpoint();
  o.bucket = "cctv";
  o.path_style = true;
  o.credentials = {"AKIDTEST", std::string(k_secret), ""};
  o.part_retry_delay = 1ms;
  return o;
}

s3::Client client_for(const FakeS3& server, s3::ClientOptions o) {
  (void)server;
  auto client = s3::Client::create(std::move(o));
  BOOST_TEST_REQUIRE(client.has_value(), client.error().message);
  return std::move(*client);
}

std::filesystem::path write_file(const std::filesystem::path& path, std::size_t size) {
  std::string data(size, '\0');
  for (std::size_t i = 0; i < size; ++i) data[i] = static_cast<char>((i * 7 + i / 251) & 0xff);
  std::ofstream(path, std::ios::binary).write(data.data(), static_cast<std::streamsize>(size));
  return path;
}

std::string read_file(const std::filesystem::path& path) {
  std::string data(std::filesystem::file_size(path), '\0');
  std::ifstream(path, std::ios::binary)
      .read(data.data(), static_cast<std::streamsize>(data.size()));
  return data;
}

bool has_secret(std::string_view text) {
  return text.find(k_secret) != std::string_view::npos ||
         text.find("Signature=") != std::string_view::npos;
}

}  // namespace

// ---------------------------------------------------------------- pure parts

BOOST_AUTO_TEST_CASE(addressing_and_presigned_urls) {
  s3::ClientOptions aws;
  aws.region = "eu-central-1";
  aws.bucket = "cctv-archive";
  aws.credentials = {"AKIDTEST", std::string(k_secret), ""};
  aws.clock = [] { return std::chrono::sys_days{std::chrono::year{2026} / 11 / 21}; };
  auto virtual_hosted = s3::Client::create(aws);
  BOOST_TEST_REQUIRE(virtual_hosted.has_value());
  BOOST_TEST(virtual_hosted->object_url("front/2026-11-20/a b+c.ts") ==
             "https://cctv-archive.s3.eu-central-1.amazonaws.com/front/2026-11-20/a%20b%2Bc.ts");
  BOOST_TEST(virtual_hosted->object_name("front/x.ts") == "s3://cctv-archive/front/x.ts");
  auto url = virtual_hosted->presign_get("front/x.ts", 3600s);
  BOOST_TEST_REQUIRE(url.has_value());
  BOOST_TEST(
      url->starts_with("https://cctv-archive.s3.eu-central-1.amazonaws.com/front/x.ts?"
                       "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDTEST%2F20261121"
                       "%2Feu-central-1%2Fs3%2Faws4_request&X-Amz-Date=20261121T000000Z"
                       "&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature="),
      *url);
  BOOST_TEST(url->find(k_secret) == std::string::npos);
  BOOST_TEST(!virtual_hosted->presign_get("front/x.ts", 604801s).has_value());
  BOOST_TEST(!virtual_hosted->presign_get("", 60s).has_value());

  s3::ClientOptions local = aws;
  local.endpoint = "http://127.0.0.1:4569/";
  local.path_style = true;
  auto path_style = s3::Client::create(local);
  BOOST_TEST_REQUIRE(path_style.has_value());
  BOOST_TEST(path_style->object_url("cam/100%.ts") ==
             "http://127.0.0.1:4569/cctv-archive/cam/100%25.ts");
  BOOST_TEST(path_style->presign_get("cam/x.ts", 60s)
                 ->starts_with("http://127.0.0.1:4569/cctv-archive/cam/x.ts?"));
}

BOOST_AUTO_TEST_CASE(a_client_needs_a_bucket_credentials_and_a_valid_endpoint) {
  s3::ClientOptions o;
  o.bucket = "b";
  o.credentials = {"AKID", "s", ""};
  BOOST_TEST(s3::Client::create(o).has_value());
  o.endpoint = "ftp://x";
  BOOST_TEST(!s3::Client::create(o).has_value());
  o.endpoint = "http://x/path";
  BOOST_TEST(!s3::Client::create(o).has_value());
  o.endpoint.clear();
  o.credentials.secret_access_key.clear();
  BOOST_TEST(!s3::Client::create(o).has_value());
  o.credentials.secret_access_key = "s";
  o.bucket.clear();
  BOOST_TEST(!s3::Client::create(o).has_value());
}

BOOST_AUTO_TEST_CASE(options_from_the_config) {
  S3Config c;
  c.bucket = "b";
  c.endpoint = "http://127.0.0.1:9000";
  c.path_style = true;
  c.storage_class = "STANDARD_IA";
  c.multipart_threshold_mb = 8;
  c.multipart_part_size_mb = 6;
  c.upload_concurrency = 3;
  c.upload_limit_kbps = 100;
  c.verify_tls = false;
  c.access_key_id = "AKID";
  c.secret_access_key = "s";
  c.session_token = "t";
  const s3::ClientOptions o = s3::client_options(c);
  BOOST_TEST(o.bucket == "b");
  BOOST_TEST(o.path_style);
  BOOST_TEST(o.storage_class == "STANDARD_IA");
  BOOST_TEST(o.multipart_threshold == 8 * s3::k_mib);
  BOOST_TEST(o.part_size == 6 * s3::k_mib);
  BOOST_TEST(o.upload_concurrency == 3);
  BOOST_TEST(o.upload_limit_bytes_per_second == 102400U);
  BOOST_TEST(!o.transport.verify_tls);
  BOOST_TEST(o.credentials.session_token == "t");
}

BOOST_AUTO_TEST_CASE(content_types_and_part_sizes) {
  BOOST_TEST(s3::content_type_for("a/video_120000.ts") == "video/mp2t");
  BOOST_TEST(s3::content_type_for("video.MP4") == "video/mp4");
  BOOST_TEST(s3::content_type_for("video.mp4.sha512sum") == "text/plain");
  BOOST_TEST(s3::content_type_for("x.bin") == "application/octet-stream");
  BOOST_TEST(s3::part_size_for(100 * s3::k_mib, 16 * s3::k_mib) == 16 * s3::k_mib);
  BOOST_TEST(s3::part_size_for(100 * s3::k_mib, s3::k_mib) == 5 * s3::k_mib);
  // 200 GiB in 16 MiB parts would be 12,800 parts: raised to fit 10,000.
  const std::uint64_t big = 200ULL * 1024 * s3::k_mib;
  const std::uint64_t part = s3::part_size_for(big, 16 * s3::k_mib);
  BOOST_TEST((big + part - 1) / part <= 10000U);
  BOOST_TEST(part % s3::k_mib == 0U);
}

// ---------------------------------------------------------------- against FakeS3

BOOST_AUTO_TEST_CASE(a_put_sends_checksums_signed_headers_and_the_file) {
  Bucket bucket;
  FakeS3 server(std::ref(bucket));
  auto o = options_for(server);
  o.storage_class = "STANDARD_IA";
  auto client = client_for(server, o);
  const test::TempDir dir("s3-client");
  const auto file = write_file(dir.path() / "video_120000.ts", 300000);
  auto put = client.put_object("front/2026-11-20/video 120000.ts", file);
  BOOST_TEST_REQUIRE(put.has_value(), put.error().message);
  const std::string data = read_file(file);
  const auto digests = s3::digest_bytes(data);
  BOOST_TEST(put->etag == digests->md5_hex());
  BOOST_TEST(put->md5_hex == digests->md5_hex());
  BOOST_TEST(put->size == 300000U);
  const auto seen = server.requests().at(0);
  BOOST_TEST(seen.method == "PUT");
  BOOST_TEST(seen.target == "/cctv/front/2026-11-20/video%20120000.ts");
  BOOST_TEST(seen.body == data);
  BOOST_TEST(seen.headers.at("host") == "127.0.0.1:" + std::to_string(server.port()));
  BOOST_TEST(seen.headers.at("content-md5") == digests->md5_base64());
  BOOST_TEST(seen.headers.at("x-amz-content-sha256") == digests->sha256_hex);
  BOOST_TEST(seen.headers.at("content-type") == "video/mp2t");
  BOOST_TEST(seen.headers.at("x-amz-storage-class") == "STANDARD_IA");
  const std::string& auth = seen.headers.at("authorization");
  BOOST_TEST(auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIDTEST/"));
  BOOST_TEST(auth.find("SignedHeaders=content-md5;content-type;host;x-amz-content-sha256;"
                       "x-amz-date;x-amz-storage-class,") != std::string::npos,
             auth);
  BOOST_TEST(!has_secret(auth.substr(0, auth.find("Signature="))));
}

BOOST_AUTO_TEST_CASE(upload_file_verifies_with_head_and_keeps_the_connection) {
  Bucket bucket;
  FakeS3 server(std::ref(bucket));
  auto client = client_for(server, options_for(server));
  const test::TempDir dir("s3-client");
  const auto file = write_file(dir.path() / "a.ts", 1000);
  auto up = client.upload_file("cam/a.ts", file);
  BOOST_TEST_REQUIRE(up.has_value(), up.error().message);
  BOOST_TEST(up->verified);
  BOOST_TEST(up->parts == 0);
  auto head = client.head_object("cam/a.ts");
  BOOST_TEST_REQUIRE(head.has_value());
  BOOST_TEST(head->size == 1000U);
  BOOST_TEST(head->etag == up->md5_hex);
  const auto seen = server.requests();
  BOOST_TEST(seen.size() == 3U);  // PUT, HEAD, HEAD
  BOOST_TEST(seen.at(1).method == "HEAD");
  BOOST_TEST(server.connections() == 1);  // keep-alive
  auto missing = client.head_object("cam/missing.ts");
  BOOST_TEST_REQUIRE(!missing.has_value());
  BOOST_TEST(missing.error().kind == ErrorKind::not_found);
}

BOOST_AUTO_TEST_CASE(a_verification_mismatch_is_data_loss) {
  FakeS3 server([](const FakeS3::Seen& r) -> FakeS3::Reply {
    if (r.method == "PUT") return {200, {{"ETag", "\"00\""}}, ""};
    return {200, {{"ETag", "\"0123456789abcdef0123456789abcdef\""}, {"Content-Length", "10"}}, ""};
  });
  auto client = client_for(server, options_for(server));
  const test::TempDir dir("s3-client");
  auto up = client.upload_file("cam/a.ts", write_file(dir.path() / "a.ts", 10));
  BOOST_TEST_REQUIRE(!up.has_value());
  BOOST_TEST(up.error().kind == ErrorKind::data_loss);
  BOOST_TEST(up.error().message.find("ETag 0123456789abcdef0123456789abcdef") != std::string::npos,
             up.error().message);
  auto wrong_size = client.upload_file("cam/b.ts", write_file(dir.path() / "b.ts", 11));
  BOOST_TEST_REQUIRE(!wrong_size.has_value());
  BOOST_TEST(wrong_size.error().message.find("10 bytes, the file 11") != std::string::npos,
             wrong_size.error().message);
}

BOOST_AUTO_TEST_CASE(a_multipart_upload_sends_parts_in_parallel) {
  Bucket bucket;
  bucket.part_delay = 150ms;
  FakeS3 server(std::ref(bucket));
  auto o = options_for(server);
  o.multipart_threshold = 5 * s3::k_mib;
  o.part_size = 5 * s3::k_mib;
  o.upload_concurrency = 3;
  auto client = client_for(server, o);
  const test::TempDir dir("s3-client");
  const auto file = write_file(dir.path() / "video.mp4", 12 * s3::k_mib + 5);
  auto up = client.upload_file("cam/2026-11-20/video.mp4", file);
  BOOST_TEST_REQUIRE(up.has_value(), up.error().message);
  BOOST_TEST(up->parts == 3);
  BOOST_TEST(up->verified);
  BOOST_TEST(up->etag.ends_with("-3"));
  BOOST_TEST(bucket.object("/cctv/cam/2026-11-20/video.mp4") == read_file(file));
  BOOST_TEST(server.max_in_flight() >= 2);
  BOOST_TEST(server.connections() >= 3);  // the client's own + one per part thread
  // Complete lists the parts in order with the ETags the server gave.
  BOOST_TEST(bucket.complete_body.starts_with(
      "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\""));
  BOOST_TEST(bucket.complete_body.find("<PartNumber>3</PartNumber>") != std::string::npos);
  int parts_with_md5 = 0;
  for (const auto& r : server.requests()) {
    if (r.method == "PUT" && r.target.find("partNumber=") != std::string::npos) {
      BOOST_TEST(r.target.find("uploadId=up%2F1%2B2") != std::string::npos, r.target);
      BOOST_TEST(r.headers.at("content-md5") == s3::digest_bytes(r.body)->md5_base64());
      ++parts_with_md5;
    }
  }
  BOOST_TEST(parts_with_md5 == 3);
  BOOST_TEST(bucket.aborts == 0);
}

BOOST_AUTO_TEST_CASE(a_part_is_retried_on_a_retryable_error) {
  Bucket bucket;
  std::atomic<int> slow_downs{0};
  FakeS3 server([&](const FakeS3::Seen& r) -> FakeS3::Reply {
    if (r.target.find("partNumber=2") != std::string::npos && slow_downs < 2) {
      ++slow_downs;
      return {503,
              {},
              "<Error><Code>SlowDown</Code><Message>Please reduce your request "
              "rate.</Message></Error>"};
    }
    return bucket(r);
  });
  auto o = options_for(server);
  o.multipart_threshold = 5 * s3::k_mib;
  o.part_size = 5 * s3::k_mib;
  auto client = client_for(server, o);
  const test::TempDir dir("s3-client");
  auto up = client.upload_file("cam/big.bin", write_file(dir.path() / "big.bin", 11 * s3::k_mib));
  BOOST_TEST_REQUIRE(up.has_value(), up.error().message);
  BOOST_TEST(slow_downs == 2);
  BOOST_TEST(up->parts == 3);
}

BOOST_AUTO_TEST_CASE(a_failed_multipart_upload_is_aborted) {
  Bucket bucket;
  FakeS3 server([&](const FakeS3::Seen& r) -> FakeS3::Reply {
    if (r.target.find("partNumber=2") != std::string::npos) {
      return {403, {}, "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>"};
    }
    return bucket(r);
  });
  auto o = options_for(server);
  o.multipart_threshold = 5 * s3::k_mib;
  o.part_size = 5 * s3::k_mib;
  auto client = client_for(server, o);
  const test::TempDir dir("s3-client");
  auto up = client.upload_file("cam/big.bin", write_file(dir.path() / "big.bin", 11 * s3::k_mib));
  BOOST_TEST_REQUIRE(!up.has_value());
  BOOST_TEST(!s3::is_retryable(up.error()));
  BOOST_TEST(up.error().message ==
             "UploadPart 2 s3://cctv/cam/big.bin: HTTP 403 AccessDenied: Access Denied");
  BOOST_TEST(bucket.aborts == 1);
  const auto seen = server.requests();
  BOOST_TEST(seen.back().method == "DELETE");
  BOOST_TEST(seen.back().target == "/cctv/cam/big.bin?uploadId=up%2F1%2B2");
}

BOOST_AUTO_TEST_CASE(an_error_inside_a_200_complete_is_an_error) {
  Bucket bucket;
  FakeS3 server([&](const FakeS3::Seen& r) -> FakeS3::Reply {
    if (r.method == "POST" && r.target.find("uploadId=") != std::string::npos) {
      return {200,
              {},
              "<Error><Code>InternalError</Code><Message>We encountered an internal error. Please "
              "try again.</Message></Error>"};
    }
    return bucket(r);
  });
  auto o = options_for(server);
  o.multipart_threshold = 5 * s3::k_mib;
  auto client = client_for(server, o);
  const test::TempDir dir("s3-client");
  auto up = client.upload_file("cam/big.bin", write_file(dir.path() / "big.bin", 6 * s3::k_mib));
  BOOST_TEST_REQUIRE(!up.has_value());
  BOOST_TEST(s3::is_retryable(up.error()));
  BOOST_TEST(up.error().message.find("InternalError: We encountered an internal error") !=
                 std::string::npos,
             up.error().message);
}

BOOST_AUTO_TEST_CASE(errors_are_classified_and_carry_s3s_code_and_message_only) {
  std::atomic<int> status{403};
  FakeS3 server([&](const FakeS3::Seen&) -> FakeS3::Reply {
    if (status == 403) {
      return {403,
              {},
              "<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we "
              "calculated does not match the signature you "
              "provided.</Message><StringToSign>AWS4-HMAC-SHA256</StringToSign></Error>"};
    }
    if (status == 404)
      return {404,
              {},
              "<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not "
              "exist</Message></Error>"};
    return {
        503,
        {},
        "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"};
  });
  auto client = client_for(server, options_for(server));
  const test::TempDir dir("s3-client");
  const auto file = write_file(dir.path() / "a.ts", 100);
  auto denied = client.upload_file("cam/a.ts", file);
  BOOST_TEST_REQUIRE(!denied.has_value());
  BOOST_TEST(!s3::is_retryable(denied.error()));
  BOOST_TEST(denied.error().message ==
             "PUT s3://cctv/cam/a.ts: HTTP 403 SignatureDoesNotMatch: The request signature we "
             "calculated does not match the signature you provided.");
  BOOST_TEST(!has_secret(denied.error().message));
  status = 404;
  auto no_bucket = client.put_object("cam/a.ts", file);
  BOOST_TEST_REQUIRE(!no_bucket.has_value());
  BOOST_TEST(no_bucket.error().kind == ErrorKind::not_found);
  BOOST_TEST(no_bucket.error().message.find("NoSuchBucket") != std::string::npos);
  status = 503;
  auto slow = client.put_object("cam/a.ts", file);
  BOOST_TEST_REQUIRE(!slow.has_value());
  BOOST_TEST(s3::is_retryable(slow.error()));
  BOOST_TEST(slow.error().message.find("HTTP 503 SlowDown: Please reduce") != std::string::npos);
  // A local file that does not exist is not a server problem.
  auto missing = client.upload_file("cam/x.ts", dir.path() / "missing.ts");
  BOOST_TEST_REQUIRE(!missing.has_value());
  BOOST_TEST(missing.error().kind == ErrorKind::not_found);
}

BOOST_AUTO_TEST_CASE(a_stopped_server_is_retryable) {
  s3::ClientOptions o;
  {
    FakeS3 server([](const FakeS3::Seen&) { return FakeS3::Reply{}; });
    o = options_for(server);
  }  // stopped: its port is closed
  auto client = s3::Client::create(o);
  BOOST_TEST_REQUIRE(client.has_value());
  const test::TempDir dir("s3-client");
  auto up = client->upload_file("cam/a.ts", write_file(dir.path() / "a.ts", 100));
  BOOST_TEST_REQUIRE(!up.has_value());
  BOOST_TEST(s3::is_retryable(up.error()));
  BOOST_TEST(up.error().message.starts_with("PUT s3://cctv/cam/a.ts: Couldn't connect to server"),
             up.error().message);
}

BOOST_AUTO_TEST_CASE(the_upload_rate_is_limited) {
  Bucket bucket;
  FakeS3 server(std::ref(bucket));
  auto o = options_for(server);
  o.upload_limit_bytes_per_second = 256 * 1024;
  auto client = client_for(server, o);
  const test::TempDir dir("s3-client");
  const auto file = write_file(dir.path() / "a.ts", 512 * 1024);
  const auto start = std::chrono::steady_clock::now();
  auto up = client.put_object("cam/a.ts", file);
  const auto took = std::chrono::steady_clock::now() - start;
  BOOST_TEST_REQUIRE(up.has_value(), up.error().message);
  BOOST_TEST(took >= 1500ms, std::chrono::duration<double>(took).count() << " s");
  BOOST_TEST(took < 6s);
}

BOOST_AUTO_TEST_CASE(a_client_moves) {
  Bucket bucket;
  FakeS3 server(std::ref(bucket));
  auto a = client_for(server, options_for(server));
  s3::Client b = std::move(a);
  const test::TempDir dir("s3-client");
  BOOST_TEST(b.upload_file("cam/a.ts", write_file(dir.path() / "a.ts", 10)).has_value());
  auto c = client_for(server, options_for(server));
  c = std::move(b);
  BOOST_TEST(c.head_object("cam/a.ts").has_value());
}
