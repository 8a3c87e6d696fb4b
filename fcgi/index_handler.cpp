#include "fcgi/index_handler.hpp"

#include "core/files.hpp"
#include "core/log.hpp"
#include "fcgi/etag.hpp"
#include "fcgi/human.hpp"
#include "fcgi/moments.hpp"
#include "fcgi/query.hpp"

#include <ctemplate/template.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string_view>
#include <vector>

namespace cctv::web {

extern const std::string_view k_index_template;

namespace {

constexpr const char* k_template_name = "index.tpl";

std::string player_url(const Config& config, const CameraRow& camera, const std::string& date,
                       bool live) {
  std::string url = config.web_base_url + "player.html?camera=" + url_encode(camera.name);
  if (!date.empty()) url += "&date=" + date;
  if (live) url += "&live=1";
  return url;
}

std::string playlist_url(const Config& config, const CameraRow& camera, const std::string& date,
                         bool live) {
  std::string url = config.web_base_url + "playlist.m3u8?camera=" + url_encode(camera.name);
  if (!date.empty()) url += "&date=" + date;
  if (live) url += "&live=1";
  return url;
}

// "3.9 GB → 380 MB, saved 90 %": what a conversion did to a day's size.
std::string conversion_saving(std::int64_t source_bytes, std::int64_t file_bytes) {
  std::string text = human_bytes(source_bytes) + " → " + human_bytes(file_bytes);
  if (source_bytes <= 0) return text;
  const std::int64_t change = source_bytes - file_bytes;
  const std::int64_t percent =
      (std::abs(change) * 100 + source_bytes / 2) / source_bytes;  // rounded half up
  return text + (change >= 0 ? ", saved " : ", grew ") + std::to_string(percent) + " %";
}

// A failure reason as one line: control characters become spaces, runs of spaces one,
// and text beyond `max_bytes` is cut at a character boundary and marked with "…".
std::string one_line(std::string_view text, std::size_t max_bytes) {
  std::string line;
  for (const char c : text) {
    const bool space = static_cast<unsigned char>(c) < 0x20 || c == 0x7f || c == ' ';
    if (space) {
      if (!line.empty() && line.back() != ' ') line += ' ';
    } else {
      line += c;
    }
  }
  while (!line.empty() && line.back() == ' ') line.pop_back();
  if (line.size() <= max_bytes) return line;
  std::size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(line[cut]) & 0xC0) == 0x80) --cut;
  line.resize(cut);
  while (!line.empty() && line.back() == ' ') line.pop_back();
  return line + "…";
}

constexpr std::size_t k_reason_bytes = 160;         // shown in the row
constexpr std::size_t k_reason_title_bytes = 1000;  // its title (tooltip)

// "conversion failed (3 attempts): <reason>" for a day whose conversions failed and
// that is not converted (yet); "retrying: ..." while it is being converted again.
void fill_conversion_failure(ctemplate::TemplateDictionary& dict, const DayRow& day) {
  if (day.conversion_failures <= 0 || day.state == DayState::converted) return;
  std::string text =
      day.state == DayState::converting ? "retrying: conversion failed (" : "conversion failed (";
  text += std::to_string(day.conversion_failures) +
          (day.conversion_failures == 1 ? " attempt)" : " attempts)");
  const std::string reason = one_line(day.conversion_error, k_reason_bytes);
  ctemplate::TemplateDictionary* failed = dict.AddSectionDictionary("CONVERSION_FAILED");
  failed->SetValue("FAILED_TEXT", reason.empty() ? text : text + ": " + reason);
  failed->SetValue("FAILED_REASON_FULL", one_line(day.conversion_error, k_reason_title_bytes));
  failed->SetIntValue("FAILED_ATTEMPTS", static_cast<long>(day.conversion_failures));
}

