// Unit tests for cctv-export's frame.jpg and moment.mp4/.gif (fcgi/media_handler, frame,
// gif, moments) on real media: a 3 s H.264 segment (10 fps, a keyframe a second) made by
// the ffmpeg command line, indexed in a real catalog with times around now.
#define BOOST_TEST_MODULE media_handler
#include <boost/test/unit_test.hpp>

#include "core/catalog.hpp"
#include "core/layout.hpp"
#include "fcgi/frame.hpp"
#include "fcgi/gif.hpp"
#include "fcgi/media_handler.hpp"
#include "fcgi/moments.hpp"
#include "tests/unit/worker_fixture.hpp"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

using namespace cctv;
using namespace cctv::test;
using namespace cctv::web;

namespace {

constexpr std::int64_t k_second = 1'000'000;

// A 3 s segment made once per test program.
const fs::path& clip3() {
  static TempDir dir;
  static const fs::path path = [] {
    const fs::path p = dir.path() / "clip3.ts";
    make_ts(p, 3);
    return p;
  }();
  return path;
}

std::string header(const Response& r, std::string_view name) {
  for (const auto& [key, value] : r.headers) {
    if (key == name) return value;
  }
  return {};
}

std::string body(const Response& r) { return std::string(r.body_view()); }

std::string read_bytes(const fs::path& path) {
  std::string bytes(fs::file_size(path), '\0');
  std::ifstream(path, std::ios::binary)
      .read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return bytes;
}

Request get(const std::string& path_and_query) {
  Request r;
  r.request_uri = "/" + path_and_query;
  const auto q = path_and_query.find('?');
  if (q != std::string::npos) r.query = path_and_query.substr(q + 1);
  return r;
}

// Camera "front" (UTC) with one segment of clip3 whose catalog start is `start`, and
// camera "idle" with nothing.
struct Archive {
  TempDir dir;
  fs::path root = dir.path() / "archive";
  Config config = make_config(root, dir.path() / "catalog.sqlite");
  Catalog catalog = open_catalog(dir.path() / "catalog.sqlite");
  std::int64_t front = value_of(catalog.ensure_camera("front", "front", "UTC"));
  UtcMicros start = (utc_now() / k_second - 30) * k_second;
  Segment segment;

  Archive() {
    config.web_base_url = "/";
    value_of(catalog.ensure_camera("idle", "idle", "UTC"));
    put(start, utc_now() * 1000);
  }

  fs::path day_dir(UtcMicros at) const {
    return root / "front" / format_date(TimeZone::utc().date_of(at));
  }

  // clip3 as the segment starting at `at` (whole second), closed at `closed_ns`.
  void put(UtcMicros at, std::int64_t closed_ns) {
    const LocalTime t = TimeZone::utc().to_local(at);
    segment.date = t.date;
    segment.name = segment_name(t.hour * 3600 + t.minute * 60 + t.second);
    segment.start_us = at;
    segment.duration_us = 3 * k_second;
    segment.size_bytes = static_cast<std::int64_t>(fs::file_size(clip3()));
    segment.codec = "h264 320x180";
    segment.mtime_ns = closed_ns;
    fs::create_directories(day_dir(at));
    fs::copy_file(clip3(), day_dir(at) / segment.name, fs::copy_options::overwrite_existing);
    check(catalog.put_segment(front, segment));
  }
};

UtcMicros frame_time(const Response& r) {
  const std::string text = header(r, "X-Frame-Time");  // 2026-11-21T10:15:03.000Z
  BOOST_REQUIRE_EQUAL(text.size(), 24U);
  const auto date = parse_date(text.substr(0, 10));
  BOOST_REQUIRE(date);
  const int seconds = std::stoi(text.substr(11, 2)) * 3600 + std::stoi(text.substr(14, 2)) * 60 +
                      std::stoi(text.substr(17, 2));
  return TimeZone::utc().to_utc(LocalTime{*date, 0, 0, 0}) + seconds * k_second +
         std::stoi(text.substr(20, 3)) * 1000;
}

}  // namespace

