#define BOOST_TEST_MODULE playlist_handler
#include "fcgi/playlist_handler.hpp"

#include "core/catalog.hpp"
#include "core/layout.hpp"
#include "core/sqlite.hpp"
#include "tests/unit/web_fixture.hpp"

#include <boost/test/unit_test.hpp>

using namespace cctv;
using namespace cctv::web;

namespace {

std::string header(const Response& r, std::string_view name) {
  for (const auto& [n, v] : r.headers) {
    if (n == name) return v;
  }
  return {};
}

// A real catalog in a temporary directory: camera "front" (UTC) with a closed
// day 2026-11-19 (three 10 s segments, a gap before the third) and an open day
// 2026-11-20; optionally a second camera.
struct Fixture : test::WebArchive {
  std::shared_ptr<PlaylistCache> cache = std::make_shared<PlaylistCache>();
  std::int64_t front = 0;

  Fixture() : WebArchive("cctv-playlist-handler") {
    Catalog catalog = open_catalog();
    front = *catalog.ensure_camera("front", "front", "UTC");
    const UtcMicros day1 = TimeZone::utc().day_start(Date{2026, 11, 19});
    put(catalog, Date{2026, 11, 19}, "video_000000.ts", day1, 10'000'000);
    put(catalog, Date{2026, 11, 19}, "video_000010.ts", day1 + 10'000'000, 10'040'000);
    put(catalog, Date{2026, 11, 19}, "video_000100.ts", day1 + 60'000'000, 9'960'000);
    BOOST_REQUIRE(catalog.set_day_state(front, Date{2026, 11, 19}, DayState::settled));
    const UtcMicros day2 = TimeZone::utc().day_start(Date{2026, 11, 20});
    for (int i = 0; i < 30; ++i) {
      put(catalog, Date{2026, 11, 20}, segment_name(i * 10), day2 + i * 10'000'000LL, 10'000'000);
    }
  }

  void put(Catalog& catalog, Date date, std::string name, UtcMicros start, std::int64_t dur,
           std::int64_t camera = 0) {
    Segment s;
    s.date = date;
    s.name = std::move(name);
    s.start_us = start;
    s.duration_us = dur;
    s.size_bytes = 1000;
    s.codec = "h264 640x360";
    BOOST_REQUIRE(catalog.put_segment(camera != 0 ? camera : front, s));
  }

  // Converts 2026-11-19 as the worker does: one video.mp4 with an init section of
  // 3739 bytes and three fragments at the times of the three segments (the first one
  // `first_size` bytes long).
  void convert_day19(std::int64_t first_size = 500) {
    auto catalog = Catalog::open_writable(config.catalog_path);
    BOOST_REQUIRE(catalog);
    const UtcMicros day1 = TimeZone::utc().day_start(Date{2026, 11, 19});
    ConvertedDay file;
    file.init_size_bytes = 3739;
    file.codec = "hevc 640x360";
    file.fragments = {Fragment{3739, first_size, day1, 10'000'000},
                      Fragment{3739 + first_size, 600, day1 + 10'000'000, 10'040'000},
                      Fragment{4339 + first_size, 700, day1 + 60'000'000, 9'960'000}};
    file.file_size_bytes = 5039 + first_size;
    file.source_size_bytes = 3000;
    BOOST_REQUIRE(catalog->put_converted_day(front, Date{2026, 11, 19}, file));
  }

  std::int64_t version_of_day19() {
    auto catalog = Catalog::open_read_only(config.catalog_path);
    BOOST_REQUIRE(catalog);
    auto day = catalog->find_day(front, Date{2026, 11, 19});
    BOOST_REQUIRE(day && *day);
    return (*day)->version;
  }

