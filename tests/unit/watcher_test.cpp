// Unit tests for worker/watcher and worker/inotify: the RAII wrappers, and the
// watcher driven through the daemon's event loop: segments renamed or written into
// day directories are indexed within a second, deleted ones are forgotten, new day
// and camera directories are watched and scanned, partial files are ignored.
#define BOOST_TEST_MODULE watcher
#include <boost/test/unit_test.hpp>

#include "core/unique_fd.hpp"
#include "tests/unit/worker_fixture.hpp"
#include "worker/daemon.hpp"
#include "worker/inotify.hpp"
#include "worker/probe.hpp"
#include "worker/watcher.hpp"

#include <fcntl.h>
#include <poll.h>

#include <chrono>
#include <functional>

using namespace cctv;
using namespace cctv::test;
using namespace cctv::worker;
using namespace std::chrono_literals;

namespace {

const Date k_day{2026, 11, 20};

bool fd_is_open(int fd) { return ::fcntl(fd, F_GETFD) != -1; }

// An archive with camera "cam" (one segment on 2026-11-20), watched by a running
// watcher in a daemon loop that the test turns by hand.
struct Watched {
  TempDir dir;
  fs::path root = dir.path() / "archive";
  fs::path day = root / "cam" / "2026-11-20";
  Catalog catalog;
  Indexer indexer;
  std::unique_ptr<Watcher> watcher;
  Notifier notifier;
  Daemon daemon;

  Watched()
      : catalog((copy_sample(day / "video_100000.ts"), open_catalog(dir.path() / "c.sqlite"))),
        indexer(make_config(root, dir.path() / "c.sqlite"), catalog),
        watcher(value_of(Watcher::create(indexer))),
        daemon(value_of(Daemon::create(notifier))) {
    value_of(watcher->start());
    daemon.add(*watcher);
  }

  std::int64_t camera_id(const std::string& name = "cam") {
    auto row = value_of(catalog.find_camera(name));
    return row ? row->id : -1;
  }
  std::size_t segment_count(const Date& date, const std::string& camera = "cam") {
    return value_of(catalog.segments(camera_id(camera), date)).size();
  }
  bool has(const Date& date, const std::string& name, const std::string& camera = "cam") {
    for (const auto& s : value_of(catalog.segments(camera_id(camera), date))) {
      if (s.name == name) return true;
    }
    return false;
  }
  // Turns the loop until `done` holds; returns how long it took (or throws after 1 s).
  std::chrono::milliseconds turn_until(const std::function<bool()>& done) {
    const auto start = std::chrono::steady_clock::now();
    while (!done()) {
      if (std::chrono::steady_clock::now() - start > 1s) throw std::runtime_error("not within 1 s");
      BOOST_REQUIRE(value_of(daemon.run_once(20ms)));
    }
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 start);
  }
  // Turns the loop for a while (to show that something does not happen).
  void turn_for(std::chrono::milliseconds span) {
    const auto start = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() - start < span) {
      BOOST_REQUIRE(value_of(daemon.run_once(20ms)));
    }
  }
};

}  // namespace