BOOST_AUTO_TEST_CASE(frame_is_the_last_keyframe_of_the_newest_segment) {
  Archive a;
  MediaHandler handler(a.config);
  const Response r = handler.handle(get("frame.jpg?camera=front"));
  BOOST_TEST(r.status == 200, body(r));
  BOOST_TEST(header(r, "Content-Type") == "image/jpeg");
  BOOST_TEST(body(r).substr(0, 2) == "\xff\xd8");
  // Keyframes at 0, 1 and 2 s of the 3 s segment: the last is at 2 s.
  BOOST_TEST(frame_time(r) == a.start + 2 * k_second);
}

BOOST_AUTO_TEST_CASE(frame_prefers_the_segment_being_written_when_it_has_a_whole_keyframe) {
  Archive a;
  MediaHandler handler(a.config);
  // The recorder's next segment, 3 s later, still being written.
  const UtcMicros next = a.start + 3 * k_second;
  const LocalTime t = TimeZone::utc().to_local(next);
  const fs::path part =
      a.day_dir(next) / (segment_name(t.hour * 3600 + t.minute * 60 + t.second) + ".part");
  fs::copy_file(clip3(), part);
  Response r = handler.handle(get("frame.jpg"));  // one camera with footage, but two cameras
  BOOST_TEST(r.status == 400, body(r));
  r = handler.handle(get("frame.jpg?camera=front"));
  BOOST_TEST(r.status == 200, body(r));
  BOOST_TEST(frame_time(r) == next + 2 * k_second);

  // Cut just after its first keyframe: the picture may still be being written, so the
  // closed segment's last keyframe is taken instead.
  fs::resize_file(part, 188 * 20);
  r = handler.handle(get("frame.jpg?camera=front"));
  BOOST_TEST(r.status == 200, body(r));
  BOOST_TEST(frame_time(r) == a.start + 2 * k_second);
}

BOOST_AUTO_TEST_CASE(frame_refusals) {
  Archive a;
  MediaHandler handler(a.config);
  Response r = handler.handle(get("frame.jpg?camera=idle"));
  BOOST_TEST(r.status == 404);
  BOOST_TEST(body(r).find("idle") != std::string::npos, body(r));
  BOOST_TEST(handler.handle(get("frame.jpg?camera=nope")).status == 404);
  BOOST_TEST(handler.handle(get("frame.jpg?camera=a%2Fb")).status == 400);
  // A segment that rotted on disk: 503 with the reason, not a crash.
  std::ofstream(a.day_dir(a.start) / a.segment.name, std::ios::trunc) << "not a video";
  r = handler.handle(get("frame.jpg?camera=front"));
  BOOST_TEST(r.status == 503, body(r));
  BOOST_TEST(body(r).find('\n') == body(r).size() - 1, body(r));
}

BOOST_AUTO_TEST_CASE(moment_parameters) {
  Archive a;
  MediaHandler handler(a.config);
  auto m = handler.parse_moment(get("moment.mp4?camera=front"), "mp4");
  BOOST_REQUIRE(m);
  BOOST_TEST(m->length_s == 10);
  BOOST_TEST(m->delay_s == 5);  // the event in the middle
  m = handler.parse_moment(get("moment.gif?camera=front&length=20"), "gif");
  BOOST_REQUIRE(m);
  BOOST_TEST(m->delay_s == 10);
  m = handler.parse_moment(get("moment.gif?camera=front&length=5&delay=0"), "gif");
  BOOST_REQUIRE(m);
  BOOST_TEST((m->length_s == 5 && m->delay_s == 0));
  for (const char* bad :
       {"length=4", "length=21", "length=", "length=5.5", "length=%2B5", "length=0x10", "delay=11",
        "delay=-1", "delay=1%00", "length=99999999999999999999"}) {
    auto refused = handler.parse_moment(get(std::string("moment.mp4?camera=front&") + bad), "mp4");
    BOOST_TEST_REQUIRE(!refused, bad);
    BOOST_TEST((refused.error().kind == ErrorKind::invalid_argument), bad);
  }
}

