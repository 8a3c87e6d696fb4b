#define BOOST_TEST_MODULE index_handler
#include "fcgi/index_handler.hpp"

#include "core/catalog.hpp"
#include "tests/unit/web_fixture.hpp"

#include <boost/test/unit_test.hpp>

using namespace cctv;
using namespace cctv::web;
using cctv::test::now_us;

namespace {

// A real catalog: camera "front" (Europe/Berlin) with two days in two months (three 2 s
// segments at 10:15:00 local on 2026-10-31 and 2026-11-20), and camera "back" with no
// days; "front" is reconnecting and reports an error text that tries to inject markup,
// as the page's title does.
struct Fixture : test::WebArchive {
  Fixture() : WebArchive("cctv-index-handler") {
    register_index_template();
    config.web_title = "Yard <cams>";
    Catalog catalog = open_catalog();
    const std::int64_t front = test::put_front_and_back(catalog);
    test::put_segments_at_1015(catalog, front, {Date{2026, 10, 31}, Date{2026, 11, 20}});
    CameraStatus status;
    status.camera_id = front;
    status.state = CameraState::reconnecting;
    status.since_us = test::berlin().to_utc(LocalTime{Date{2026, 11, 21}, 8, 0, 0});
    status.last_error = "<script>alert(1)</script> Connection refused";
    status.updated_us = now_us();
    BOOST_REQUIRE(catalog.put_camera_status(status));
  }

