// Strong entity tags from the values a response depends on (FNV-1a, 64 bit).
#pragma once

#include <array>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace cctv::web {

class EtagBuilder {
 public:
  EtagBuilder& add(std::int64_t value) {
    for (int i = 0; i < 8; ++i) mix(static_cast<unsigned char>(value >> (8 * i)));
    return *this;
  }
  EtagBuilder& add(std::string_view text) {
    for (char c : text) mix(static_cast<unsigned char>(c));
    mix(0);
    return *this;
  }
  [[nodiscard]] std::string quoted() const {
    std::array<char, 24> buf{};
    std::snprintf(buf.data(), buf.size(), "\"%016llx\"", static_cast<unsigned long long>(m_hash));
    return buf.data();
  }

 private:
  void mix(unsigned char byte) {
    m_hash ^= byte;
    m_hash *= 0x100000001b3ULL;
  }
  std::uint64_t m_hash = 0xcbf29ce484222325ULL;
};

}  // namespace cctv::web