BOOST_AUTO_TEST_CASE(moment_without_footage_is_404_after_the_wait) {
  Archive a;
  MediaHandler handler(a.config);
  handler.moment_wait = std::chrono::milliseconds(0);
  const Response r = handler.handle(get("moment.mp4?camera=idle&length=5&delay=0"));
  BOOST_TEST(r.status == 404, body(r));
  BOOST_TEST(body(r).find("is it recording?") != std::string::npos, body(r));
  BOOST_TEST(!fs::exists(a.root / "idle" / "moments"));
}

BOOST_AUTO_TEST_CASE(moment_mp4_and_gif_are_answered_saved_and_listed) {
  Archive a;
  // Two segments in the catalog, from 5 s before now to a second after it.
  const UtcMicros now = utc_now();
  a.put((now / k_second - 5) * k_second, (now - 2 * k_second) * 1000);
  a.put((now / k_second - 2) * k_second, (now + 5 * k_second) * 1000);
  MediaHandler handler(a.config);
  handler.moment_wait = std::chrono::milliseconds(0);

  const Response mp4 = handler.handle(get("moment.mp4?camera=front&length=5&delay=0"));
  BOOST_TEST_REQUIRE(mp4.status == 200, body(mp4));
  BOOST_TEST(header(mp4, "Content-Type") == "video/mp4");
  const std::string location = header(mp4, "Content-Location");
  BOOST_TEST_REQUIRE(location.starts_with("/front/moments/moment_"), location);
  const fs::path saved = a.root / location.substr(1);
  BOOST_TEST(fs::file_size(saved) == mp4.body_view().size());
  // The 5 s before now, from the keyframe at or before its start (the edit list hides
  // that pre-roll from players; ffprobe's packet duration counts it).
  BOOST_TEST(ffprobe_duration(saved) >= 5.0);
  BOOST_TEST(ffprobe_duration(saved) <= 6.1);

  const Response gif = handler.handle(get("moment.gif?camera=front&length=5&delay=0"));
  BOOST_TEST_REQUIRE(gif.status == 200, body(gif));
  BOOST_TEST(header(gif, "Content-Type") == "image/gif");
  BOOST_TEST(body(gif).substr(0, 6) == "GIF89a");

  auto listed = value_of(list_moments(a.root / "front" / k_moments_dir, 10));
  BOOST_REQUIRE_EQUAL(listed.size(), 2U);
  const bool gif_first = listed[0].format == "gif";
  BOOST_TEST(listed[gif_first ? 1 : 0].format == "mp4");
  BOOST_TEST(listed[gif_first ? 0 : 1].bytes == static_cast<std::int64_t>(gif.body_view().size()));
  BOOST_TEST(days_from_civil(listed[0].time.date) * 86400 + listed[0].time.hour * 3600 +
                 listed[0].time.minute * 60 + listed[0].time.second >=
             days_from_civil(listed[1].time.date) * 86400 + listed[1].time.hour * 3600 +
                 listed[1].time.minute * 60 + listed[1].time.second);
}

