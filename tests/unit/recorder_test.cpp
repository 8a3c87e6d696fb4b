// Unit tests for worker/recorder: a camera played from a file with a fake clock
// that follows its timestamps (so cutting, names and day rollover are checked in
// milliseconds), faults on cue (stall, refusal, 401, garbage, resolution change,
// disk error), the stop that closes a playable segment, and the catalog rows.
#define BOOST_TEST_MODULE recorder
#include <boost/test/unit_test.hpp>

#include "core/layout.hpp"
#include "tests/unit/recorder_fixture.hpp"
#include "worker/indexer.hpp"
#include "worker/probe.hpp"
#include "worker/recorder.hpp"

#include <cmath>

using namespace cctv;
using namespace cctv::test;
using namespace std::chrono_literals;

namespace {

// 2026-11-20T10:15:00.500Z
constexpr UtcMicros k_t0 = (20777LL * 86400 + 36900) * k_s + 500'000;

struct Run {
  RecorderSetup setup;
  FakeClock clock;
  LiveCamera camera{clock, clip12()};
  Sleeps sleeps{clock};
  worker::RecorderOptions options;

  explicit Run(int segment_seconds = 2, UtcMicros start = k_t0, std::string zone = "UTC")
      : setup(segment_seconds, std::move(zone)), clock(start) {
    options.good_after = 5s;
  }

  std::unique_ptr<worker::Recorder> make() {
    worker::RecorderSeams seams;
    seams.clock = clock.clock();
    seams.opener = camera.opener();
    seams.sleep = sleeps.seam();
    seams.random = [] { return 0.5; };
    return std::make_unique<worker::Recorder>(setup.cam, setup.camera(), setup.catalog_path,
                                              options, seams);
  }

  // Runs the recorder in this thread until its sleeps run out.
  std::string record() {
    CapturedLog log;
    make()->run();
    return log.restore();
  }
};

bool near(std::int64_t a_us, double b_s, double tolerance_s) {
  return std::abs(static_cast<double>(a_us) / 1e6 - b_s) <= tolerance_s;
}

std::int64_t recorded_flag(const fs::path& catalog, const std::string& name) {
  auto db = value_of(sqlite::Database::open(catalog, sqlite::Database::Mode::read_only));
  auto s = value_of(db.prepared("SELECT recorded FROM segment WHERE name = ?1"));
  s->bind(1, name);
  return value_of(s->step()) ? s->column_int(0) : -1;
}

}  // namespace

BOOST_AUTO_TEST_CASE(segments_are_cut_on_keyframes_at_wall_clock_boundaries) {
  Run r(2);
  const std::string log = r.record();
  const fs::path day = r.setup.day("2026-11-20");
  // Keyframes every second at .5: each segment starts at the first one after :00, :02 ...
  const std::vector<std::string> expected{"video_101500.ts", "video_101502.ts", "video_101504.ts",
                                          "video_101506.ts", "video_101508.ts", "video_101510.ts"};
  const auto files = files_in(day);
  BOOST_TEST(files == expected, boost::test_tools::per_element());
  const auto rows = r.setup.segments("2026-11-20");
  BOOST_TEST_REQUIRE(rows.size() == expected.size());
  const auto first_codec = value_of(worker::probe_segment(day / rows[0].name)).codec;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    // Exact starts: the wall clock at the first packet plus the stream's own time.
    BOOST_TEST(rows[i].start_us == k_t0 + static_cast<std::int64_t>(i) * 2 * k_s);
    BOOST_TEST(near(rows[i].duration_us, 2.0, 0.101), rows[i].name << " " << rows[i].duration_us);
    BOOST_TEST(near(rows[i].duration_us, ffprobe_duration(day / rows[i].name), 0.101));
    BOOST_TEST(rows[i].codec == first_codec);  // what the indexer would say
    BOOST_TEST(rows[i].size_bytes == static_cast<std::int64_t>(fs::file_size(day / rows[i].name)));
    BOOST_TEST(recorded_flag(r.setup.catalog_path, rows[i].name) == 1);
    BOOST_TEST(ffprobe_streams(day / rows[i].name) == "video,audio");
  }
  BOOST_TEST(first_codec == "h264 320x180");
  BOOST_TEST(count_of(log, "cam=front connected to rtsp://***@127.0.0.1:8554/cam1: h264 320x180") ==
             1u);
  BOOST_TEST(count_of(log, "hunter2") == 0u, log);
  // The camera's credentials reach the opener.
  BOOST_TEST(r.camera.urls.at(0) == "rtsp://admin:hunter2@127.0.0.1:8554/cam1");
}

