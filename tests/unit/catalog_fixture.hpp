// Helpers of the core/catalog unit tests (catalog_test.cpp, catalog_status_test.cpp,
// catalog_converted_test.cpp): a writable catalog with one camera in a temporary
// directory, segment rows, and printers for the catalog's types.
#pragma once

#include "core/catalog.hpp"
#include "tests/unit/printers.hpp"
#include "tests/unit/temp_dir.hpp"

#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <filesystem>
#include <ostream>
#include <stdexcept>
#include <string>
#include <utility>

namespace cctv::test {

namespace fs = std::filesystem;

inline constexpr std::int64_t k_s = k_micros_per_second;
inline const Date k_day{2026, 11, 20};
// 2026-11-20T10:15:00Z: day 20777 since the epoch, plus 36900 s.
inline constexpr UtcMicros k_t0 = (20777LL * 86400 + 36900) * k_s;

template <typename T>
inline T must(Result<T> r) {
  if (!r) throw std::runtime_error(r.error().message);
  return std::move(*r);
}
inline void must(Result<void> r) {
  if (!r) throw std::runtime_error(r.error().message);
}

inline Segment seg(const Date& date, std::string name, UtcMicros start, std::int64_t duration,
                   std::int64_t size = 1000, std::string codec = "h264 1920x1080") {
  Segment s;
  s.date = date;
  s.name = std::move(name);
  s.start_us = start;
  s.duration_us = duration;
  s.size_bytes = size;
  s.codec = std::move(codec);
  s.mtime_ns = 1'700'000'000'000'000'000 + start;
  return s;
}

// A writable catalog in a temporary directory with one camera.
struct Fixture {
  TempDir dir;
  fs::path file = dir.path() / "db" / "catalog.sqlite";
  Catalog catalog = must(Catalog::open_writable(file));
  std::int64_t cam = must(catalog.ensure_camera("front", "front", "UTC"));

  DayRow day(const Date& date = k_day) {
    auto d = must(catalog.find_day(cam, date));
    if (!d) throw std::runtime_error("no day " + format_date(date));
    return *d;
  }
};

// Runs a query on a separate raw connection.
inline std::string pragma(const fs::path& file, const char* sql) {
  auto db = must(sqlite::Database::open(file, sqlite::Database::Mode::read_only));
  auto s = must(db.prepared(sql));
  if (!must(s->step())) return {};
  return s->column_text(0);
}

// A camera status row in `state` since `since`, updated 5 µs later.
inline CameraStatus status_of(std::int64_t camera, CameraState state, UtcMicros since) {
  CameraStatus s;
  s.camera_id = camera;
  s.state = state;
  s.since_us = since;
  s.updated_us = since + 5;
  return s;
}

}  // namespace cctv::test