// `converted`: the day's converted file when its state is converted, else null.
void fill_day(ctemplate::TemplateDictionary& dict, const Config& config, const CameraRow& camera,
              const TimeZone& zone, const DayRow& day, const ConvertedDay* converted,
              bool has_timelapse) {
  const std::string date = format_date(day.date);
  const LocalTime first = zone.to_local(day.first_start_us);
  const LocalTime last = zone.to_local(day.last_end_us);
  dict.SetValue("DATE", date);
  dict.SetValue("WEEKDAY", std::string(weekday_short(day.date)));
  dict.SetValue("FIRST_TIME", format_hhmmss(first.hour * 3600 + first.minute * 60 + first.second));
  // A day that runs to midnight ends at 24:00, not at 00:00 of the next day.
  const bool to_midnight = last.date != day.date && last.hour == 0 && last.minute == 0;
  dict.SetValue("LAST_TIME",
                to_midnight ? std::string("24:00:00")
                            : format_hhmmss(last.hour * 3600 + last.minute * 60 + last.second));
  dict.SetValue("RECORDED", human_duration(day.recorded_us));
  dict.SetIntValue("RECORDED_SECONDS", static_cast<long>(day.recorded_us / k_micros_per_second));
  dict.SetIntValue("GAPS", static_cast<long>(day.gap_count));
  dict.SetValue("GAP_TIME", human_duration(day.gap_us));
  dict.SetValue("SIZE", human_bytes(day.size_bytes));
  dict.SetValue("SIZE_BYTES", std::to_string(day.size_bytes));
  dict.SetIntValue("SEGMENTS", static_cast<long>(day.segment_count));
  dict.SetValue("SEGMENTS_WORD", converted != nullptr ? "fragments" : "segments");
  dict.SetValue("STATE", std::string(to_string(day.state)));
  dict.SetValue("WATCH_URL", player_url(config, camera, date, false));
  dict.SetValue("PLAYLIST_URL", playlist_url(config, camera, date, false));
  dict.SetValue("LIVE_URL", player_url(config, camera, date, true));
  if (converted != nullptr) {
    ctemplate::TemplateDictionary* saved = dict.AddSectionDictionary("CONVERTED");
    saved->SetValue("SOURCE_SIZE", human_bytes(converted->source_size_bytes));
    saved->SetValue("SOURCE_SIZE_BYTES", std::to_string(converted->source_size_bytes));
    saved->SetValue("SAVING",
                    conversion_saving(converted->source_size_bytes, converted->file_size_bytes));
    saved->SetValue("CODEC", converted->codec);
  }
  fill_conversion_failure(dict, day);
  if (has_timelapse) {
    dict.SetValueAndShowSection(
        "TIMELAPSE_URL", day_url_prefix(config, camera, day.date) + std::string(k_timelapse_name),
        "HAS_TIMELAPSE");
  }
  if (day.state == DayState::converted) {
    ctemplate::TemplateDictionary* download = dict.AddSectionDictionary("HAS_DOWNLOAD");
    download->SetValue("DOWNLOAD_URL",
                       day_url_prefix(config, camera, day.date) +
                           (converted != nullptr ? converted->file_name : "video.mp4"));
  }
}

// The mtime (ns) of the day's timelapse.mp4, 0 when there is none.
std::int64_t timelapse_mtime(const std::filesystem::path& camera_dir, const Date& date) {
  return file_mtime_ns(camera_dir / format_date(date) / k_timelapse_name).value_or(0);
}

void fill_moments(ctemplate::TemplateDictionary& cam, const Config& config, const CameraRow& camera,
                  const TimeZone& zone, const std::vector<MomentFile>& moments) {
  ctemplate::TemplateDictionary* section = cam.AddSectionDictionary("MOMENTS");
  section->SetIntValue("MOMENT_COUNT", static_cast<long>(moments.size()));
  const std::string prefix = camera_url_prefix(config, camera) + std::string(k_moments_dir) + "/";
  for (const MomentFile& moment : moments) {
    ctemplate::TemplateDictionary* item = section->AddSectionDictionary("MOMENT");
    const LocalTime& t = moment.time;
    item->SetValue("MOMENT_TIME", format_date(t.date) + " " +
                                      format_hhmmss(t.hour * 3600 + t.minute * 60 + t.second));
    item->SetValue("MOMENT_ISO", format_iso8601_utc(zone.to_utc(t)));
    item->SetValue("MOMENT_FORMAT", moment.format == "gif" ? "GIF" : "MP4");
    item->SetValue("MOMENT_URL", prefix + moment.name);
    item->SetValue("MOMENT_SIZE", human_bytes(moment.bytes));
  }
}

// A recording status older than this means the worker is not updating it.
constexpr std::int64_t k_status_stale_us = 120 * k_micros_per_second;