BOOST_AUTO_TEST_CASE(a_timeline_that_learns_after_the_first_segment_keeps_the_grid) {
  // The packets from 1.5 s of stream on arrive in a burst (the clock stands still for
  // a second of stream), so the timeline lowers its anchor by 1 s after the first
  // segment was closed. The segments go on from where the first one ended: each one
  // 2 s (keyframes every second), named on the 2 s grid, contiguous; none grows to 3 s
  // because the cut looked at a clock the names do not use.
  Run r(2);
  r.camera.lag = [](std::int64_t stream) {
    return std::clamp<std::int64_t>(stream - 1'500'000, 0, 1'000'000);
  };
  (void)r.record();
  const auto rows = r.setup.segments("2026-11-20");
  BOOST_TEST_REQUIRE(rows.size() >= 4u);
  for (std::size_t i = 1; i + 1 < rows.size(); ++i) {
    const Segment& prev = rows[i - 1];
    BOOST_TEST(rows[i].start_us == prev.start_us + prev.duration_us, rows[i].name);
    BOOST_TEST(near(rows[i].duration_us, 2.0, 0.101), rows[i].name << " " << rows[i].duration_us);
    const auto name_s = (rows[i].start_us / k_s) % 86400;
    BOOST_TEST(rows[i].name == segment_name(static_cast<int>(name_s)));
    BOOST_TEST(name_s % 2 == 0, rows[i].name);
  }
}

BOOST_AUTO_TEST_CASE(ten_second_segments_from_an_odd_start) {
  Run r(10, k_t0 + 2'750'000);  // 10:15:03.250
  (void)r.record();
  const auto rows = r.setup.segments("2026-11-20");
  BOOST_TEST_REQUIRE(rows.size() == 2u);
  BOOST_TEST(rows[0].name == "video_101503.ts");
  BOOST_TEST(near(rows[0].duration_us, 7.0, 0.001));  // up to the keyframe at 10:15:10.250
  BOOST_TEST(rows[1].name == "video_101510.ts");
  BOOST_TEST(rows[1].start_us == k_t0 + 2'750'000 + 7 * k_s);
  BOOST_TEST(near(rows[1].duration_us, 5.0, 0.101));
}