BOOST_AUTO_TEST_CASE(moments_of_one_second_keep_their_own_files) {
  Archive a;
  const UtcMicros now = utc_now();
  a.put((now / k_second - 5) * k_second, (now - 2 * k_second) * 1000);
  a.put((now / k_second - 2) * k_second, (now + 60 * k_second) * 1000);
  MediaHandler handler(a.config);
  handler.moment_wait = std::chrono::milliseconds(0);
  // The names of the second they are asked in: the first free one each time.
  const fs::path dir = a.root / "front" / k_moments_dir;
  const LocalTime t = TimeZone::utc().to_local(utc_now());
  fs::create_directories(dir);
  for (int number : {1, 2}) write_file(dir / moment_file_name(t, "mp4", number), "older");
  const Response r = handler.handle(get("moment.mp4?camera=front&length=5&delay=0"));
  BOOST_TEST_REQUIRE(r.status == 200, body(r));
  const std::string location = header(r, "Content-Location");
  // Asked in the same second: -3; a second later: its own plain name.
  const auto saved = parse_moment_name(fs::path(location).filename().string());
  BOOST_TEST_REQUIRE(saved.has_value(), location);
  const bool same_second = saved->time.second == t.second;
  BOOST_TEST(saved->number == (same_second ? 3 : 1), location);
  // The older files are untouched, and nothing temporary is left.
  for (int number : {1, 2}) {
    std::ifstream in(dir / moment_file_name(t, "mp4", number));
    std::string text;
    in >> text;
    BOOST_TEST(text == "older");
  }
  for (const auto& entry : fs::directory_iterator(dir)) {
    BOOST_TEST(!entry.path().filename().string().starts_with("."), entry.path());
  }
}

