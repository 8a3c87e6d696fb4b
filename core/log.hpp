// One line per event on stderr, with sd-daemon priority prefixes that journald
// understands ("<4>cam=front reconnect in 8s: Connection refused"). Never pass a
// password or a signed URL: use redact_url() for URLs that may carry credentials.
#pragma once

#include <string>
#include <string_view>

namespace cctv::log {

enum class Level { error = 3, warning = 4, notice = 5, info = 6, debug = 7 };

void set_min_level(Level level);
void write(Level level, std::string_view message);

inline void error(std::string_view m) { write(Level::error, m); }
inline void warning(std::string_view m) { write(Level::warning, m); }
inline void notice(std::string_view m) { write(Level::notice, m); }
inline void info(std::string_view m) { write(Level::info, m); }
inline void debug(std::string_view m) { write(Level::debug, m); }

// "rtsp://admin:secret@cam/x?token=y" -> "rtsp://***@cam/x?***".
std::string redact_url(std::string_view url);

}  // namespace cctv::log