std::string human_bitrate(std::int64_t bps) {
  if (bps < 1'000'000) return std::to_string((bps + 500) / 1000) + " kbit/s";
  const std::int64_t tenths = (bps + 50'000) / 100'000;
  return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + " Mbit/s";
}

void fill_status(ctemplate::TemplateDictionary& cam, const CameraStatus& status,
                 const TimeZone& zone, std::int64_t now_us) {
  ctemplate::TemplateDictionary* dict = cam.AddSectionDictionary("CAMERA_STATUS");
  const bool stale =
      status.state == CameraState::recording && now_us - status.updated_us > k_status_stale_us;
  dict->SetValue("CAM_STATE", stale ? "stale" : std::string(to_string(status.state)));
  const LocalTime since = zone.to_local(status.since_us);
  dict->SetValue("CAM_SINCE",
                 format_date(since.date) + " " +
                     format_hhmmss(since.hour * 3600 + since.minute * 60 + since.second));
  if (status.state == CameraState::recording && !stale) {
    ctemplate::TemplateDictionary* rec = dict->AddSectionDictionary("CAM_RECORDING");
    rec->SetValue("CAM_BITRATE", human_bitrate(status.bitrate_bps));
    rec->SetIntValue("CAM_SEGMENTS_TODAY", static_cast<long>(status.segments_today));
  }
  std::string error = stale ? "no status from the worker since " +
                                  format_iso8601_utc(status.updated_us).substr(0, 19) + "Z"
                            : status.last_error;
  if (!error.empty()) {
    dict->AddSectionDictionary("CAM_HAS_ERROR")->SetValue("CAM_ERROR", error);
  }
}

// The sync writes its status after every turn (every second when idle; a long upload
// takes longer): older than this, the worker is probably not running.
constexpr std::int64_t k_sync_status_stale_us = 600 * k_micros_per_second;

// The S3 line of the page header: "S3: all files uploaded", "S3: 12 files waiting (3.4
// MB), oldest 3 min", with why the queue waits when it does. Empty without S3 or before
// the worker's sync has written its status.
std::string s3_text(const SyncStatus& status, std::int64_t now_us) {
  std::string text = "S3: all files uploaded";
  if (status.waiting_files > 0) {
    text = "S3: " + std::to_string(status.waiting_files) +
           (status.waiting_files == 1 ? " file" : " files") + " waiting (" +
           human_bytes(status.waiting_bytes) + ")";
    if (status.oldest_waiting_us > 0) {
      const std::int64_t age = std::max<std::int64_t>(now_us - status.oldest_waiting_us, 0);
      text += ", oldest " + human_duration(age / k_micros_per_second * k_micros_per_second);
    }
  }
  if (status.state == "blocked") {
    text += "; uploads stopped: " + status.last_error;
  } else if (status.state == "retrying" && !status.last_error.empty()) {
    text += "; retrying: " + status.last_error;
  }
  if (now_us - status.updated_us > k_sync_status_stale_us) {
    text += " (no news from the worker since " +
            format_iso8601_utc(status.updated_us).substr(0, 19) + "Z)";
  }
  return text;
}

}  // namespace

void register_index_template() {
  ctemplate::StringToTemplateCache(k_template_name, k_index_template.data(),
                                   k_index_template.size(), ctemplate::STRIP_BLANK_LINES);
}

Response IndexHandler::handle(const Request& request) {
  auto response = respond(request);
  return response ? std::move(*response) : error_response(response.error());
}

