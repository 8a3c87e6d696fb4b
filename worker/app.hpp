// cctv-worker as a program: worker/main.cpp is one line that calls run().
#pragma once

#include "core/config.hpp"

#include <string_view>

namespace cctv::worker {

// The whole program: parses the command line, then checks the config, rebuilds
// the catalog, or runs the daemon. Returns the exit code.
int run(int argc, char** argv);

// --reindex: rebuilds the catalog from disk (every segment probed again); 0 or 1.
int run_reindex(const Config& config);
// --convert-now DATE [--camera NAME]: converts that day now (worker/converter); 0 or 1.
int run_convert_now(const Config& config, std::string_view date, std::string_view camera);
// --timelapse-now DATE [--camera NAME]: makes that day's timelapse.mp4 now
// (worker/timelapse_module); 0 or 1.
int run_timelapse_now(const Config& config, std::string_view date, std::string_view camera);
// The daemon: incremental reindex, READY=1, then the event loop until SIGTERM.
int run_daemon(const Config& config);

}  // namespace cctv::worker
