// Unit tests for core/config_s3: s3Config and awsCredentials, their aliases and rules,
// and the credentials taken from the environment; errors name their JSON path and never a
// secret.
#define BOOST_TEST_MODULE config_s3
#include <boost/test/unit_test.hpp>

#include "core/config.hpp"
#include "tests/unit/config_fixture.hpp"

#include <functional>
#include <map>
#include <string>
#include <string_view>

using namespace cctv;
using namespace cctv::test;

namespace {

// S3 settings with credentials, `fragment` added to s3Config.
std::string with_s3(std::string_view fragment) {
  return with(R"("s3Config": {"s3Bucket": "cctv-archive")" +
              std::string(fragment.empty() ? "" : ", ") + std::string(fragment) +
              R"(}, "awsCredentials": {"accessKeyId": "AKID", "secretAccessKey": "s/x+y"})");
}

// A fake environment for finish_s3_credentials.
struct FakeEnv {
  std::map<std::string, std::string> vars;
  [[nodiscard]] std::function<const char*(const char*)> get() const {
    return [this](const char* name) -> const char* {
      auto it = vars.find(name);
      return it == vars.end() ? nullptr : it->second.c_str();
    };
  }
};

}  // namespace

BOOST_AUTO_TEST_CASE(s3_keys_of_the_izara_design_and_their_aliases) {
  auto izara = parse_config(with_s3(R"("s3Path": "/cctv/site1/")"));
  BOOST_TEST_REQUIRE(izara.has_value(), izara.error().message);
  BOOST_TEST(izara->s3.bucket == "cctv-archive");
  BOOST_TEST(izara->s3.prefix == "cctv/site1");
  // bucket and prefix are aliases: either, or both when equal.
  auto alias = parse_config(with(R"("s3Config": {"bucket": "b12", "prefix": "p"},
      "awsCredentials": {"accessKeyId": "AKID", "secretAccessKey": "s"})"));
  BOOST_TEST_REQUIRE(alias.has_value(), alias.error().message);
  BOOST_TEST(alias->s3.bucket == "b12");
  BOOST_TEST(alias->s3.prefix == "p");
  BOOST_TEST(parse_config(with_s3(R"("bucket": "cctv-archive")")).has_value());
  check_error_names(with_s3(R"("bucket": "other")"), "s3Config.bucket");
  check_error_names(with(R"("s3Config": {"s3Path": "a", "prefix": "b"})"), "s3Config.prefix");
}

BOOST_AUTO_TEST_CASE(bad_s3_values_are_reported_with_their_path) {
  check_error_names(with_s3(R"("multipartThresholdMB": 4)"), "s3Config.multipartThresholdMB");
  check_error_names(with_s3(R"("multipartThresholdMB": 5121)"), "s3Config.multipartThresholdMB");
  check_error_names(with_s3(R"("multipartPartSizeMB": 1)"), "s3Config.multipartPartSizeMB");
  check_error_names(with_s3(R"("uploadConcurrency": 0)"), "s3Config.uploadConcurrency");
  check_error_names(with_s3(R"("uploadConcurrency": 65)"), "s3Config.uploadConcurrency");
  check_error_names(with_s3(R"("uploadLimitKBps": -1)"), "s3Config.uploadLimitKBps");
  check_error_names(with_s3(R"("presignSeconds": 0)"), "s3Config.presignSeconds");
  check_error_names(with_s3(R"("presignSeconds": 604801)"), "s3Config.presignSeconds");
  check_error_names(with_s3(R"("uploadSegments": "yes")"), "s3Config.uploadSegments");
  check_error_names(with_s3(R"("verifyTls": 0)"), "s3Config.verifyTls");
  check_error_names(with_s3(R"("region": "EU central")"), "s3Config.region");
  check_error_names(with_s3(R"("region": "")"), "s3Config.region");
  check_error_names(with_s3(R"("storageClass": "standard ia")"), "s3Config.storageClass");
  check_error_names(with_s3(R"("s3Path": "a//b")"), "s3Config.s3Path");
  check_error_names(with_s3(R"("s3Path": "a/../b")"), "s3Config.s3Path");
  check_error_names(with_s3(R"("endpoint": "ftp://s3.example.net")"), "s3Config.endpoint");
  check_error_names(with_s3(R"("endpoint": "s3.example.net")"), "s3Config.endpoint");
  check_error_names(with_s3(R"("endpoint": "https://s3.example.net/bucket")"), "s3Config.endpoint");
  check_error_names(with_s3(R"("endpoint": "https://")"), "s3Config.endpoint");
  check_error_names(with(R"("s3Config": {"s3Bucket": "Bad Name!"})"), "s3Config.s3Bucket");
  check_error_names(with(R"("s3Config": {"s3Bucket": 5})"), "s3Config.s3Bucket");
  check_error_names(with_s3(R"("storageclass": "GLACIER_IR")"), "s3Config.storageclass");
}

BOOST_AUTO_TEST_CASE(s3_endpoint_and_bucket_rules) {
  auto local = parse_config(
      with_s3(R"("endpoint": "http://127.0.0.1:4569/", "pathStyle": true, "region": "garage")"));
  BOOST_TEST_REQUIRE(local.has_value(), local.error().message);
  BOOST_TEST(local->s3.endpoint == "http://127.0.0.1:4569");  // the trailing '/' dropped
  // A bucket name that is not a DNS label needs path-style addressing.
  const Error e = error_of(with(R"("s3Config": {"s3Bucket": "My_Bucket"},
      "awsCredentials": {"accessKeyId": "AKID", "secretAccessKey": "s"})"));
  BOOST_TEST(contains(e.message, "s3Config.s3Bucket"), e.message);
  BOOST_TEST(contains(e.message, "pathStyle"), e.message);
  BOOST_TEST(parse_config(with(R"("s3Config": {"s3Bucket": "My_Bucket", "pathStyle": true},
      "awsCredentials": {"accessKeyId": "AKID", "secretAccessKey": "s"})"))
                 .has_value());
}

BOOST_AUTO_TEST_CASE(aws_credentials_need_both_parts) {
  check_error_names(with(R"("awsCredentials": {"accessKeyId": "AKID"})"),
                    "awsCredentials.secretAccessKey");
  check_error_names(with(R"("awsCredentials": {"secretAccessKey": "x"})"),
                    "awsCredentials.accessKeyId");
  check_error_names(with(R"("awsCredentials": {"sessionToken": "x"})"),
                    "awsCredentials.sessionToken");
  check_error_names(with(R"("awsCredentials": {"accessKeyId": "AK ID", "secretAccessKey": "x"})"),
                    "awsCredentials.accessKeyId");
}

BOOST_AUTO_TEST_CASE(s3_credentials_fall_back_to_the_environment) {
  S3Config s3;
  s3.bucket = "cctv-archive";
  FakeEnv env;
  env.vars = {{"AWS_ACCESS_KEY_ID", "AKIDENV"},
              {"AWS_SECRET_ACCESS_KEY", "env/secret+"},
              {"AWS_SESSION_TOKEN", "tok"}};
  BOOST_TEST_REQUIRE(finish_s3_credentials(s3, env.get()).has_value());
  BOOST_TEST(s3.access_key_id == "AKIDENV");
  BOOST_TEST(s3.secret_access_key == "env/secret+");
  BOOST_TEST(s3.session_token == "tok");
  BOOST_TEST(s3.credentials_source == "environment");

  // The config's credentials win; the environment's token is not mixed into them.
  S3Config own;
  own.bucket = "cctv-archive";
  own.access_key_id = "AKIDCONF";
  own.secret_access_key = "conf";
  own.credentials_source = "config";
  BOOST_TEST_REQUIRE(finish_s3_credentials(own, env.get()).has_value());
  BOOST_TEST(own.access_key_id == "AKIDCONF");
  BOOST_TEST(own.session_token.empty());

  // S3 off: nothing is needed, nothing is read.
  S3Config off;
  BOOST_TEST(finish_s3_credentials(off, FakeEnv{}.get()).has_value());
  BOOST_TEST(off.access_key_id.empty());

  // S3 on without any credentials, or with half of them in the environment.
  S3Config none;
  none.bucket = "cctv-archive";
  auto missing = finish_s3_credentials(none, FakeEnv{}.get());
  BOOST_TEST_REQUIRE(!missing.has_value());
  BOOST_TEST(contains(missing.error().message, "AWS_ACCESS_KEY_ID"), missing.error().message);
  FakeEnv half;
  half.vars = {{"AWS_SECRET_ACCESS_KEY", "hunter2"}};
  auto partial = finish_s3_credentials(none, half.get());
  BOOST_TEST_REQUIRE(!partial.has_value());
  BOOST_TEST(!contains(partial.error().message, "hunter2"));
  BOOST_TEST(none.secret_access_key.empty());
  // A bad secret in the environment is reported by name, never by value.
  FakeEnv bad;
  bad.vars = {{"AWS_ACCESS_KEY_ID", "AKID"}, {"AWS_SECRET_ACCESS_KEY", "hunter2\n"}};
  auto invalid = finish_s3_credentials(none, bad.get());
  BOOST_TEST_REQUIRE(!invalid.has_value());
  BOOST_TEST(contains(invalid.error().message, "$AWS_SECRET_ACCESS_KEY"), invalid.error().message);
  BOOST_TEST(!contains(invalid.error().message, "hunter2"));
}

BOOST_AUTO_TEST_CASE(parse_config_reads_s3_credentials_from_the_environment) {
  ::setenv("AWS_ACCESS_KEY_ID", "AKIDFROMENV", 1);
  ::setenv("AWS_SECRET_ACCESS_KEY", "from/env", 1);
  ::unsetenv("AWS_SESSION_TOKEN");
  auto parsed = parse_config(with(R"("s3Config": {"s3Bucket": "cctv-archive"})"));
  ::unsetenv("AWS_ACCESS_KEY_ID");
  ::unsetenv("AWS_SECRET_ACCESS_KEY");
  BOOST_TEST_REQUIRE(parsed.has_value(), parsed.error().message);
  BOOST_TEST(parsed->s3.access_key_id == "AKIDFROMENV");
  BOOST_TEST(parsed->s3.credentials_source == "environment");
  const Error e = error_of(with(R"("s3Config": {"s3Bucket": "cctv-archive"})"));
  BOOST_TEST(contains(e.message, "awsCredentials"), e.message);
}