BOOST_AUTO_TEST_CASE(one_moment_per_camera_and_format_at_a_time_and_no_head) {
  Archive a;
  const UtcMicros now = utc_now();
  a.put((now / k_second - 2) * k_second, (now + 60 * k_second) * 1000);
  Request head = get("moment.gif?camera=front&length=5&delay=0");
  head.method = "HEAD";
  MediaHandler handler(a.config);
  const Response refused = handler.handle(head);
  BOOST_TEST(refused.status == 405);
  BOOST_TEST(header(refused, "Allow") == "GET");
  BOOST_TEST(!fs::exists(a.root / "front" / k_moments_dir));

  // A moment waiting for its 2 s delay in another thread (its own handler, as the
  // server gives each thread one).
  Response first;
  std::thread other([&] {
    MediaHandler mine(a.config);
    mine.moment_wait = std::chrono::milliseconds(0);  // its end is past the footage
    first = mine.handle(get("moment.mp4?camera=front&length=5&delay=2"));
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const Response busy = handler.handle(get("moment.mp4?camera=front&length=5&delay=0"));
  other.join();
  BOOST_TEST(busy.status == 429, body(busy));
  BOOST_TEST(header(busy, "Retry-After") == "5");
  BOOST_TEST(first.status == 200, body(first));
}

BOOST_AUTO_TEST_CASE(gif_of_an_mp4) {
  TempDir dir;
  const fs::path mp4 = dir.path() / "clip.mp4";
  run("ffmpeg -nostdin -v error -y -f lavfi -i testsrc2=size=640x360:rate=25 -t 2 -c:v libx264 "
      "-preset ultrafast -g 25 '" +
      mp4.string() + "'");
  const std::string bytes = read_bytes(mp4);
  GifStats stats;
  auto gif = mp4_to_gif(bytes, GifOptions{.width = 320, .fps = 5}, &stats);
  BOOST_TEST_REQUIRE(gif.has_value(), (gif ? "" : gif.error().message));
  BOOST_TEST(gif->substr(0, 6) == "GIF89a");
  BOOST_TEST(stats.width == 320);
  BOOST_TEST(stats.height == 180);
  BOOST_TEST(stats.frames == 10);  // 2 s at 5 fps
  const fs::path out = dir.path() / "clip.gif";
  std::ofstream(out, std::ios::binary) << *gif;
  BOOST_TEST(run("ffprobe -v error -count_frames -show_entries stream=codec_name,nb_read_frames "
                 "-of csv=p=0 '" +
                 out.string() + "'") == "gif,10\n");
  // Never wider than the video.
  gif = mp4_to_gif(bytes, GifOptions{.width = 4000, .fps = 5}, &stats);
  BOOST_TEST_REQUIRE(gif.has_value());
  BOOST_TEST(stats.width == 640);
  // Non-square pixels (2:1): the GIF shows the picture as a player would, square-pixelled.
  const fs::path wide = dir.path() / "wide.mp4";
  run("ffmpeg -nostdin -v error -y -f lavfi -i testsrc2=size=320x360:rate=25 -t 1 -vf setsar=2 "
      "-c:v libx264 -preset ultrafast '" +
      wide.string() + "'");
  const std::string wide_bytes = read_bytes(wide);
  gif = mp4_to_gif(wide_bytes, GifOptions{.width = 480, .fps = 5}, &stats);
  BOOST_TEST_REQUIRE(gif.has_value());
  BOOST_TEST(stats.width == 480);
  BOOST_TEST(stats.height == 270);  // 640x360 shown, scaled to 480 wide
  // Not a video: an error, not a crash.
  auto bad = mp4_to_gif("garbage", GifOptions{});
  BOOST_TEST_REQUIRE(!bad.has_value());
  BOOST_TEST((bad.error().kind == ErrorKind::data_loss));
}

BOOST_AUTO_TEST_CASE(moment_names) {
  const LocalTime t{Date{2026, 11, 21}, 9, 5, 7};
  BOOST_TEST(moment_file_name(t, "gif") == "moment_2026-11-21_090507.gif");
  auto parsed = parse_moment_name("moment_2026-11-21_090507.mp4");
  BOOST_REQUIRE(parsed);
  BOOST_TEST(parsed->format == "mp4");
  BOOST_TEST((parsed->time.hour == 9 && parsed->time.minute == 5 && parsed->time.second == 7));
  BOOST_TEST(moment_file_name(t, "mp4", 2) == "moment_2026-11-21_090507-2.mp4");
  parsed = parse_moment_name("moment_2026-11-21_090507-12.gif");
  BOOST_REQUIRE(parsed);
  BOOST_TEST(parsed->number == 12);
  BOOST_TEST(parsed->name == "moment_2026-11-21_090507-12.gif");
  for (const char* bad :
       {"moment_2026-11-21_090507.mp4.part", ".moment_2026-11-21_090507.mp4",
        ".moment_2026-11-21_090507.mp4.a1B2c3.part", "moment_2026-11-21_090507-1.mp4",
        "moment_2026-11-21_090507-0.mp4", "moment_2026-11-21_090507-02.mp4",
        "moment_2026-11-21_090507-100.mp4", "moment_2026-11-21_090507-.mp4",
        "moment_2026-11-21_090507x2.mp4", "moment_2026-11-21_090507.mp4.mp4",
        "moment_2026-13-21_090507.mp4", "moment_2026-11-21_250507.mp4",
        "moment_2026-11-21_090507.avi", "moment_2026-11-21-090507.mp4", "video_090507.ts"}) {
    BOOST_TEST(!parse_moment_name(bad), bad);
  }
}

BOOST_AUTO_TEST_CASE(listing_skips_other_files_and_is_newest_first) {
  TempDir dir;
  for (const char* name : {"moment_2026-11-20_235959.mp4", "moment_2026-11-21_000001.gif",
                           "moment_2026-11-21_000001.mp4.part", "notes.txt"}) {
    write_file(dir.path() / name, "x");
  }
  fs::create_directories(dir.path() / "moment_2026-11-21_000002.mp4");  // a directory
  auto listed = value_of(list_moments(dir.path(), 10));
  BOOST_REQUIRE_EQUAL(listed.size(), 2U);
  BOOST_TEST(listed[0].name == "moment_2026-11-21_000001.gif");
  BOOST_TEST(listed[1].name == "moment_2026-11-20_235959.mp4");
  BOOST_TEST(value_of(list_moments(dir.path(), 1)).size() == 1U);
  BOOST_TEST(value_of(list_moments(dir.path() / "absent", 10)).empty());
}
