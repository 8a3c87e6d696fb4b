// Unit tests for worker/s3_error: XML extraction, the retryable / permanent classes of
// HTTP statuses, S3 error codes and curl codes, and one-line messages without secrets.
#define BOOST_TEST_MODULE s3_error
#include <boost/test/unit_test.hpp>

#include "tests/unit/printers.hpp"
#include "worker/s3_error.hpp"

#include <curl/curl.h>

#include <string>

using namespace cctv;
using namespace cctv::worker;

namespace {

// The body AWS sends for a wrong secret (abridged; the real one also echoes the
// canonical request and the string to sign, which must never reach a message).
constexpr std::string_view k_signature_error = R"(<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided. Check your key and signing method.</Message><AWSAccessKeyId>AKIDTEST</AWSAccessKeyId><StringToSign>AWS4-HMAC-SHA256
20261121T000000Z</StringToSign><SignatureProvided>0123abcd</SignatureProvided><CanonicalRequest>PUT
/cctv/x</CanonicalRequest><RequestId>4442587FB7D0A2F9</RequestId></Error>)";

}  // namespace

BOOST_AUTO_TEST_CASE(xml_text_decodes_entities) {
  BOOST_TEST(s3::xml_text("<a><ETag>&quot;abc&quot;</ETag></a>", "ETag").value() == "\"abc\"");
  BOOST_TEST(
      s3::xml_text("<UploadId>x&amp;y&lt;&gt;&apos;&#65;&#x42;</UploadId>", "UploadId").value() ==
      "x&y<>'AB");
  BOOST_TEST(s3::xml_text("<UploadId>&bogus; & x</UploadId>", "UploadId").value() == "&bogus; & x");
  BOOST_TEST(!s3::xml_text("<a></a>", "UploadId").has_value());
  BOOST_TEST(!s3::xml_text("<UploadId>unterminated", "UploadId").has_value());
  BOOST_TEST(s3::xml_text("<K>&#233;</K>", "K").value() == "\xc3\xa9");
}

BOOST_AUTO_TEST_CASE(error_bodies_give_code_and_message_only) {
  const auto body = s3::parse_error_body(k_signature_error);
  BOOST_TEST(body.code == "SignatureDoesNotMatch");
  BOOST_TEST(body.message.starts_with("The request signature we calculated"));
  BOOST_TEST(s3::parse_error_body("<html>502</html>").code.empty());
  const Error e = s3::http_error("PUT s3://cctv/x", 403, k_signature_error);
  BOOST_TEST(e.message ==
             "PUT s3://cctv/x: HTTP 403 SignatureDoesNotMatch: The request signature we "
             "calculated does not match the signature you provided. Check your key and signing "
             "method.");
  BOOST_TEST(e.kind == ErrorKind::invalid_argument);
  BOOST_TEST(s3::error_class(e) == "permanent");
  BOOST_TEST(e.message.find('\n') == std::string::npos);
  BOOST_TEST(e.message.find("StringToSign") == std::string::npos);
  BOOST_TEST(e.message.find("0123abcd") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(messages_are_one_bounded_line) {
  const std::string long_message(2000, 'x');
  const Error e = s3::http_error(
      "GET", 400,
      "<Error><Code>Bad\nCode</Code><Message>a\r\nb " + long_message + "</Message></Error>");
  BOOST_TEST(e.message.find('\n') == std::string::npos);
  BOOST_TEST(e.message.find('\r') == std::string::npos);
  BOOST_TEST(e.message.size() < 450U);
  // Without a body (HEAD), the status text.
  BOOST_TEST(s3::http_error("HEAD s3://b/k", 404, "").message ==
             "HEAD s3://b/k: HTTP 404 Not Found");
  BOOST_TEST(s3::http_error("HEAD s3://b/k", 403, "").message ==
             "HEAD s3://b/k: HTTP 403 Forbidden");
}

BOOST_AUTO_TEST_CASE(http_statuses_and_codes_are_classified) {
  using K = ErrorKind;
  BOOST_TEST(s3::classify_http(503, "SlowDown") == K::unavailable);
  BOOST_TEST(s3::classify_http(500, "InternalError") == K::unavailable);
  BOOST_TEST(s3::classify_http(502, "") == K::unavailable);
  BOOST_TEST(s3::classify_http(429, "") == K::unavailable);
  BOOST_TEST(s3::classify_http(400, "RequestTimeout") == K::unavailable);
  BOOST_TEST(s3::classify_http(403, "RequestTimeTooSkewed") == K::unavailable);
  BOOST_TEST(s3::classify_http(409, "OperationAborted") == K::unavailable);
  BOOST_TEST(s3::classify_http(403, "InvalidAccessKeyId") == K::invalid_argument);
  BOOST_TEST(s3::classify_http(403, "SignatureDoesNotMatch") == K::invalid_argument);
  BOOST_TEST(s3::classify_http(403, "AccessDenied") == K::invalid_argument);
  BOOST_TEST(s3::classify_http(404, "NoSuchBucket") == K::not_found);
  BOOST_TEST(s3::classify_http(404, "NoSuchUpload") == K::not_found);
  BOOST_TEST(s3::classify_http(301, "PermanentRedirect") == K::invalid_argument);
  BOOST_TEST(s3::classify_http(400, "BadDigest") == K::data_loss);
  BOOST_TEST(s3::classify_http(400, "InvalidArgument") == K::invalid_argument);
  BOOST_TEST(s3::is_retryable(K::unavailable));
  BOOST_TEST(s3::is_retryable(K::timeout));
  BOOST_TEST(!s3::is_retryable(K::invalid_argument));
  BOOST_TEST(!s3::is_retryable(K::not_found));
  BOOST_TEST(!s3::is_retryable(K::data_loss));
}

BOOST_AUTO_TEST_CASE(curl_codes_are_classified) {
  using K = ErrorKind;
  BOOST_TEST(s3::classify_curl(CURLE_COULDNT_CONNECT) == K::unavailable);
  BOOST_TEST(s3::classify_curl(CURLE_COULDNT_RESOLVE_HOST) == K::unavailable);
  BOOST_TEST(s3::classify_curl(CURLE_SEND_ERROR) == K::unavailable);
  BOOST_TEST(s3::classify_curl(CURLE_RECV_ERROR) == K::unavailable);
  BOOST_TEST(s3::classify_curl(CURLE_GOT_NOTHING) == K::unavailable);
  BOOST_TEST(s3::classify_curl(CURLE_OPERATION_TIMEDOUT) == K::timeout);
  BOOST_TEST(s3::classify_curl(CURLE_PEER_FAILED_VERIFICATION) == K::invalid_argument);
  BOOST_TEST(s3::classify_curl(CURLE_READ_ERROR) == K::data_loss);
  const Error e = s3::curl_error("PUT s3://cctv/x", CURLE_COULDNT_CONNECT,
                                 "Failed to connect to 127.0.0.1 port 9: Connection refused");
  BOOST_TEST(e.message ==
             "PUT s3://cctv/x: Couldn't connect to server (Failed to connect to "
             "127.0.0.1 port 9: Connection refused)");
  BOOST_TEST(s3::error_class(e) == "retryable");
}
