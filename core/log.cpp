#include "core/log.hpp"

#include <atomic>
#include <cstdio>
#include <string>

namespace cctv::log {
namespace {
std::atomic<int> g_min_level{static_cast<int>(Level::info)};
}

void set_min_level(Level level) { g_min_level = static_cast<int>(level); }

void write(Level level, std::string_view message) {
  if (static_cast<int>(level) > g_min_level) return;
  std::string line = "<" + std::to_string(static_cast<int>(level)) + ">";
  for (char c : message) line += (c == '\n' || c == '\r') ? ' ' : c;  // one line per event
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), stderr);  // stderr is unbuffered: one write
}

std::string redact_url(std::string_view url) {
  std::string out(url);
  const auto scheme = out.find("://");
  const std::size_t host_start = scheme == std::string::npos ? 0 : scheme + 3;
  // Up to the last '@': FFmpeg too splits credentials at the last '@' of the authority,
  // and a hand-typed password may even hold a raw '/' or '?'. Over-redacting a URL
  // with an '@' in its path or query is the safe mistake.
  const auto at = out.rfind('@');
  if (at != std::string::npos && at >= host_start) {
    out.replace(host_start, at - host_start, "***");
  }
  if (const auto query = out.find('?'); query != std::string::npos) {
    out.replace(query + 1, std::string::npos, "***");
  }
  return out;
}

}  // namespace cctv::log