BOOST_AUTO_TEST_CASE(a_day_rollover_with_an_injected_clock) {
  const TimeZone berlin = value_of(TimeZone::load("Europe/Berlin"));
  const UtcMicros start = berlin.to_utc(LocalTime{Date{2026, 11, 20}, 23, 59, 55});
  Run r(10, start, "Europe/Berlin");
  (void)r.record();
  const auto before = r.setup.segments("2026-11-20");
  const auto after = r.setup.segments("2026-11-21");
  BOOST_TEST_REQUIRE(before.size() == 1u);
  BOOST_TEST_REQUIRE(after.size() == 1u);
  BOOST_TEST(before[0].name == "video_235955.ts");
  BOOST_TEST(near(before[0].duration_us, 5.0, 0.001));
  BOOST_TEST(after[0].name == "video_000000.ts");
  BOOST_TEST(after[0].start_us == berlin.day_start(Date{2026, 11, 21}));
  BOOST_TEST(fs::exists(r.setup.day("2026-11-21") / "video_000000.ts"));
  BOOST_TEST(files_in(r.setup.day("2026-11-20")) == std::vector<std::string>{"video_235955.ts"},
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_stop_closes_the_open_segment_playable_and_indexed) {
  Run r(10);
  std::unique_ptr<worker::Recorder> recorder = r.make();
  r.camera.fault = [&](int, int packet) -> std::optional<Error> {
    if (packet == 90) recorder->request_stop();  // SIGTERM, about 3.6 s into the stream
    return std::nullopt;
  };
  CapturedLog log;
  recorder->run();
  const std::string text = log.restore();
  const auto rows = r.setup.segments("2026-11-20");
  BOOST_TEST_REQUIRE(rows.size() == 1u);
  const fs::path file = r.setup.day("2026-11-20") / rows[0].name;
  BOOST_TEST(ffprobe_duration(file) > 2.5);
  BOOST_TEST(near(rows[0].duration_us, ffprobe_duration(file), 0.101));
  BOOST_TEST(files_in(r.setup.day("2026-11-20")).size() == 1u);  // no .part left
  BOOST_TEST(r.sleeps.delays_ms.empty());                        // no reconnect after a stop
  BOOST_TEST(count_of(text, "cam=front stopped") == 1u);
  const CameraStatus status = recorder->status();
  BOOST_TEST(status.state == CameraState::reconnecting);
  BOOST_TEST(status.last_error == "the worker stopped");
}

BOOST_AUTO_TEST_CASE(a_stall_ends_the_segment_and_the_camera_is_retried_with_backoff) {
  Run r(2);
  r.sleeps.allowed = 3;
  r.camera.fault = [](int open, int packet) -> std::optional<Error> {
    if (open == 0 && packet == 60) return Error{ErrorKind::timeout, "no packet for 5s"};
    return std::nullopt;
  };
  r.camera.refuse = [](int open) -> std::optional<Error> {
    if (open == 1 || open == 2) return Error{ErrorKind::unavailable, "open: Connection refused"};
    return std::nullopt;
  };
  const std::string log = r.record();
  // 1 s after the stall, 2 s and 4 s after the refusals; the last session recorded
  // for longer than good_after, so the backoff starts again at 1 s.
  BOOST_TEST(r.sleeps.delays_ms == (std::vector<long>{1000, 2000, 4000, 1000}),
             boost::test_tools::per_element());
  BOOST_TEST(r.camera.opens == 4);
  BOOST_TEST(count_of(log, "<4>cam=front stalled: no packet for 5s; retry in 1.000s") == 1u, log);
  BOOST_TEST(count_of(log, "cam=front cannot connect: open: Connection refused; retry in") == 2u);
  const auto rows = r.setup.segments("2026-11-20");
  BOOST_TEST_REQUIRE(rows.size() >= 5u);
  // The segment in hand at the stall was closed properly; the recording resumed
  // after the gap (1 + 2 + 4 s of backoff), which the catalog shows.
  std::size_t gaps = 0;
  for (std::size_t i = 1; i < rows.size(); ++i) {
    if (is_gap(rows[i - 1], rows[i])) ++gaps;
    BOOST_TEST(ffprobe_duration(r.setup.day("2026-11-20") / rows[i].name) > 0.0);
  }
  BOOST_TEST(gaps == 1u);
}

BOOST_AUTO_TEST_CASE(a_wrong_password_is_logged_clearly_once_per_attempt_and_never_shown) {
  Run r(2);
  r.sleeps.allowed = 2;
  r.camera.refuse = [](int) -> std::optional<Error> {
    return av::error_from(AVERROR_HTTP_UNAUTHORIZED, "open");
  };
  const std::string log = r.record();
  BOOST_TEST(r.sleeps.delays_ms == (std::vector<long>{1000, 2000, 4000}),
             boost::test_tools::per_element());
  BOOST_TEST(count_of(log, "<3>cam=front cannot connect: wrong user name or password") == 3u, log);
  BOOST_TEST(count_of(log, "401") == 3u);
  BOOST_TEST(count_of(log, "hunter2") == 0u);
  const auto statuses = value_of(r.setup.catalog.camera_statuses());
  BOOST_TEST_REQUIRE(statuses.size() == 1u);
  BOOST_TEST(statuses[0].state == CameraState::reconnecting);
  BOOST_TEST(statuses[0].last_error == "the worker stopped");
}

BOOST_AUTO_TEST_CASE(the_status_says_what_the_camera_does) {
  Run r(2);
  r.options.status_every = 2s;
  std::unique_ptr<worker::Recorder> recorder = r.make();
  std::vector<CameraStatus> seen;
  r.camera.fault = [&](int, int packet) -> std::optional<Error> {
    if (packet == 150) seen = value_of(r.setup.catalog.camera_statuses());  // ~6 s in
    return std::nullopt;
  };
  recorder->run();
  BOOST_TEST_REQUIRE(seen.size() == 1u);
  BOOST_TEST(seen[0].camera == "front");
  BOOST_TEST(seen[0].state == CameraState::recording);
  BOOST_TEST(seen[0].last_error.empty());
  BOOST_TEST(seen[0].segments_today >= 2);  // as of the last report
  BOOST_TEST(seen[0].bitrate_bps > 100'000);
  BOOST_TEST(seen[0].since_us == k_t0);
}

BOOST_AUTO_TEST_CASE(garbage_from_the_camera_is_a_failed_connection) {
  Run r(2);
  const fs::path garbage = r.setup.dir.path() / "garbage.ts";
  std::string bytes(200'000, '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>((i * 7919) % 251);
  write_file(garbage, bytes);
  r.camera.file = garbage;
  const std::string log = r.record();
  BOOST_TEST(r.sleeps.delays_ms.size() == 1u);
  BOOST_TEST(count_of(log, "cam=front cannot ") == 1u, log);
  BOOST_TEST(!fs::exists(r.setup.day("2026-11-20")));
}

BOOST_AUTO_TEST_CASE(a_resolution_change_closes_the_segment_and_reconnects) {
  Run r(2);
  const fs::path a = r.setup.dir.path() / "a.ts";
  const fs::path b = r.setup.dir.path() / "b.ts";
  make_clip(a, 4);
  make_clip(b, 4, "640x360", "-output_ts_offset 4");
  run("cat '" + a.string() + "' '" + b.string() + "' > '" +
      (r.setup.dir.path() / "ab.ts").string() + "'");
  r.camera.file = r.setup.dir.path() / "ab.ts";
  const std::string log = r.record();
  BOOST_TEST(count_of(log, "cam=front resolution changed from 320x180 to 640x360; retry in") == 1u,
             log);
  const auto rows = r.setup.segments("2026-11-20");
  BOOST_TEST_REQUIRE(rows.size() == 2u);  // 4 s of the first size, closed properly
  BOOST_TEST(near(rows[0].duration_us + rows[1].duration_us, 4.0, 0.101));
  for (const auto& row : rows) BOOST_TEST(row.codec == "h264 320x180");
}

BOOST_AUTO_TEST_CASE(a_disk_error_drops_the_segment_and_is_retried) {
  Run r(2);
  // The day directory cannot be made: a file is in the way.
  write_file(r.setup.day("2026-11-20"), "in the way");
  r.camera.fault = [&](int, int packet) -> std::optional<Error> {
    if (packet == 45) fs::remove(r.setup.day("2026-11-20"));  // the operator fixes it
    return std::nullopt;
  };
  const std::string log = r.record();
  BOOST_TEST(count_of(log, "<3>cam=front create ") >= 1u, log);
  BOOST_TEST(count_of(log, "segment dropped, next try in 1.000s") == 1u);
  const auto rows = r.setup.segments("2026-11-20");
  BOOST_TEST_REQUIRE(!rows.empty());
  BOOST_TEST(rows.back().name == "video_101510.ts");
  BOOST_TEST(r.sleeps.delays_ms.size() == 1u);  // the connection itself was never dropped
}

BOOST_AUTO_TEST_CASE(a_taken_name_moves_to_the_next_free_second_and_is_never_overwritten) {
  Run r(2);
  copy_sample(r.setup.day("2026-11-20") / "video_101502.ts");
  const auto size = fs::file_size(r.setup.day("2026-11-20") / "video_101502.ts");
  (void)r.record();
  BOOST_TEST(fs::file_size(r.setup.day("2026-11-20") / "video_101502.ts") == size);
  BOOST_TEST(fs::exists(r.setup.day("2026-11-20") / "video_101503.ts"));
  const auto rows = r.setup.segments("2026-11-20");
  BOOST_TEST_REQUIRE(rows.size() == 6u);
  BOOST_TEST(rows[1].name == "video_101503.ts");
  BOOST_TEST(rows[1].start_us == k_t0 + 2 * k_s);  // the start stays exact
}

BOOST_AUTO_TEST_CASE(indexing_a_recorded_file_again_keeps_the_recorders_row) {
  Run r(2);
  (void)r.record();
  const auto before = r.setup.segments("2026-11-20");
  BOOST_TEST_REQUIRE(before.size() == 6u);
  worker::Indexer indexer(r.setup.config(), r.setup.catalog);
  check([&]() -> Result<void> {
    CCTV_TRY(indexer.load_cameras());
    return {};
  }());
  // What the watcher does when it sees the rename: the stamp is known, nothing to do.
  const auto outcome =
      value_of(indexer.index_file(0, Date{2026, 11, 20}, before[0].name, /*force=*/false));
  BOOST_TEST(static_cast<int>(outcome) == static_cast<int>(worker::IndexOutcome::unchanged));
  // Even a full reindex (--reindex, every file probed) keeps the exact rows.
  (void)value_of(indexer.reindex(true));
  const auto after = r.setup.segments("2026-11-20");
  BOOST_TEST_REQUIRE(after.size() == before.size());
  for (std::size_t i = 0; i < after.size(); ++i) {
    BOOST_TEST(after[i].start_us == before[i].start_us);
    BOOST_TEST(after[i].duration_us == before[i].duration_us);
  }
}