Result<Response> IndexHandler::respond(const Request& request) {
  if (auto query = Query::parse(request.query); !query) return std::unexpected(query.error());
  const Config& config = m_access.config();
  auto catalog = m_access.catalog();
  if (!catalog) return std::unexpected(catalog.error());
  auto cameras = (*catalog)->cameras();
  if (!cameras) return std::unexpected(cameras.error());
  auto statuses = (*catalog)->camera_statuses();
  if (!statuses) return std::unexpected(statuses.error());

  const auto now = std::chrono::system_clock::now();
  const std::int64_t now_s =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  ctemplate::TemplateDictionary dict("index");
  dict.SetValue("TITLE", config.web_title);
  dict.SetValue("BASE_URL", config.web_base_url);
  dict.SetValue("GENERATED_AT", format_date(civil_from_days(now_s / 86400)) + " " +
                                    format_hhmmss(static_cast<int>(now_s % 86400)) + " UTC");
  if (cameras->empty()) dict.ShowSection("NO_CAMERAS");

  EtagBuilder etag;
  etag.add(config.web_base_url).add(config.web_title);
  if (config.s3.enabled()) {
    auto sync = (*catalog)->sync_status();
    if (!sync) return std::unexpected(sync.error());
    if (*sync) {
      const std::string text = s3_text(**sync, now_s * k_micros_per_second);
      ctemplate::TemplateDictionary* s3 = dict.AddSectionDictionary("S3_STATUS");
      s3->SetValue("S3_STATE", (*sync)->state);
      s3->SetValue("S3_TEXT", text);
      etag.add(text);
    }
  }
  std::int64_t last_modified_us = 0;
  for (const auto& camera : *cameras) {
    auto days = (*catalog)->days(camera.id);
    if (!days) return std::unexpected(days.error());
    auto zone = TimeZone::load(camera.time_zone);
    if (!zone) log::warning("cam=" + camera.name + " " + zone.error().message + "; using UTC");
    const TimeZone tz = zone ? *zone : TimeZone::utc();

    ctemplate::TemplateDictionary* cam = dict.AddSectionDictionary("CAMERA");
    cam->SetValue("CAMERA_NAME", camera.name);
    cam->SetValue("TIME_ZONE", camera.time_zone.empty() ? "system" : camera.time_zone);
    cam->SetValue("CAMERA_LIVE_URL", player_url(config, camera, "", true));
    cam->SetValue("CAMERA_LIVE_PLAYLIST_URL", playlist_url(config, camera, "", true));
    cam->SetIntValue("DAY_COUNT", static_cast<long>(days->size()));
    cam->SetValue("DAY_WORD", days->size() == 1 ? "day" : "days");
    std::int64_t total = 0;
    for (const auto& d : *days) total += d.size_bytes;
    cam->SetValue("TOTAL_SIZE", human_bytes(total));
    if (days->empty()) cam->ShowSection("NO_DAYS");
    const std::string camera_query = "?camera=" + url_encode(camera.name);
    cam->SetValue("FRAME_URL", config.web_base_url + "frame.jpg" + camera_query);
    cam->SetValue("MOMENT_MP4_URL", config.web_base_url + "moment.mp4" + camera_query);
    cam->SetValue("MOMENT_GIF_URL", config.web_base_url + "moment.gif" + camera_query);
    auto camera_dir = camera_path(config, camera);
    if (camera_dir) {
      auto moments = list_moments(*camera_dir / k_moments_dir, k_max_listed_moments);
      if (!moments) log::warning("cam=" + camera.name + " " + moments.error().message);
      if (moments && !moments->empty()) {
        fill_moments(*cam, config, camera, tz, *moments);
        for (const MomentFile& moment : *moments) etag.add(moment.name).add(moment.bytes);
      }
    }
    for (const CameraStatus& status : *statuses) {
      if (status.camera_id != camera.id) continue;
      fill_status(*cam, status, tz, now_s * k_micros_per_second);
      etag.add(static_cast<std::int64_t>(status.state)).add(status.since_us);
      etag.add(status.last_error).add(status.segments_today).add(status.bitrate_bps);
      etag.add(now_s * k_micros_per_second - status.updated_us > k_status_stale_us ? 1 : 0);
    }
    etag.add(camera.id).add(camera.name).add(camera.time_zone);

    ctemplate::TemplateDictionary* month = nullptr;
    int month_key = -1;
    for (auto it = days->rbegin(); it != days->rend(); ++it) {  // newest first
      const int key = it->date.year * 12 + it->date.month;
      if (month == nullptr || key != month_key) {
        month = cam->AddSectionDictionary("MONTH");
        month_key = key;
        month->SetValue("MONTH_LABEL", std::string(month_name(it->date.month)) + " " +
                                           std::to_string(it->date.year));
        month->SetValue("MONTH_ID", format_date(it->date).substr(0, 7));
      }
      std::optional<ConvertedDay> converted;
      if (it->state == DayState::converted) {
        auto found = (*catalog)->converted_day(camera.id, it->date);
        if (!found) return std::unexpected(found.error());
        converted = std::move(*found);
      }
      const std::int64_t timelapse = camera_dir ? timelapse_mtime(*camera_dir, it->date) : 0;
      fill_day(*month->AddSectionDictionary("DAY"), config, camera, tz, *it,
               converted ? &*converted : nullptr, timelapse != 0);
      etag.add(days_from_civil(it->date)).add(it->version).add(it->segment_count).add(timelapse);
      etag.add(it->conversion_failures);
      last_modified_us = std::max(last_modified_us, it->changed_us);
    }
  }

  Response response;
  const std::string tag = etag.quoted();
  const std::int64_t last_modified_s = last_modified_us / k_micros_per_second;
  response.header("Content-Type", "text/html; charset=utf-8");
  response.header("Cache-Control", "no-cache");
  response.header("ETag", tag);
  response.header("Last-Modified", format_http_date(last_modified_s));
  response.header("X-Content-Type-Options", "nosniff");
  if (not_modified(request, tag, last_modified_s)) {
    response.status = 304;
    return response;
  }
  std::string html;
  if (!ctemplate::ExpandTemplate(k_template_name, ctemplate::STRIP_BLANK_LINES, &dict, &html)) {
    return fail(ErrorKind::internal, "cannot expand the index template");
  }
  response.body = std::make_shared<const std::string>(std::move(html));
  return response;
}

}  // namespace cctv::web
