#include "worker/thumbnail_module.hpp"

#include "core/log.hpp"
#include "worker/priority.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <tuple>

namespace cctv::worker {
namespace {

namespace fs = std::filesystem;

// New segments of a recording day get their thumbnail within this time.
constexpr auto k_poll = std::chrono::seconds(10);

bool file_exists(const fs::path& path) {
  std::error_code ec;
  return fs::exists(path, ec);
}

bool stopping(const std::atomic<bool>* stop) { return stop != nullptr && stop->load(); }

// A piece of a day that needs a thumbnail: a segment file, or a fragment of video.mp4.
struct Piece {
  std::string thumb;  // "video_HHMMSS.jpg"
  std::string file;   // inside the day directory
  std::optional<FragmentRange> range;
};

}  // namespace

Result<ThumbnailPassStats> ThumbnailPass::run(Catalog& catalog, const std::atomic<bool>* stop) {
  ThumbnailPassStats stats;
  struct Entry {
    const Camera* camera;
    DayRow day;
  };
  std::vector<Entry> entries;
  for (const Camera& cam : m_cameras) {
    auto days = catalog.days(cam.id);
    if (!days) return std::unexpected(days.error());
    for (DayRow& day : *days) entries.push_back(Entry{&cam, std::move(day)});
  }
  // Newest day first, across cameras.
  std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return days_from_civil(a.day.date) > days_from_civil(b.day.date);
  });
  for (const Entry& entry : entries) {
    if (stopping(stop)) {
      stats.stopped = true;
      break;
    }
    const auto key = std::pair{entry.camera->id, days_from_civil(entry.day.date)};
    if (auto done = m_done.find(key); done != m_done.end() && done->second == entry.day.version) {
      continue;
    }
    CCTV_TRY(run_day(catalog, *entry.camera, entry.day, stop, stats));
    if (stopping(stop)) {
      stats.stopped = true;
      break;
    }
    m_done[key] = entry.day.version;
  }
  return stats;
}

Result<void> ThumbnailPass::run_day(Catalog& catalog, const Camera& camera, const DayRow& day,
                                    const std::atomic<bool>* stop, ThumbnailPassStats& stats) {
  // An archived day's files are only in S3; a converting day still has its segments.
  if (day.state == DayState::archived) return {};
  std::vector<Piece> pieces;
  if (day.state == DayState::converted) {
    auto converted = catalog.converted_day(camera.id, day.date);
    if (!converted) return std::unexpected(converted.error());
    if (!*converted) return {};
    for (const Fragment& f : (*converted)->fragments) {
      const LocalTime local = camera.zone.to_local(f.start_us);
      const int seconds = local.hour * 3600 + local.minute * 60 + local.second;
      pieces.push_back(
          Piece{thumbnail_name_at(seconds), (*converted)->file_name,
                FragmentRange{(*converted)->init_size_bytes, f.offset_bytes, f.size_bytes}});
    }
  } else {
    auto segments = catalog.segments(camera.id, day.date);
    if (!segments) return std::unexpected(segments.error());
    for (const Segment& s : *segments) {
      std::string thumb = thumbnail_name(s.name);
      if (!thumb.empty()) pieces.push_back(Piece{std::move(thumb), s.name, std::nullopt});
    }
  }
  const fs::path dir = camera.day_path(day.date);
  std::reverse(pieces.begin(), pieces.end());  // newest first
  for (const Piece& piece : pieces) {
    if (stopping(stop)) return {};
    const fs::path target = thumbnail_path(dir, piece.thumb);
    if (file_exists(target)) continue;
    const fs::path source = dir / piece.file;
    const std::string failed_key = source.string() + "#" + piece.thumb;
    if (m_failed.contains(failed_key)) continue;
    auto jpeg = piece.range ? make_fragment_thumbnail(source, *piece.range, m_options)
                            : make_thumbnail(source, m_options);
    if (!jpeg) {
      // Gone meanwhile (converted, deleted): not a failure.
      if (jpeg.error().kind == ErrorKind::not_found) continue;
      if (jpeg.error().kind != ErrorKind::data_loss) return std::unexpected(jpeg.error());
      ++stats.failed;
      m_failed.insert(failed_key);
      log::warning("cam=" + camera.name + " no thumbnail for " + format_date(day.date) + "/" +
                   piece.file + ": " + jpeg.error().message);
      continue;
    }
    CCTV_TRY(write_file_atomically(target, *jpeg));
    ++stats.written;
  }
  return {};
}

Result<std::unique_ptr<ThumbnailModule>> ThumbnailModule::create(const Config& config,
                                                                 std::vector<Camera> cameras) {
  std::unique_ptr<ThumbnailModule> module(new ThumbnailModule(config, std::move(cameras)));
  module->m_thread.start([m = module.get()] { m->run(); });
  return module;
}

ThumbnailModule::~ThumbnailModule() { stop(); }

void ThumbnailModule::stop() { m_thread.stop(); }

std::string ThumbnailModule::status() const {
  return std::to_string(m_written.load()) + " thumbnails";
}

void ThumbnailModule::run() {
  lower_thread_priority("thumbnails");
  auto catalog = Catalog::open_writable(m_config.catalog_path);
  if (!catalog) {
    log::error("thumbnails: " + catalog.error().message + "; no thumbnails");
    return;
  }
  while (!m_thread.stopping()) {
    auto pass = m_pass.run(*catalog, m_thread.stop_flag());
    if (!pass) {
      log::warning("thumbnails: " + pass.error().message);
    } else {
      m_written += pass->written;
    }
    m_thread.pause(k_poll);
  }
}

}  // namespace cctv::worker
