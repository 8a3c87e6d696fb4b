// Unit tests for core/catalog_status: the per-camera recording state the worker writes
// and the pages read, and the states' names.
#define BOOST_TEST_MODULE catalog_status
#include <boost/test/unit_test.hpp>

#include "core/catalog.hpp"
#include "tests/unit/catalog_fixture.hpp"

#include <string>

using namespace cctv;
using namespace cctv::test;

BOOST_FIXTURE_TEST_CASE(camera_status_round_trips_and_is_replaced, Fixture) {
  const std::int64_t yard = must(catalog.ensure_camera("yard", "yard", "UTC"));
  CameraStatus s = status_of(cam, CameraState::reconnecting, k_t0);
  s.last_error = "Connection refused";
  must(catalog.put_camera_status(s));
  must(catalog.put_camera_status(status_of(yard, CameraState::upload_only, k_t0)));
  s.state = CameraState::recording;
  s.since_us = k_t0 + 10 * k_s;
  s.last_error.clear();
  s.bitrate_bps = 512000;
  s.segments_today = 42;
  must(catalog.put_camera_status(s));
  auto statuses = must(catalog.camera_statuses());
  BOOST_TEST_REQUIRE(statuses.size() == 2u);
  BOOST_TEST(statuses[0].camera == "front");  // by name
  BOOST_TEST(statuses[0].camera_id == cam);
  BOOST_TEST(statuses[0].state == CameraState::recording);
  BOOST_TEST(statuses[0].since_us == k_t0 + 10 * k_s);
  BOOST_TEST(statuses[0].last_error.empty());
  BOOST_TEST(statuses[0].bitrate_bps == 512000);
  BOOST_TEST(statuses[0].segments_today == 42);
  BOOST_TEST(statuses[0].updated_us == k_t0 + 5);
  BOOST_TEST(statuses[1].camera == "yard");
  BOOST_TEST(statuses[1].state == CameraState::upload_only);
  // A camera that is forgotten takes its status along.
  must(catalog.remove_camera_if_empty(yard));
  BOOST_TEST(must(catalog.camera_statuses()).size() == 1u);
  must(catalog.clear_camera_statuses());
  BOOST_TEST(must(catalog.camera_statuses()).empty());
  // A status for a camera that does not exist is refused.
  BOOST_TEST(!catalog.put_camera_status(status_of(9999, CameraState::disabled, k_t0)).has_value());
}

BOOST_AUTO_TEST_CASE(camera_states_have_stable_names) {
  BOOST_TEST(to_string(CameraState::recording) == "recording");
  BOOST_TEST(to_string(CameraState::reconnecting) == "reconnecting");
  BOOST_TEST(to_string(CameraState::disabled) == "disabled");
  BOOST_TEST(to_string(CameraState::upload_only) == "upload-only");
  for (CameraState s : {CameraState::recording, CameraState::reconnecting, CameraState::disabled,
                        CameraState::upload_only}) {
    BOOST_TEST(parse_camera_state(to_string(s)).has_value());
    BOOST_TEST(parse_camera_state(to_string(s)).value_or(CameraState::disabled) == s);
  }
  BOOST_TEST(!parse_camera_state("upload_only").has_value());
}
