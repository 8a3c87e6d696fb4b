// Unit tests for worker/sync_queue (and the catalog's upload rows under it): which files
// are queued and under which key, the state machine pending -> uploading -> done /
// failed, the backoff, the classes of failures, "stored in S3" and clearAfterUpload's
// archive step.
#define BOOST_TEST_MODULE sync_queue
#include <boost/test/unit_test.hpp>

#include "core/catalog.hpp"
#include "tests/unit/temp_dir.hpp"
#include "worker/sync_queue.hpp"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

using namespace cctv;
using namespace cctv::worker;
namespace fs = std::filesystem;
using std::chrono::milliseconds;

namespace {

constexpr std::int64_t k_s = k_micros_per_second;
const Date k_day{2026, 11, 20};
constexpr UtcMicros k_t0 = (20777LL * 86400 + 36900) * k_s;  // 2026-11-20T10:15:00Z
constexpr UtcMicros k_now = k_t0 + 3 * 86400 * k_s;

template <typename T>
T must(Result<T> r) {
  if (!r) throw std::runtime_error(r.error().message);
  return std::move(*r);
}
void must(Result<void> r) {
  if (!r) throw std::runtime_error(r.error().message);
}

struct Fixture {
  test::TempDir dir;
  Catalog catalog = must(Catalog::open_writable(dir.path() / "catalog.sqlite"));
  std::int64_t cam = must(catalog.ensure_camera("front", "front", "UTC"));
  Config config = [] {
    Config c;
    c.s3.bucket = "cctv";
    c.s3.prefix = "site1";
    return c;
  }();
  SyncQueue queue{config, {SyncCamera{cam, "front", "101", dir.path() / "front"}}, catalog};

  // A segment row and its file.
  void segment(const std::string& hhmmss, int offset_s, std::int64_t size = 1000) {
    Segment s;
    s.date = k_day;
    s.name = "video_" + hhmmss + ".ts";
    s.start_us = k_t0 + offset_s * k_s;
    s.duration_us = 10 * k_s;
    s.size_bytes = size;
    must(catalog.put_segment(cam, s));
    fs::create_directories(dir.path() / "front" / "2026-11-20");
    std::ofstream(dir.path() / "front" / "2026-11-20" / s.name) << std::string(size, 'x');
  }
  Upload row(const std::string& name) {
    auto u = must(catalog.find_upload(cam, k_day, name));
    if (!u) throw std::runtime_error("no upload row " + name);
    return *u;
  }
  std::vector<std::string> due_names(UtcMicros now) {
    std::vector<std::string> names;
    for (const Upload& u : must(queue.due(now, 100))) names.push_back(u.name);
    return names;
  }
};

Error error(ErrorKind kind) { return Error{kind, "PUT s3://cctv/x: HTTP 503 SlowDown: slow"}; }

}  // namespace