BOOST_AUTO_TEST_CASE(unique_fd_move_assignment_closes_the_old_descriptor) {
  UniqueFd a(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  UniqueFd b(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  const int a_fd = a.get();
  const int b_fd = b.get();
  a = std::move(b);
  BOOST_TEST(!fd_is_open(a_fd));
  BOOST_TEST(a.get() == b_fd);
  BOOST_TEST(!b.valid());
  UniqueFd c(std::move(a));
  BOOST_TEST(c.get() == b_fd);
  c.reset();
  BOOST_TEST(!fd_is_open(b_fd));
}

BOOST_AUTO_TEST_CASE(watch_move_assignment_removes_the_old_watch) {
  TempDir dir;
  fs::create_directories(dir.path() / "a");
  fs::create_directories(dir.path() / "b");
  auto inotify = value_of(Inotify::create());
  auto a = value_of(inotify.watch(dir.path() / "a"));
  auto b = value_of(inotify.watch(dir.path() / "b"));
  const int a_wd = a.wd();
  const int b_wd = b.wd();
  a = std::move(b);  // removes the watch on "a": the kernel queues IN_IGNORED for it
  BOOST_TEST(a.wd() == b_wd);
  BOOST_TEST(!b.valid());
  write_file(dir.path() / "a" / "x", "1");
  write_file(dir.path() / "b" / "y", "1");
  const auto events = value_of(inotify.read_events());
  bool a_ignored = false;
  bool a_file = false;
  bool b_file = false;
  for (const auto& e : events) {
    a_ignored = a_ignored || (e.wd == a_wd && (e.mask & IN_IGNORED) != 0);
    a_file = a_file || (e.wd == a_wd && e.name == "x");
    b_file = b_file || (e.wd == b_wd && e.name == "y" && (e.mask & IN_CLOSE_WRITE) != 0);
  }
  BOOST_TEST(a_ignored);
  BOOST_TEST(!a_file);
  BOOST_TEST(b_file);
  Watch c(std::move(a));
  BOOST_TEST(c.wd() == b_wd);
  c.release();  // forgotten without inotify_rm_watch
  BOOST_TEST(!c.valid());
  BOOST_TEST(value_of(inotify.read_events()).empty());  // nothing removed, nothing queued
}

BOOST_AUTO_TEST_CASE(inotify_move_assignment_closes_the_old_descriptor) {
  auto a = value_of(Inotify::create());
  auto b = value_of(Inotify::create());
  const int a_fd = a.fd();
  const int b_fd = b.fd();
  a = std::move(b);
  BOOST_TEST(a.fd() == b_fd);
  BOOST_TEST(b.fd() == -1);
  BOOST_TEST(!fd_is_open(a_fd));
  Inotify c(std::move(a));
  BOOST_TEST(c.fd() == b_fd);
  BOOST_TEST(fd_is_open(b_fd));
}

BOOST_AUTO_TEST_CASE(start_indexes_and_watches_every_directory) {
  Watched w;
  BOOST_TEST(w.segment_count(k_day) == 1U);
  BOOST_TEST(w.watcher->watch_count() == 3U);  // root, cam, cam/2026-11-20
  BOOST_TEST(w.watcher->status() == "watching 1 cameras, 1 segments");
}

BOOST_AUTO_TEST_CASE(a_segment_renamed_into_a_day_is_indexed_within_a_second) {
  Watched w;
  copy_sample(w.day / ".video_100002.ts.part");  // written under a partial name
  w.turn_for(100ms);
  BOOST_TEST(w.segment_count(k_day) == 1U);  // partial names are ignored
  fs::rename(w.day / ".video_100002.ts.part", w.day / "video_100002.ts");
  const auto took = w.turn_until([&] { return w.has(k_day, "video_100002.ts"); });
  BOOST_TEST(took.count() < 1000);

  // From outside the archive (same file system), as nginx's PUT does.
  copy_sample(w.dir.path() / "upload.tmp");
  fs::rename(w.dir.path() / "upload.tmp", w.day / "video_100004.ts");
  w.turn_until([&] { return w.has(k_day, "video_100004.ts"); });
  // Written in place and closed.
  copy_sample(w.day / "video_100006.ts");
  w.turn_until([&] { return w.has(k_day, "video_100006.ts"); });
  BOOST_TEST(w.segment_count(k_day) == 4U);
}

BOOST_AUTO_TEST_CASE(a_deleted_segment_is_forgotten) {
  Watched w;
  copy_sample(w.day / "video_100002.ts");
  w.turn_until([&] { return w.segment_count(k_day) == 2U; });
  fs::remove(w.day / "video_100002.ts");
  w.turn_until([&] { return w.segment_count(k_day) == 1U; });
  fs::rename(w.day / "video_100000.ts", w.dir.path() / "moved-away.ts");
  w.turn_until([&] { return !value_of(w.catalog.find_day(w.camera_id(), k_day)); });
}

BOOST_AUTO_TEST_CASE(a_replaced_segment_and_its_sidecar_are_read_again) {
  Watched w;
  make_ts(w.dir.path() / "longer.ts", 3);
  const auto longer_us = value_of(worker::probe_segment(w.dir.path() / "longer.ts")).duration_us;
  fs::rename(w.dir.path() / "longer.ts", w.day / "video_100000.ts");
  w.turn_until([&] {
    return value_of(w.catalog.segments(w.camera_id(), k_day))[0].duration_us == longer_us;
  });
  write_file(w.day / "video_100000.ts.duration", "4.25\n");
  w.turn_until([&] {
    return value_of(w.catalog.segments(w.camera_id(), k_day))[0].duration_us == 4'250'000;
  });
  fs::remove(w.day / "video_100000.ts.duration");
  w.turn_until([&] {
    return value_of(w.catalog.segments(w.camera_id(), k_day))[0].duration_us == longer_us;
  });
}

BOOST_AUTO_TEST_CASE(new_day_directories_are_watched_and_scanned) {
  Watched w;
  const Date next{2026, 11, 21};
  // A day directory that arrives with files already in it (moved in whole).
  copy_sample(w.dir.path() / "staging" / "video_000000.ts");
  fs::rename(w.dir.path() / "staging", w.root / "cam" / "2026-11-21");
  w.turn_until([&] { return w.segment_count(next) == 1U; });
  // ... and later files in it are seen through its new watch.
  copy_sample(w.root / "cam" / "2026-11-21" / "video_000002.ts");
  w.turn_until([&] { return w.segment_count(next) == 2U; });
  BOOST_TEST(w.watcher->watch_count() == 4U);
  // A deleted day directory takes its day out of the catalog.
  fs::remove_all(w.root / "cam" / "2026-11-21");
  w.turn_until([&] { return !value_of(w.catalog.find_day(w.camera_id(), next)); });
  w.turn_for(50ms);
  BOOST_TEST(w.watcher->watch_count() == 3U);
}

BOOST_AUTO_TEST_CASE(new_camera_directories_are_discovered) {
  Watched w;
  fs::create_directories(w.root / "yard" / "2026-11-20");
  w.turn_until([&] { return w.camera_id("yard") > 0; });
  copy_sample(w.root / "yard" / "2026-11-20" / "video_120000.ts");
  w.turn_until([&] { return w.segment_count(k_day, "yard") == 1U; });
  BOOST_TEST(w.watcher->watch_count() == 5U);
  // The camera's directory goes: its days go.
  fs::remove_all(w.root / "yard");
  w.turn_until([&] { return value_of(w.catalog.days(w.camera_id("yard"))).empty(); });
}

BOOST_AUTO_TEST_CASE(resync_brings_the_catalog_in_line_and_rewatches) {
  Watched w;
  copy_sample(w.day / "video_100002.ts");
  fs::remove(w.day / "video_100000.ts");
  check(w.watcher->resync());  // what an inotify overflow or SIGHUP does
  BOOST_TEST(!w.has(k_day, "video_100000.ts"));
  BOOST_TEST(w.has(k_day, "video_100002.ts"));
  BOOST_TEST(w.watcher->watch_count() == 3U);
  w.turn_for(50ms);  // the queued events change nothing
  BOOST_TEST(w.segment_count(k_day) == 1U);
  copy_sample(w.day / "video_100004.ts");
  w.turn_until([&] { return w.segment_count(k_day) == 2U; });
}

BOOST_AUTO_TEST_CASE(legacy_root_gets_new_days) {
  TempDir dir;
  const auto root = dir.path() / "archive";
  copy_sample(root / "2026-11-20" / "video_100000.ts");
  auto catalog = open_catalog(dir.path() / "c.sqlite");
  // The root spelled with a trailing slash.
  Indexer indexer(make_config(root.string() + "/", dir.path() / "c.sqlite"), catalog);
  auto watcher = value_of(Watcher::create(indexer));
  value_of(watcher->start());
  BOOST_TEST(watcher->watch_count() == 2U);  // the root is the camera directory
  fs::create_directories(root / "2026-11-21");
  copy_sample(root / "2026-11-21" / "video_000000.ts");
  const auto id = value_of(catalog.find_camera("camera"))->id;
  const auto start = std::chrono::steady_clock::now();
  while (value_of(catalog.segments(id, Date{2026, 11, 21})).empty()) {
    BOOST_REQUIRE(std::chrono::steady_clock::now() - start < 1s);
    pollfd pfd{watcher->fd(), POLLIN, 0};
    if (::poll(&pfd, 1, 20) > 0) check(watcher->on_readable());
  }
}