  Response get() {
    IndexHandler handler(config);
    return handler.handle(Request{});
  }
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(page_lists_cameras_months_and_days_newest_first, Fixture) {
  Response r = get();
  BOOST_TEST(r.status == 200);
  const std::string html(r.body_view());
  BOOST_TEST(html.starts_with("<!DOCTYPE html>"));
  const auto nov = html.find("November 2026");
  const auto oct = html.find("October 2026");
  BOOST_TEST(nov != std::string::npos);
  BOOST_TEST(oct != std::string::npos);
  BOOST_TEST(nov < oct);
  BOOST_TEST(html.find("player.html?camera=front&amp;date=2026-11-20") != std::string::npos);
  BOOST_TEST(html.find("playlist.m3u8?camera=front&amp;date=2026-10-31") != std::string::npos);
  BOOST_TEST(html.find("10:15:00") != std::string::npos);            // local time, not UTC 09:15
  BOOST_TEST(html.find("No recordings yet.") != std::string::npos);  // camera "back"
  BOOST_TEST(html.find("2 days") != std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(camera_status_is_shown_and_escaped, Fixture) {
  const std::string html(get().body_view());
  BOOST_TEST(html.find("camera-reconnecting") != std::string::npos);
  BOOST_TEST(html.find("since 2026-11-21 08:00:00") != std::string::npos);
  BOOST_TEST(html.find("<script>alert") == std::string::npos);
  BOOST_TEST(html.find("&lt;script&gt;alert(1)&lt;/script&gt; Connection refused") !=
             std::string::npos);
  BOOST_TEST(html.find("Yard &lt;cams&gt;") != std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(etag_gives_304, Fixture) {
  Response first = get();
  std::string tag;
  for (const auto& [name, value] : first.headers) {
    if (name == "ETag") tag = value;
  }
  BOOST_REQUIRE(!tag.empty());
  IndexHandler handler(config);
  Request again;
  again.if_none_match = tag;
  BOOST_TEST(handler.handle(again).status == 304);
}

BOOST_FIXTURE_TEST_CASE(a_converted_day_shows_its_new_size_the_space_saved_and_a_download,
                        Fixture) {
  const std::string before(get().body_view());
  BOOST_TEST(before.find("class=\"download\"") == std::string::npos);
  {
    auto catalog = Catalog::open_writable(config.catalog_path);
    BOOST_REQUIRE(catalog);
    auto cameras = catalog->cameras();
    BOOST_REQUIRE(cameras);
    std::int64_t front = 0;
    for (const auto& c : *cameras) {
      if (c.name == "front") front = c.id;
    }
    auto zone = *TimeZone::load("Europe/Berlin");
    const Date date{2026, 10, 31};
    ConvertedDay file;
    file.init_size_bytes = 1000;
    file.file_size_bytes = 150'000;
    file.source_size_bytes = 1'500'000;  // the three segments of 500 kB
    file.codec = "hevc 640x360";
    file.fragments = {Fragment{1000, 149'000, zone.to_utc(LocalTime{date, 10, 15, 0}), 6'000'000}};
    BOOST_REQUIRE(catalog->put_converted_day(front, date, file));
  }
  const std::string html(get().body_view());
  const auto row = html.find("<tr data-date=\"2026-10-31\" data-state=\"converted\">");
  BOOST_TEST_REQUIRE(row != std::string::npos);
  const std::string day = html.substr(row, html.find("</tr>", row) - row);
  BOOST_TEST(day.find("state-converted\">converted<") != std::string::npos);
  BOOST_TEST(day.find("<data value=\"150000\">150 kB</data>") != std::string::npos);
  BOOST_TEST(day.find("1.5 MB → 150 kB, saved 90 %") != std::string::npos);
  BOOST_TEST(day.find("1 fragments") != std::string::npos);
  BOOST_TEST(day.find("<a class=\"download\" href=\"/front/2026-10-31/video.mp4\" download>") !=
             std::string::npos);
  // The day still recorded as segments shows neither.
  const auto other = html.find("<tr data-date=\"2026-11-20\"");
  BOOST_TEST_REQUIRE(other != std::string::npos);
  const std::string recorded = html.substr(other, html.find("</tr>", other) - other);
  BOOST_TEST(recorded.find("saved") == std::string::npos);
  BOOST_TEST(recorded.find("3 segments") != std::string::npos);
  BOOST_TEST(recorded.find("download") == std::string::npos);
}

namespace {

std::int64_t front_id(Catalog& catalog) {
  auto cameras = catalog.cameras();
  BOOST_REQUIRE(cameras);
  for (const auto& c : *cameras) {
    if (c.name == "front") return c.id;
  }
  BOOST_FAIL("no camera front");
  return 0;
}

// The <tr> of `date` in the page.
std::string row_of(const std::string& html, const std::string& date) {
  const auto row = html.find("<tr data-date=\"" + date + "\"");
  if (row == std::string::npos) return {};
  return html.substr(row, html.find("</tr>", row) - row);
}

}  // namespace

BOOST_FIXTURE_TEST_CASE(a_day_whose_conversion_keeps_failing_is_shown_as_failed, Fixture) {
  const Date date{2026, 10, 31};
  BOOST_TEST(row_of(std::string(get().body_view()), "2026-10-31").find("conversion failed") ==
             std::string::npos);
  std::string tag_before;
  for (const auto& [name, value] : get().headers) {
    if (name == "ETag") tag_before = value;
  }
  {
    auto catalog = Catalog::open_writable(config.catalog_path);
    BOOST_REQUIRE(catalog);
    const std::int64_t front = front_id(*catalog);
    BOOST_REQUIRE(catalog->set_day_state(front, date, DayState::settled));
    BOOST_REQUIRE(catalog->put_conversion_failure(front, date, "no frame decoded"));
    BOOST_REQUIRE(catalog->put_conversion_failure(front, date, "disk full"));
    BOOST_REQUIRE(catalog->put_conversion_failure(
        front, date, "verify: fragments last 118.2 s,\n segments 120.0 s <b>x</b>"));
  }
  Response r = get();
  std::string tag_after;
  for (const auto& [name, value] : r.headers) {
    if (name == "ETag") tag_after = value;
  }
  BOOST_TEST(tag_after != tag_before);  // a cached page is not shown again
  const std::string html(r.body_view());
  const std::string day = row_of(html, "2026-10-31");
  BOOST_TEST_REQUIRE(!day.empty());
  BOOST_TEST(day.find("data-state=\"settled\" data-conversion-failures=\"3\">") !=
             std::string::npos);
  BOOST_TEST(day.find("state-settled\">settled<") != std::string::npos);
  // The latest reason, on one line, escaped.
  BOOST_TEST(day.find("class=\"conversion-failed\"") != std::string::npos);
  BOOST_TEST(day.find(">conversion failed (3 attempts): verify: fragments last 118.2 s, segments "
                      "120.0 s &lt;b&gt;x&lt;/b&gt;</small>") != std::string::npos);
  BOOST_TEST(day.find("<b>") == std::string::npos);
  BOOST_TEST(day.find("disk full") == std::string::npos);
  // The other day shows nothing of it.
  const std::string other = row_of(html, "2026-11-20");
  BOOST_TEST_REQUIRE(!other.empty());
  BOOST_TEST(other.find("conversion") == std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(a_failed_day_says_retrying_while_converting_and_nothing_once_converted,
                        Fixture) {
  const Date date{2026, 10, 31};
  auto catalog = Catalog::open_writable(config.catalog_path);
  BOOST_REQUIRE(catalog);
  const std::int64_t front = front_id(*catalog);
  const std::string long_reason = "encode: " + std::string(300, 'x');
  BOOST_REQUIRE(catalog->put_conversion_failure(front, date, long_reason));
  BOOST_REQUIRE(catalog->set_day_state(front, date, DayState::converting));
  std::string day = row_of(std::string(get().body_view()), "2026-10-31");
  BOOST_TEST(day.find("state-converting\">converting<") != std::string::npos);
  BOOST_TEST(day.find(">retrying: conversion failed (1 attempt): encode: xxx") !=
             std::string::npos);
  // A long reason is cut in the row and whole in the title.
  BOOST_TEST(day.find("xxx…</small>") != std::string::npos);
  BOOST_TEST(day.find("title=\"" + long_reason + "\"") != std::string::npos);

  auto zone = *TimeZone::load("Europe/Berlin");
  ConvertedDay file;
  file.init_size_bytes = 1000;
  file.file_size_bytes = 150'000;
  file.source_size_bytes = 1'500'000;
  file.fragments = {Fragment{1000, 149'000, zone.to_utc(LocalTime{date, 10, 15, 0}), 6'000'000}};
  BOOST_REQUIRE(catalog->put_converted_day(front, date, file));
  day = row_of(std::string(get().body_view()), "2026-10-31");
  BOOST_TEST(day.find("data-state=\"converted\">") != std::string::npos);
  BOOST_TEST(day.find("conversion failed") == std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(the_s3_queue_is_shown_when_s3_is_on, Fixture) {
  BOOST_TEST(std::string(get().body_view()).find("S3:") == std::string::npos);
  config.s3.bucket = "cctv";
  BOOST_TEST(std::string(get().body_view()).find("S3:") == std::string::npos);  // no status yet
  {
    auto catalog = Catalog::open_writable(config.catalog_path);
    BOOST_REQUIRE(catalog);
    SyncStatus status;
    status.state = "uploading";
    status.waiting_files = 12;
    status.waiting_bytes = 3'400'000;
    status.oldest_waiting_us = now_us() - 185'500'000;
    BOOST_REQUIRE(catalog->put_sync_status(status));
  }
  std::string html(get().body_view());
  // The age moves with the clock (a loaded machine): minutes are enough here.
  BOOST_TEST(html.find("S3: 12 files waiting (3.4 MB), oldest 3 min ") != std::string::npos,
             html.substr(0, 900));
  {
    auto catalog = Catalog::open_writable(config.catalog_path);
    BOOST_REQUIRE(catalog);
    SyncStatus status;
    status.state = "blocked";
    status.waiting_files = 1;
    status.waiting_bytes = 100;
    status.oldest_waiting_us = now_us() - 5'500'000;
    status.last_error = "PUT s3://cctv/a.ts: HTTP 403 SignatureDoesNotMatch: <bad>";
    BOOST_REQUIRE(catalog->put_sync_status(status));
  }
  html = std::string(get().body_view());
  BOOST_TEST(html.find("s3-blocked") != std::string::npos);
  BOOST_TEST(html.find("S3: 1 file waiting (100 B), oldest ") != std::string::npos);
  BOOST_TEST(html.find("no news from the worker") == std::string::npos);
  BOOST_TEST(html.find(" s; uploads stopped: PUT s3://cctv/a.ts: HTTP 403 SignatureDoesNotMatch: "
                       "&lt;bad&gt;") != std::string::npos);
  {
    auto catalog = Catalog::open_writable(config.catalog_path);
    BOOST_REQUIRE(catalog);
    SyncStatus status;
    status.updated_us = now_us() - 3600 * k_micros_per_second;
    BOOST_REQUIRE(catalog->put_sync_status(status));
  }
  html = std::string(get().body_view());
  BOOST_TEST(html.find("S3: all files uploaded (no news from the worker since ") !=
             std::string::npos);
}