BOOST_AUTO_TEST_CASE(retry_delay_doubles_from_1s_to_5min_with_jitter) {
  BOOST_TEST(sync_retry_delay(1, 0.5).count() == 1000);
  BOOST_TEST(sync_retry_delay(2, 0.5).count() == 2000);
  BOOST_TEST(sync_retry_delay(3, 0.5).count() == 4000);
  BOOST_TEST(sync_retry_delay(9, 0.5).count() == 256'000);
  BOOST_TEST(sync_retry_delay(10, 0.5).count() == 300'000);  // capped
  BOOST_TEST(sync_retry_delay(1000, 0.5).count() == 300'000);
  BOOST_TEST(sync_retry_delay(0, 0.5).count() == 1000);
  BOOST_TEST(sync_retry_delay(1, 0.0).count() == 800);   // -20 %
  BOOST_TEST(sync_retry_delay(1, 1.0).count() == 1200);  // +20 %
  BOOST_TEST(sync_retry_delay(10, 0.999).count() <= 360'000);
}

BOOST_AUTO_TEST_CASE(failures_are_classified) {
  BOOST_TEST((classify_failure(error(ErrorKind::unavailable), true) == FailureClass::retry));
  BOOST_TEST((classify_failure(error(ErrorKind::timeout), true) == FailureClass::retry));
  BOOST_TEST((classify_failure(error(ErrorKind::data_loss), true) == FailureClass::retry));
  BOOST_TEST((classify_failure(error(ErrorKind::invalid_argument), true) == FailureClass::blocked));
  BOOST_TEST((classify_failure(error(ErrorKind::not_found), true) == FailureClass::blocked));
  BOOST_TEST((classify_failure(error(ErrorKind::unavailable), false) == FailureClass::gone));
}

BOOST_FIXTURE_TEST_CASE(segments_are_queued_once_with_their_keys_oldest_first, Fixture) {
  segment("101510", 10);
  segment("101500", 0);
  segment("101520", 20);
  BOOST_TEST(must(queue.refresh()) == 3);
  BOOST_TEST(must(queue.refresh()) == 0);  // the day did not change
  BOOST_TEST(row("video_101500.ts").key ==
             "site1/front/2026-11-20/front_101_20261120T101500Z_20261120T101510Z.ts");
  BOOST_TEST((row("video_101500.ts").state == UploadState::pending));
  const std::vector<std::string> expected{"video_101500.ts", "video_101510.ts", "video_101520.ts"};
  BOOST_TEST(due_names(k_now) == expected, boost::test_tools::per_element());
  segment("101530", 30);
  BOOST_TEST(must(queue.refresh()) == 1);
  const auto stats = must(catalog.upload_queue_stats());
  BOOST_TEST(stats.files == 4);
  BOOST_TEST(stats.bytes == 4000);
  BOOST_TEST(stats.oldest_end_us == k_t0 + 10 * k_s);
}

BOOST_FIXTURE_TEST_CASE(upload_segments_off_queues_no_segment, Fixture) {
  config.s3.upload_segments = false;
  SyncQueue converted_only(config, {SyncCamera{cam, "front", "", dir.path() / "front"}}, catalog);
  segment("101500", 0);
  BOOST_TEST(must(converted_only.refresh()) == 0);
  BOOST_TEST(!must(catalog.day_in_s3(cam, k_day)));  // its segments are nowhere else
}

BOOST_FIXTURE_TEST_CASE(done_files_leave_the_queue_and_make_the_day_safe, Fixture) {
  segment("101500", 0);
  segment("101510", 10);
  must(queue.refresh());
  BOOST_TEST(!must(catalog.day_in_s3(cam, k_day)));
  must(queue.done(row("video_101500.ts"), 1000, "etag1"));
  BOOST_TEST(!must(catalog.day_in_s3(cam, k_day)));
  BOOST_TEST(due_names(k_now) == std::vector<std::string>{"video_101510.ts"},
             boost::test_tools::per_element());
  must(queue.done(row("video_101510.ts"), 1000, "etag2"));
  BOOST_TEST(must(catalog.day_in_s3(cam, k_day)));
  BOOST_TEST(due_names(k_now).empty());
  BOOST_TEST(must(catalog.upload_queue_stats()).files == 0);
  BOOST_TEST(row("video_101510.ts").etag == "etag2");
  BOOST_TEST((row("video_101510.ts").state == UploadState::done));
  // A file that changed (a late rewrite) goes up again.
  segment("101510", 10, 1200);
  BOOST_TEST(must(queue.refresh()) == 1);
  BOOST_TEST((row("video_101510.ts").state == UploadState::pending));
  BOOST_TEST(!must(catalog.day_in_s3(cam, k_day)));
}

BOOST_FIXTURE_TEST_CASE(retryable_failures_back_off_per_file, Fixture) {
  segment("101500", 0);
  segment("101510", 10);
  must(queue.refresh());
  auto failure =
      must(queue.failed(row("video_101500.ts"), error(ErrorKind::unavailable), k_now, 0.5));
  BOOST_TEST((failure == FailureClass::retry));
  Upload u = row("video_101500.ts");
  BOOST_TEST((u.state == UploadState::failed));
  BOOST_TEST(u.attempts == 1);
  BOOST_TEST(u.next_try_us == k_now + 1 * k_s);
  BOOST_TEST(u.last_error.find("SlowDown") != std::string::npos);
  BOOST_TEST(due_names(k_now) == std::vector<std::string>{"video_101510.ts"},
             boost::test_tools::per_element());
  BOOST_TEST(due_names(k_now + k_s).size() == 2U);  // oldest first again once due
  must(queue.failed(u, error(ErrorKind::timeout), k_now + k_s, 0.5));
  u = row("video_101500.ts");
  BOOST_TEST(u.attempts == 2);
  BOOST_TEST(u.next_try_us == k_now + 3 * k_s);  // 2 s later
  // Done after all: the error is cleared.
  must(queue.done(u, 1000, "e"));
  BOOST_TEST(row("video_101500.ts").last_error.empty());
}

BOOST_FIXTURE_TEST_CASE(refused_files_wait_an_hour_and_sighup_makes_them_due, Fixture) {
  segment("101500", 0);
  must(queue.refresh());
  auto failure = must(queue.failed(row("video_101500.ts"),
                                   Error{ErrorKind::invalid_argument, "HTTP 403"}, k_now, 0.5));
  BOOST_TEST((failure == FailureClass::blocked));
  BOOST_TEST(row("video_101500.ts").next_try_us == k_now + k_sync_refused_wait_us);
  BOOST_TEST(due_names(k_now + 60 * k_s).empty());
  must(catalog.retry_uploads_now(k_now + 60 * k_s));
  BOOST_TEST(due_names(k_now + 60 * k_s).size() == 1U);
}

BOOST_FIXTURE_TEST_CASE(a_file_gone_is_dropped_with_its_segment_row, Fixture) {
  segment("101500", 0);
  segment("101510", 10);
  must(queue.refresh());
  // Deleted (by hand, by retention): the file and then its row go.
  fs::remove(dir.path() / "front" / "2026-11-20" / "video_101500.ts");
  must(catalog.remove_segment(cam, k_day, "video_101500.ts"));
  auto failure =
      must(queue.failed(row("video_101500.ts"), error(ErrorKind::not_found), k_now, 0.5));
  BOOST_TEST((failure == FailureClass::gone));
  BOOST_TEST(!must(catalog.find_upload(cam, k_day, "video_101500.ts")));
  BOOST_TEST(due_names(k_now) == std::vector<std::string>{"video_101510.ts"},
             boost::test_tools::per_element());
}

BOOST_FIXTURE_TEST_CASE(multipart_upload_ids_are_kept_until_done, Fixture) {
  segment("101500", 0);
  must(queue.refresh());
  must(queue.started(row("video_101500.ts"), "upload-1"));
  auto unfinished = must(catalog.unfinished_uploads());
  BOOST_REQUIRE(unfinished.size() == 1U);
  BOOST_TEST(unfinished[0].upload_id == "upload-1");
  BOOST_TEST((unfinished[0].state == UploadState::uploading));
  BOOST_TEST(due_names(k_now).size() == 1U);  // a restart takes it again
  must(queue.done(row("video_101500.ts"), 1000, "e"));
  BOOST_TEST(must(catalog.unfinished_uploads()).empty());
  BOOST_TEST(row("video_101500.ts").upload_id.empty());
}

BOOST_FIXTURE_TEST_CASE(only_a_settled_day_in_s3_is_archived, Fixture) {
  segment("101500", 0);
  segment("101510", 10);
  must(queue.refresh());
  must(queue.done(row("video_101500.ts"), 1000, "e"));
  must(catalog.set_day_state(cam, k_day, DayState::settled));
  BOOST_TEST(!must(catalog.archive_day(cam, k_day)));  // one file still waits
  must(queue.done(row("video_101510.ts"), 1000, "e"));
  must(catalog.set_day_state(cam, k_day, DayState::recording));
  BOOST_TEST(!must(catalog.archive_day(cam, k_day)));  // still recording
  must(catalog.set_day_state(cam, k_day, DayState::settled));
  BOOST_TEST(must(catalog.archive_day(cam, k_day)));
  auto day = must(catalog.find_day(cam, k_day));
  BOOST_TEST((day->state == DayState::archived));
  BOOST_TEST(day->segment_count == 2);  // the rows stay: the day is still listed
  BOOST_TEST(row("video_101500.ts").only_in_s3);
  BOOST_TEST(must(catalog.day_in_s3(cam, k_day)));
  BOOST_TEST(must(queue.refresh()) == 0);              // nothing queued again
  BOOST_TEST(!must(catalog.archive_day(cam, k_day)));  // once
}

BOOST_FIXTURE_TEST_CASE(a_converted_day_queues_its_file_and_checksum, Fixture) {
  segment("101500", 0);
  must(queue.refresh());
  must(queue.done(row("video_101500.ts"), 1000, "e"));
  ConvertedDay converted;
  converted.init_size_bytes = 100;
  converted.file_size_bytes = 5000;
  converted.codec = "hevc 640x360";
  converted.fragments.push_back(Fragment{100, 4900, k_t0, 10 * k_s});
  must(catalog.put_converted_day(cam, k_day, converted));
  BOOST_TEST(must(queue.refresh()) == 2);
  BOOST_TEST(row("video.mp4").key ==
             "site1/front/2026-11-20/front_101_20261120T101500Z_20261120T101510Z.mp4");
  BOOST_TEST(row("video.mp4.sha512sum").key ==
             "site1/front/2026-11-20/front_101_20261120T101500Z_20261120T101510Z.mp4.sha512sum");
  BOOST_TEST(!must(catalog.find_upload(cam, k_day, "video_101500.ts")));  // segment gone
  BOOST_TEST(!must(catalog.day_in_s3(cam, k_day)));
  must(queue.done(row("video.mp4"), 5000, "e"));
  BOOST_TEST(!must(catalog.day_in_s3(cam, k_day)));
  must(queue.done(row("video.mp4.sha512sum"), 150, "e"));
  BOOST_TEST(must(catalog.day_in_s3(cam, k_day)));
  BOOST_TEST(must(catalog.archive_day(cam, k_day)));
  auto file = must(catalog.converted_file(cam, k_day));
  BOOST_REQUIRE(file.has_value());
  BOOST_TEST(file->fragments.size() == 1U);
}

BOOST_FIXTURE_TEST_CASE(sync_status_round_trips, Fixture) {
  BOOST_TEST(!must(catalog.sync_status()).has_value());
  SyncStatus st;
  st.state = "blocked";
  st.waiting_files = 3;
  st.waiting_bytes = 3000;
  st.oldest_waiting_us = k_t0;
  st.last_error = "HTTP 403 SignatureDoesNotMatch";
  must(catalog.put_sync_status(st));
  auto back = must(catalog.sync_status());
  BOOST_REQUIRE(back.has_value());
  BOOST_TEST(back->state == "blocked");
  BOOST_TEST(back->waiting_files == 3);
  BOOST_TEST(back->oldest_waiting_us == k_t0);
  BOOST_TEST(back->last_error == st.last_error);
  st.oldest_waiting_us = 0;
  st.state = "idle";
  must(catalog.put_sync_status(st));
  BOOST_TEST(must(catalog.sync_status())->oldest_waiting_us == 0);
}
