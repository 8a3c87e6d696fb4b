// Unit tests for core/s3_sigv4: AWS's published S3 examples ("Signature Calculations for
// the Authorization Header: Transferring Payload in a Single Chunk" and "Authenticating
// Requests: Using Query Parameters"), every expected value copied from AWS's pages, plus
// the encoding rules and the session token.
#define BOOST_TEST_MODULE s3_sigv4
#include <boost/test/unit_test.hpp>

#include "core/s3_sigv4.hpp"

#include <chrono>
#include <string>
#include <string_view>

using namespace cctv;
using namespace std::chrono;

namespace {

// The examples' inputs.
const sigv4::Credentials k_example{"AKIAIOSFODNN7EXAMPLE",
                                   "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""};
constexpr std::string_view k_host = "examplebucket.s3.amazonaws.com";
constexpr std::string_view k_region = "us-east-1";
constexpr sys_seconds k_time = sys_days{year{2013} / May / 24};

sigv4::SignedRequest sign(const sigv4::Request& request,
                          const sigv4::Credentials& credentials = k_example) {
  auto signed_request = sigv4::sign(request, credentials, k_region, k_time);
  BOOST_TEST_REQUIRE(signed_request.has_value(), signed_request.error().message);
  return *signed_request;
}

std::string scope_line() {
  return "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n";
}

std::string auth(std::string_view signed_headers, std::string_view signature) {
  return "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
         "SignedHeaders=" +
         std::string(signed_headers) + ",Signature=" + std::string(signature);
}

}  // namespace

// ---------------------------------------------------------------- AWS's examples

BOOST_AUTO_TEST_CASE(aws_example_get_object_with_range) {
  sigv4::Request r;
  r.method = "GET";
  r.host = k_host;
  r.path = "/test.txt";
  r.headers = {{"Range", "bytes=0-9"}};
  const auto s = sign(r);
  BOOST_TEST(s.canonical_request ==
             "GET\n/test.txt\n\n"
             "host:examplebucket.s3.amazonaws.com\n"
             "range:bytes=0-9\n"
             "x-amz-content-sha256:"
             "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
             "x-amz-date:20130524T000000Z\n\n"
             "host;range;x-amz-content-sha256;x-amz-date\n"
             "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  BOOST_TEST(s.string_to_sign ==
             scope_line() + "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
  BOOST_TEST(s.authorization ==
             auth("host;range;x-amz-content-sha256;x-amz-date",
                  "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"));
}

BOOST_AUTO_TEST_CASE(aws_example_put_object) {
  const auto payload = sigv4::sha256_hex("Welcome to Amazon S3.");
  BOOST_TEST_REQUIRE(payload.has_value());
  BOOST_TEST(*payload == "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  sigv4::Request r;
  r.method = "PUT";
  r.host = k_host;
  r.path = "/test$file.text";  // raw: '$' is encoded once, as %24
  r.headers = {{"Date", "Fri, 24 May 2013 00:00:00 GMT"},
               {"x-amz-storage-class", "REDUCED_REDUNDANCY"}};
  r.payload_sha256 = *payload;
  const auto s = sign(r);
  BOOST_TEST(s.canonical_request ==
             "PUT\n/test%24file.text\n\n"
             "date:Fri, 24 May 2013 00:00:00 GMT\n"
             "host:examplebucket.s3.amazonaws.com\n"
             "x-amz-content-sha256:"
             "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072\n"
             "x-amz-date:20130524T000000Z\n"
             "x-amz-storage-class:REDUCED_REDUNDANCY\n\n"
             "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class\n"
             "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  BOOST_TEST(s.string_to_sign ==
             scope_line() + "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d");
  BOOST_TEST(s.authorization ==
             auth("date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
                  "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"));
}

BOOST_AUTO_TEST_CASE(aws_example_get_bucket_lifecycle) {
  sigv4::Request r;
  r.method = "GET";
  r.host = k_host;
  r.path = "/";
  r.query = {{"lifecycle", ""}};
  const auto s = sign(r);
  BOOST_TEST(s.canonical_request ==
             "GET\n/\nlifecycle=\n"
             "host:examplebucket.s3.amazonaws.com\n"
             "x-amz-content-sha256:"
             "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
             "x-amz-date:20130524T000000Z\n\n"
             "host;x-amz-content-sha256;x-amz-date\n"
             "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  BOOST_TEST(s.string_to_sign ==
             scope_line() + "9766c798316ff2757b517bc739a67f6213b4ab36dd5da2f94eaebf79c77395ca");
  BOOST_TEST(s.authorization ==
             auth("host;x-amz-content-sha256;x-amz-date",
                  "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"));
}

BOOST_AUTO_TEST_CASE(aws_example_get_bucket_list_objects) {
  sigv4::Request r;
  r.method = "GET";
  r.host = k_host;
  r.path = "/";
  r.query = {{"prefix", "J"}, {"max-keys", "2"}};  // sorted by the signer
  const auto s = sign(r);
  BOOST_TEST(s.canonical_request ==
             "GET\n/\nmax-keys=2&prefix=J\n"
             "host:examplebucket.s3.amazonaws.com\n"
             "x-amz-content-sha256:"
             "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
             "x-amz-date:20130524T000000Z\n\n"
             "host;x-amz-content-sha256;x-amz-date\n"
             "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  BOOST_TEST(s.string_to_sign ==
             scope_line() + "df57d21db20da04d7fa30298dd4488ba3a2b47ca3a489c74750e0f1e7df1b9b7");
  BOOST_TEST(s.authorization ==
             auth("host;x-amz-content-sha256;x-amz-date",
                  "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"));
}

BOOST_AUTO_TEST_CASE(aws_example_presigned_get) {
  sigv4::Request r;
  r.method = "GET";
  r.host = k_host;
  r.path = "/test.txt";
  auto query = sigv4::presign(r, k_example, k_region, k_time, seconds(86400));
  BOOST_TEST_REQUIRE(query.has_value(), query.error().message);
  BOOST_TEST(*query ==
             "X-Amz-Algorithm=AWS4-HMAC-SHA256"
             "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
             "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
             "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
  // The published string to sign of that example.
  sigv4::Request canonical = r;
  canonical.headers = {{"host", std::string(k_host)}};
  canonical.query = {
      {"X-Amz-Algorithm", "AWS4-HMAC-SHA256"},
      {"X-Amz-Credential", "AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request"},
      {"X-Amz-Date", "20130524T000000Z"},
      {"X-Amz-Expires", "86400"},
      {"X-Amz-SignedHeaders", "host"}};
  canonical.payload_sha256 = sigv4::k_unsigned_payload;
  auto to_sign = sigv4::string_to_sign(k_time, k_region, sigv4::canonical_request(canonical));
  BOOST_TEST_REQUIRE(to_sign.has_value());
  BOOST_TEST(*to_sign ==
             scope_line() + "3bfa292879f6447bbcda7001decf97f4a54dc650c8942174ae0a9121cf58ad04");
}

// ---------------------------------------------------------------- the pieces

BOOST_AUTO_TEST_CASE(amz_date_and_scope) {
  BOOST_TEST(sigv4::amz_date(k_time) == "20130524T000000Z");
  const sys_seconds later = sys_days{year{2026} / November / 21} + hours(9) + minutes(5) + 7s;
  BOOST_TEST(sigv4::amz_date(later) == "20261121T090507Z");
  BOOST_TEST(sigv4::credential_scope(later, "eu-central-1") ==
             "20261121/eu-central-1/s3/aws4_request");
}

BOOST_AUTO_TEST_CASE(uri_encoding_follows_s3s_rules) {
  BOOST_TEST(sigv4::uri_encode("AZaz09-._~", false) == "AZaz09-._~");
  BOOST_TEST(sigv4::uri_encode("a b+c/d=e&f%", false) == "a%20b%2Bc%2Fd%3De%26f%25");
  BOOST_TEST(sigv4::uri_encode("a b+c/d", true) == "a%20b%2Bc/d");
  BOOST_TEST(sigv4::uri_encode("\xc3\xa9", true) == "%C3%A9");  // UTF-8 bytes, uppercase hex
  BOOST_TEST(sigv4::canonical_uri("") == "/");
  BOOST_TEST(sigv4::canonical_uri("/cctv/front/2026-11-20/video_000010.ts") ==
             "/cctv/front/2026-11-20/video_000010.ts");
  // Raw text in, encoded once: a '%' in a key is a character of the key.
  BOOST_TEST(sigv4::canonical_uri("/b/100%.ts") == "/b/100%25.ts");
  BOOST_TEST(sigv4::canonical_uri("/b/a//c") == "/b/a//c");  // S3 does not normalize paths
}

BOOST_AUTO_TEST_CASE(canonical_query_sorts_encoded_names_and_values) {
  BOOST_TEST(sigv4::canonical_query({}) == "");
  BOOST_TEST(sigv4::canonical_query({{"uploads", ""}}) == "uploads=");
  BOOST_TEST(sigv4::canonical_query({{"uploadId", "a/b+c"}, {"partNumber", "10"}}) ==
             "partNumber=10&uploadId=a%2Fb%2Bc");
  BOOST_TEST(sigv4::canonical_query({{"b", "2"}, {"a", "z"}, {"a", "y"}}) == "a=y&a=z&b=2");
}

BOOST_AUTO_TEST_CASE(canonical_headers_lowercase_trim_and_sort) {
  const auto h = sigv4::canonical_headers(
      {{"X-Amz-Meta-B", "  two   words  "}, {"Host", "h"}, {"x-amz-meta-b", "again"}});
  BOOST_TEST(h.text == "host:h\nx-amz-meta-b:two words,again\n");
  BOOST_TEST(h.signed_headers == "host;x-amz-meta-b");
}

BOOST_AUTO_TEST_CASE(signed_headers_are_returned_to_send) {
  sigv4::Request r;
  r.method = "HEAD";
  r.host = "127.0.0.1:4569";
  r.path = "/cctv/a b.ts";
  const auto s = sign(r);
  BOOST_TEST(s.headers.size() == 3U);
  BOOST_TEST(s.headers.at(0).first == "host");
  BOOST_TEST(s.headers.at(0).second == "127.0.0.1:4569");
  BOOST_TEST(s.headers.at(1).first == "x-amz-content-sha256");
  BOOST_TEST(s.headers.at(2).first == "x-amz-date");
  BOOST_TEST(s.headers.at(2).second == "20130524T000000Z");
  BOOST_TEST(s.canonical_request.starts_with("HEAD\n/cctv/a%20b.ts\n\nhost:127.0.0.1:4569\n"));
}

BOOST_AUTO_TEST_CASE(a_session_token_is_signed_as_a_header) {
  sigv4::Request r;
  r.method = "GET";
  r.host = k_host;
  r.path = "/test.txt";
  sigv4::Credentials temporary = k_example;
  temporary.session_token = "FQoGZXIvYXdzE/token+x=";
  const auto s = sign(r, temporary);
  BOOST_TEST(s.signed_headers == "host;x-amz-content-sha256;x-amz-date;x-amz-security-token");
  BOOST_TEST(s.canonical_request.find("x-amz-security-token:FQoGZXIvYXdzE/token+x=\n") !=
             std::string::npos);
  bool sent = false;
  for (const auto& [name, value] : s.headers) {
    sent = sent || (name == "x-amz-security-token" && value == temporary.session_token);
  }
  BOOST_TEST(sent);
  // It changes the signature.
  BOOST_TEST(s.authorization != sign(r).authorization);
}

BOOST_AUTO_TEST_CASE(a_session_token_is_a_signed_query_parameter_when_presigning) {
  sigv4::Request r;
  r.method = "GET";
  r.host = k_host;
  r.path = "/test.txt";
  sigv4::Credentials temporary = k_example;
  temporary.session_token = "tok/en+";
  auto query = sigv4::presign(r, temporary, k_region, k_time, seconds(86400));
  BOOST_TEST_REQUIRE(query.has_value());
  BOOST_TEST(query->find("&X-Amz-Security-Token=tok%2Fen%2B&X-Amz-SignedHeaders=host&") !=
             std::string::npos);
  BOOST_TEST(query->find("aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404") ==
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(presign_expiry_is_checked) {
  sigv4::Request r;
  r.method = "GET";
  r.host = k_host;
  r.path = "/test.txt";
  BOOST_TEST(!sigv4::presign(r, k_example, k_region, k_time, seconds(0)).has_value());
  BOOST_TEST(!sigv4::presign(r, k_example, k_region, k_time, seconds(604801)).has_value());
  BOOST_TEST(sigv4::presign(r, k_example, k_region, k_time, seconds(604800)).has_value());
}

BOOST_AUTO_TEST_CASE(the_signer_owns_its_headers_and_needs_a_key) {
  sigv4::Request r;
  r.method = "GET";
  r.host = k_host;
  r.path = "/x";
  r.headers = {{"X-Amz-Date", "20000101T000000Z"}};
  BOOST_TEST(!sigv4::sign(r, k_example, k_region, k_time).has_value());
  r.headers.clear();
  BOOST_TEST(!sigv4::sign(r, sigv4::Credentials{}, k_region, k_time).has_value());
}

BOOST_AUTO_TEST_CASE(the_secret_never_appears_in_what_is_sent) {
  sigv4::Request r;
  r.method = "GET";
  r.host = k_host;
  r.path = "/test.txt";
  const auto s = sign(r);
  BOOST_TEST(s.authorization.find(k_example.secret_access_key) == std::string::npos);
  for (const auto& [name, value] : s.headers) {
    BOOST_TEST(value.find(k_example.secret_access_key) == std::string::npos);
  }
  auto query = sigv4::presign(r, k_example, k_region, k_time, seconds(60));
  BOOST_TEST_REQUIRE(query.has_value());
  BOOST_TEST(query->find("wJalrXUtnFEMI") == std::string::npos);
}
