// Unit tests for fcgi/s3_presign: the web side's presigned URLs are the worker client's
// (same addressing and signature), and the signing time moves in steps.
#define BOOST_TEST_MODULE s3_presign
#include <boost/test/unit_test.hpp>

#include "fcgi/s3_presign.hpp"
#include "worker/s3_client.hpp"

#include <chrono>
#include <string>

using namespace cctv;
using namespace std::chrono;

namespace {

S3Config config(bool path_style) {
  S3Config s3;
  s3.bucket = "cctv";
  s3.region = "eu-central-1";
  s3.endpoint = path_style ? "http://127.0.0.1:4569" : "";
  s3.path_style = path_style;
  s3.access_key_id = "AKIDTEST";
  s3.secret_access_key = "s3cr3t/x+y";
  return s3;
}

const sys_seconds k_time{seconds{1'795'000'000}};

}  // namespace

BOOST_AUTO_TEST_CASE(urls_are_the_worker_clients) {
  for (bool path_style : {true, false}) {
    const S3Config s3 = config(path_style);
    auto presigner = web::Presigner::create(s3);
    BOOST_REQUIRE(presigner);
    auto options = worker::s3::client_options(s3);
    options.clock = [] { return system_clock::time_point(k_time); };
    auto client = worker::s3::Client::create(options);
    BOOST_REQUIRE(client);
    const std::string key = "site1/front/2026-11-20/front_20261120T101500Z_20261120T101510Z.ts";
    auto ours = presigner->url(key, k_time, seconds{3600});
    auto theirs = client->presign_get(key, seconds{3600});
    BOOST_REQUIRE(ours);
    BOOST_REQUIRE(theirs);
    BOOST_TEST(*ours == *theirs);
    BOOST_TEST(ours->find("X-Amz-Expires=3600") != std::string::npos);
    BOOST_TEST(ours->find(path_style ? "http://127.0.0.1:4569/cctv/site1/"
                                     : "https://cctv.s3.eu-central-1.amazonaws.com/site1/") == 0U);
  }
}

BOOST_AUTO_TEST_CASE(refused_without_s3_or_credentials) {
  BOOST_TEST(!web::Presigner::create(S3Config{}));
  S3Config s3 = config(true);
  s3.secret_access_key.clear();
  BOOST_TEST(!web::Presigner::create(s3));
  s3 = config(true);
  s3.endpoint = "ftp://host";
  BOOST_TEST(!web::Presigner::create(s3));
  auto presigner = web::Presigner::create(config(true));
  BOOST_REQUIRE(presigner);
  BOOST_TEST(!presigner->url("", k_time, seconds{60}));
  BOOST_TEST(!presigner->url("a", k_time, seconds{8 * 86400}));  // over 7 days
}

BOOST_AUTO_TEST_CASE(signing_time_moves_in_steps_of_a_quarter_of_the_validity) {
  BOOST_TEST(web::presign_step(seconds{21600}).count() == 3600);  // 6 h: hourly, capped
  BOOST_TEST(web::presign_step(seconds{3600}).count() == 900);
  BOOST_TEST(web::presign_step(seconds{60}).count() == 60);  // at least a minute
  const sys_seconds t{seconds{1'795'000'123}};
  BOOST_TEST(web::presign_time(t, seconds{21600}).time_since_epoch().count() == 1'794'999'600);
  BOOST_TEST(web::presign_time(t, seconds{3600}).time_since_epoch().count() % 900 == 0);
  BOOST_TEST((t - web::presign_time(t, seconds{3600})).count() < 900);
}
