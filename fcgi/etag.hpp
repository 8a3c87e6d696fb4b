// Strong entity tags from the values a response depends on, and the hash under them
// (FNV-1a, 64 bit).
#pragma once

#include <array>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace cctv::web {

// 64-bit FNV-1a of the bytes added so far.
class Fnv1a {
 public:
  Fnv1a& add(std::string_view bytes) {
    for (char c : bytes) add(static_cast<unsigned char>(c));
    return *this;
  }
  Fnv1a& add(unsigned char byte) {
    m_hash ^= byte;
    m_hash *= 0x100000001b3ULL;
    return *this;
  }
  [[nodiscard]] std::uint64_t value() const { return m_hash; }

 private:
  std::uint64_t m_hash = 0xcbf29ce484222325ULL;
};

class EtagBuilder {
 public:
  EtagBuilder& add(std::int64_t value) {
    for (int i = 0; i < 8; ++i) m_hash.add(static_cast<unsigned char>(value >> (8 * i)));
    return *this;
  }
  EtagBuilder& add(std::string_view text) {
    m_hash.add(text).add(static_cast<unsigned char>(0));
    return *this;
  }
  [[nodiscard]] std::string quoted() const {
    std::array<char, 24> buf{};
    std::snprintf(buf.data(), buf.size(), "\"%016llx\"",
                  static_cast<unsigned long long>(m_hash.value()));
    return buf.data();
  }

 private:
  Fnv1a m_hash;
};

}  // namespace cctv::web