  // A new handler on every request, sharing the fixture's cache (as the threads of
  // cctv-playlist do).
  Response get(const std::string& query, const std::string& if_none_match = "") {
    PlaylistHandler handler(config, cache);
    Request r;
    r.query = query;
    r.if_none_match = if_none_match;
    return handler.handle(r);
  }
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(closed_day_is_a_cacheable_vod_playlist, Fixture) {
  Response r = get("date=2026-11-19");
  BOOST_TEST(r.status == 200);
  BOOST_TEST(header(r, "Content-Type") == "application/vnd.apple.mpegurl");
  BOOST_TEST(header(r, "Cache-Control") == "public, max-age=3600");
  BOOST_TEST(!header(r, "ETag").empty());
  BOOST_TEST(!header(r, "Last-Modified").empty());
  const std::string body(r.body_view());
  BOOST_TEST(body.find("#EXT-X-PLAYLIST-TYPE:VOD\n") != std::string::npos);
  BOOST_TEST(body.ends_with("#EXT-X-ENDLIST\n"));
  BOOST_TEST(body.find("/front/2026-11-19/video_000010.ts\n") != std::string::npos);
  BOOST_TEST(body.find("#EXTINF:10.040,\n") != std::string::npos);
  // The gap between 00:00:20 and 00:01:00 is the only discontinuity.
  BOOST_TEST(
      body.find("#EXT-X-DISCONTINUITY\n#EXT-X-PROGRAM-DATE-TIME:2026-11-19T00:01:00.000Z\n") !=
      std::string::npos);
  BOOST_TEST(body.find("#EXT-X-DISCONTINUITY") == body.rfind("#EXT-X-DISCONTINUITY"));
}

BOOST_FIXTURE_TEST_CASE(open_day_is_an_event_playlist_without_end, Fixture) {
  Response r = get("date=2026-11-20");
  BOOST_TEST(r.status == 200);
  BOOST_TEST(header(r, "Cache-Control") == "no-cache");
  const std::string body(r.body_view());
  BOOST_TEST(body.find("#EXT-X-PLAYLIST-TYPE:EVENT\n") != std::string::npos);
  BOOST_TEST(body.find("#EXT-X-ENDLIST") == std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(etag_gives_304_until_the_day_changes, Fixture) {
  Response first = get("date=2026-11-20");
  const std::string tag = header(first, "ETag");
  BOOST_TEST(get("date=2026-11-20", tag).status == 304);
  {
    auto catalog = Catalog::open_writable(config.catalog_path);
    BOOST_REQUIRE(catalog);
    put(*catalog, Date{2026, 11, 20}, "video_000500.ts",
        TimeZone::utc().day_start(Date{2026, 11, 20}) + 300'000'000, 10'000'000);
  }
  Response after = get("date=2026-11-20", tag);
  BOOST_TEST(after.status == 200);
  BOOST_TEST(header(after, "ETag") != tag);
  BOOST_TEST(std::string(after.body_view()).find("video_000500.ts") != std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(live_continues_into_later_days_and_offers_delta_updates, Fixture) {
  Response full = get("date=2026-11-19&live=1");
  BOOST_TEST(full.status == 200);
  const std::string body(full.body_view());
  BOOST_TEST(body.find("/front/2026-11-19/video_000000.ts") != std::string::npos);
  BOOST_TEST(body.find("/front/2026-11-20/video_000450.ts") != std::string::npos);
  BOOST_TEST(body.find("#EXT-X-ENDLIST") == std::string::npos);
  BOOST_TEST(body.find("#EXT-X-PLAYLIST-TYPE:EVENT") != std::string::npos);
  BOOST_TEST(body.find("CAN-SKIP-UNTIL=") != std::string::npos);
  Response delta = get("date=2026-11-19&live=1&_HLS_skip=YES");
  BOOST_TEST(delta.status == 200);
  const std::string dbody(delta.body_view());
  BOOST_TEST(dbody.find("#EXT-X-SKIP:SKIPPED-SEGMENTS=") != std::string::npos);
  BOOST_TEST(dbody.size() < body.size());
  BOOST_TEST(header(delta, "ETag") != header(full, "ETag"));
}

BOOST_FIXTURE_TEST_CASE(without_a_date_redirects_to_the_latest_day, Fixture) {
  Response r = get("live=1");
  BOOST_TEST(r.status == 302);
  BOOST_TEST(header(r, "Location") == "/playlist.m3u8?date=2026-11-20&live=1");
  r = get("camera=front");
  BOOST_TEST(r.status == 302);
  BOOST_TEST(header(r, "Location") == "/playlist.m3u8?camera=front&date=2026-11-20");
}

BOOST_FIXTURE_TEST_CASE(bad_requests_get_a_status_and_one_line, Fixture) {
  const std::pair<const char*, int> cases[] = {
      {"date=../..", 400},
      {"date=2026-13-01", 400},
      {"date=2026-02-30", 400},
      {"date=2026-11-18", 404},
      {"camera=back", 404},
      {"camera=..%2F..", 400},
      {"camera=%00", 400},
      {"live=2&date=2026-11-19", 400},
      {"date=2026-11-19&date=2026-11-20", 400},
      {"_HLS_skip=NO", 400},
      {"date=2026-11-21&live=1", 404},
  };
  for (const auto& [query, status] : cases) {
    BOOST_TEST_CONTEXT(query) {
      Response r = get(query);
      BOOST_TEST(r.status == status);
      const std::string body(r.body_view());
      BOOST_TEST(body.find('\n') == body.size() - 1);
      BOOST_TEST(body.size() > 5U);
    }
  }
}

BOOST_FIXTURE_TEST_CASE(several_cameras_need_a_choice_or_a_default, Fixture) {
  {
    auto catalog = Catalog::open_writable(config.catalog_path);
    BOOST_REQUIRE(catalog);
    const std::int64_t back = *catalog->ensure_camera("back", "back", "UTC");
    put(*catalog, Date{2026, 11, 18}, "video_120000.ts",
        TimeZone::utc().day_start(Date{2026, 11, 18}) + 43'200'000'000LL, 10'000'000, back);
  }
  Response r = get("date=2026-11-19");
  BOOST_TEST(r.status == 400);
  BOOST_TEST(std::string(r.body_view()).find("back, front") != std::string::npos);
  BOOST_TEST(get("camera=back&date=2026-11-18").status == 200);
  config.default_camera = "front";
  BOOST_TEST(get("date=2026-11-19").status == 200);
}

BOOST_AUTO_TEST_CASE(missing_catalog_is_503) {
  Config config;
  config.catalog_path = "/nonexistent/catalog.sqlite";
  PlaylistHandler handler(config, std::make_shared<PlaylistCache>());
  Request r;
  r.query = "date=2026-11-19";
  BOOST_TEST(handler.handle(r).status == 503);
}

BOOST_FIXTURE_TEST_CASE(a_converted_day_addresses_its_mp4_by_byte_ranges, Fixture) {
  Response before = get("date=2026-11-19");
  BOOST_TEST(before.status == 200);
  convert_day19();
  Response r = get("date=2026-11-19", header(before, "ETag"));
  BOOST_TEST(r.status == 200);  // the ETag covers the conversion
  BOOST_TEST(header(r, "ETag") != header(before, "ETag"));
  BOOST_TEST(header(r, "Cache-Control") == "public, max-age=3600");
  const std::string expected =
      "#EXTM3U\n"
      "#EXT-X-VERSION:7\n"
      "#EXT-X-TARGETDURATION:11\n"
      "#EXT-X-MEDIA-SEQUENCE:0\n"
      "#EXT-X-PLAYLIST-TYPE:VOD\n"
      "#EXT-X-PROGRAM-DATE-TIME:2026-11-19T00:00:00.000Z\n"
      "#EXT-X-MAP:URI=\"/front/2026-11-19/video.mp4\",BYTERANGE=\"3739@0\"\n"
      "#EXTINF:10.000,\n"
      "#EXT-X-BYTERANGE:500@3739\n"
      "/front/2026-11-19/video.mp4\n"
      "#EXTINF:10.040,\n"
      "#EXT-X-BYTERANGE:600@4239\n"
      "/front/2026-11-19/video.mp4\n"
      "#EXT-X-DISCONTINUITY\n"
      "#EXT-X-PROGRAM-DATE-TIME:2026-11-19T00:01:00.000Z\n"
      "#EXTINF:9.960,\n"
      "#EXT-X-BYTERANGE:700@4839\n"
      "/front/2026-11-19/video.mp4\n"
      "#EXT-X-ENDLIST\n";
  BOOST_TEST(std::string(r.body_view()) == expected);
  // Again (from the shared cache): the same body.
  BOOST_TEST(std::string(get("date=2026-11-19").body_view()) == expected);
}

BOOST_FIXTURE_TEST_CASE(a_converted_day_is_cached_until_its_version_changes, Fixture) {
  convert_day19();
  const std::int64_t day19 = days_from_civil(Date{2026, 11, 19});
  const std::int64_t version = version_of_day19();
  BOOST_TEST(!cache->converted_day(front, day19, version));
  BOOST_TEST(get("date=2026-11-19").status == 200);
  const FragmentList cached = cache->converted_day(front, day19, version);
  BOOST_TEST_REQUIRE(cached);
  BOOST_TEST(cached->segments.size() == 3u);
  BOOST_TEST(cached->ranges.at(0).size_bytes == 500);
  BOOST_TEST(cached->uri_prefix.empty());  // set per request, from the camera's directory
  // Changed behind the catalog's back (no new version): another playlist of the day,
  // rendered now by another handler, still takes the fragments from the cache.
  {
    auto db =
        sqlite::Database::open(config.catalog_path, sqlite::Database::Mode::read_write_create);
    BOOST_REQUIRE(db);
    BOOST_REQUIRE(db->exec("UPDATE fragment SET size_bytes = 999 WHERE seq = 0"));
  }
  const std::string live(get("date=2026-11-19&live=1").body_view());
  BOOST_TEST(live.find("#EXT-X-BYTERANGE:500@3739\n/front/2026-11-19/video.mp4\n") !=
             std::string::npos);
  BOOST_TEST(live.find("999@") == std::string::npos);
  // Converted again: the day's version moves on, so the cached fragments are not used.
  convert_day19(800);
  const std::int64_t newer = version_of_day19();
  BOOST_TEST(newer != version);
  const std::string body(get("date=2026-11-19").body_view());
  BOOST_TEST(body.find("#EXT-X-BYTERANGE:800@3739\n") != std::string::npos);
  BOOST_TEST(body.find("#EXT-X-BYTERANGE:600@4539\n") != std::string::npos);
  BOOST_TEST(!cache->converted_day(front, day19, version));
  BOOST_TEST_REQUIRE(cache->converted_day(front, day19, newer));
  BOOST_TEST(cache->converted_day(front, day19, newer)->ranges.at(0).size_bytes == 800);
}

BOOST_FIXTURE_TEST_CASE(live_from_a_converted_day_breaks_into_the_ts_day, Fixture) {
  convert_day19();
  Response r = get("date=2026-11-19&live=1");
  BOOST_TEST(r.status == 200);
  const std::string body(r.body_view());
  BOOST_TEST(body.find("#EXT-X-VERSION:7\n") != std::string::npos);
  BOOST_TEST(body.find("#EXT-X-MAP:") == body.rfind("#EXT-X-MAP:"));
  BOOST_TEST(body.find(".ts") > body.rfind("video.mp4"));  // the MP4 day first
  BOOST_TEST(body.find("#EXT-X-BYTERANGE:700@4839\n/front/2026-11-19/video.mp4\n"
                       "#EXT-X-DISCONTINUITY\n"
                       "#EXT-X-PROGRAM-DATE-TIME:2026-11-20T00:00:00.000Z\n"
                       "#EXTINF:10.000,\n/front/2026-11-20/video_000000.ts\n") !=
             std::string::npos);
  BOOST_TEST(body.find("/front/2026-11-20/video_000450.ts") != std::string::npos);
  Response delta = get("date=2026-11-19&live=1&_HLS_skip=YES");
  const std::string dbody(delta.body_view());
  BOOST_TEST(dbody.find("#EXT-X-VERSION:9\n") != std::string::npos);
  BOOST_TEST(dbody.find("#EXT-X-MAP:") == std::string::npos);  // the MP4 day is skipped
}
