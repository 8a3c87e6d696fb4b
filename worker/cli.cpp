#include "worker/cli.hpp"

#include "core/layout.hpp"

#include <charconv>
#include <system_error>

namespace cctv::worker {
namespace {

std::optional<log::Level> parse_level(std::string_view text) {
  if (text == "debug") return log::Level::debug;
  if (text == "info") return log::Level::info;
  if (text == "notice") return log::Level::notice;
  if (text == "warning") return log::Level::warning;
  return std::nullopt;
}

}  // namespace

std::string usage() {
  return "usage: cctv-worker [--config FILE] [--log-level LEVEL]\n"
         "                   [--check-config | --reindex | --once [--timeout SECONDS] |\n"
         "                    --convert-now DATE [--camera NAME] |\n"
         "                    --timelapse-now DATE [--camera NAME]]\n"
         "\n"
         "Records the configured cameras into the CCTV archive, indexes every segment that\n"
         "appears there (recorded, uploaded or copied) into the catalog, and keeps it up\n"
         "to date.\n"
         "\n"
         "  --config FILE      config file (default: $CCTV_CONFIG, else /etc/cctv/config.json)\n"
         "  --check-config     check the config, print a one-line verdict, exit 0 or 1\n"
         "  --reindex          rebuild the catalog from the files on disk (re-probing every\n"
         "                     segment) and exit\n"
         "  --once             one pass of indexing, S3 sync and retention, then exit: 0 when\n"
         "                     all is done, 1 when something failed or free space is still\n"
         "                     short, 3 when files still wait for their upload to S3\n"
         "  --timeout SECONDS  with --once: how long to wait for the uploads (default 600)\n"
         "  --convert-now DATE convert that day (YYYY-MM-DD) of every camera, or of --camera\n"
         "                     NAME, to H.265 video.mp4 now, ignoring its age, and exit\n"
         "  --timelapse-now DATE\n"
         "                     make that day's timelapse.mp4 (of every camera, or of\n"
         "                     --camera NAME) now, and exit\n"
         "  --log-level LEVEL  debug, info (default), notice or warning\n"
         "  --help             this text\n"
         "\n"
         "Without --check-config, --reindex, --once, --convert-now or --timelapse-now it runs\n"
         "as the daemon (systemd Type=notify).\n";
}

Result<Options> parse_options(const std::vector<std::string_view>& args) {
  Options options;
  bool has_timeout = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    std::string_view value;
    bool has_value = false;
    if (const auto eq = arg.find('='); arg.starts_with("--") && eq != std::string_view::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      has_value = true;
    }
    const bool takes_value = arg == "--config" || arg == "--log-level" || arg == "--convert-now" ||
                             arg == "--timelapse-now" || arg == "--camera" || arg == "--timeout";
    if (takes_value && !has_value) {
      if (i + 1 >= args.size()) {
        return fail(ErrorKind::invalid_argument, std::string(arg) + " needs a value");
      }
      value = args[++i];
    } else if (!takes_value && has_value) {
      return fail(ErrorKind::invalid_argument, std::string(arg) + " takes no value");
    }
    if (arg == "--config") {
      if (value.empty()) return fail(ErrorKind::invalid_argument, "--config needs a file");
      options.config = value;
    } else if (arg == "--log-level") {
      const auto level = parse_level(value);
      if (!level) {
        return fail(ErrorKind::invalid_argument,
                    "--log-level: \"" + std::string(value) +
                        "\" is not one of debug, info, notice, warning");
      }
      options.log_level = *level;
    } else if (arg == "--convert-now") {
      if (!parse_date(value)) {
        return fail(ErrorKind::invalid_argument,
                    "--convert-now: \"" + std::string(value) + "\" is not a YYYY-MM-DD date");
      }
      options.convert_now = value;
    } else if (arg == "--timelapse-now") {
      if (!parse_date(value)) {
        return fail(ErrorKind::invalid_argument,
                    "--timelapse-now: \"" + std::string(value) + "\" is not a YYYY-MM-DD date");
      }
      options.timelapse_now = value;
    } else if (arg == "--camera") {
      if (value.empty()) return fail(ErrorKind::invalid_argument, "--camera needs a name");
      options.camera = value;
    } else if (arg == "--timeout") {
      int seconds = 0;
      const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
      if (ec != std::errc() || end != value.data() + value.size() || seconds < 0) {
        return fail(ErrorKind::invalid_argument,
                    "--timeout: \"" + std::string(value) + "\" is not a number of seconds");
      }
      options.timeout_seconds = seconds;
      has_timeout = true;
    } else if (arg == "--check-config") {
      options.check_config = true;
    } else if (arg == "--reindex") {
      options.reindex = true;
    } else if (arg == "--once") {
      options.once = true;
    } else if (arg == "--help" || arg == "-h") {
      options.help = true;
    } else {
      return fail(ErrorKind::invalid_argument, "unknown option \"" + std::string(arg) + "\"");
    }
  }
  if (has_timeout && !options.once) {
    return fail(ErrorKind::invalid_argument, "--timeout goes with --once");
  }
  if (!options.camera.empty() && options.convert_now.empty() && options.timelapse_now.empty()) {
    return fail(ErrorKind::invalid_argument, "--camera goes with --convert-now or --timelapse-now");
  }
  if (!options.timelapse_now.empty() &&
      (options.check_config || options.reindex || options.once || !options.convert_now.empty())) {
    return fail(ErrorKind::invalid_argument,
                "--timelapse-now excludes --check-config, --reindex, --once and --convert-now");
  }
  if (!options.convert_now.empty() && (options.check_config || options.reindex)) {
    return fail(ErrorKind::invalid_argument, "--convert-now excludes --check-config and --reindex");
  }
  if (options.check_config && options.reindex) {
    return fail(ErrorKind::invalid_argument, "--check-config and --reindex exclude each other");
  }
  if (options.once && (options.check_config || options.reindex || !options.convert_now.empty())) {
    return fail(ErrorKind::invalid_argument,
                "--once excludes --check-config, --reindex and --convert-now");
  }
  return options;
}

Result<std::string> check_config(const std::filesystem::path& path) {
  auto config = load_config(path);
  if (!config) return std::unexpected(config.error());
  std::error_code ec;
  if (!std::filesystem::is_directory(config->save_path, ec)) {
    return fail(ErrorKind::invalid_argument,
                path.string() + ": storageConfig.savePath: " + config->save_path.string() +
                    " is not a directory");
  }
  const std::size_t cameras =
      config->cameras.empty() ? discover_cameras(config->save_path).size() : config->cameras.size();
  return "config OK: " + std::to_string(cameras) + " cameras, archive " +
         config->save_path.string() + ", catalog " + config->catalog_path.string();
}

}  // namespace cctv::worker
