#include "fcgi/export_resume.hpp"

#include "fcgi/etag.hpp"

#include <algorithm>
#include <utility>

namespace cctv::web {
namespace {

constexpr std::int64_t k_max_moof_bytes = std::int64_t{16} * 1024 * 1024;

std::uint64_t be(std::string_view bytes, std::size_t at, std::size_t width) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < width; ++i) {
    value = (value << 8) | static_cast<unsigned char>(bytes[at + i]);
  }
  return value;
}

// The children of a box whose payload is `body`: (type, payload) in order, or an error
// when a child's size runs past the end.
Result<std::vector<std::pair<std::string_view, std::string_view>>> children(std::string_view body) {
  std::vector<std::pair<std::string_view, std::string_view>> out;
  while (!body.empty()) {
    if (body.size() < 8) return fail(ErrorKind::data_loss, "moof: truncated box header");
    const std::uint64_t size = be(body, 0, 4);
    if (size < 8 || size > body.size()) return fail(ErrorKind::data_loss, "moof: bad box size");
    out.emplace_back(body.substr(4, 4), body.substr(8, size - 8));
    body.remove_prefix(size);
  }
  return out;
}

std::string describe(const Mp4Fragment& f) {
  return "fragment #" + std::to_string(f.sequence) + " at " + std::to_string(f.offset) + " (" +
         std::to_string(f.bytes) + " bytes, " + std::to_string(f.samples) + " samples, time " +
         std::to_string(f.decode_time) + ")";
}

}  // namespace

std::optional<std::size_t> Mp4Index::fragment_at(std::int64_t at) const {
  if (checkpoints.size() < 2) return std::nullopt;
  const Mp4Fragment& last = checkpoints.back().fragment;
  if (at >= last.offset + last.bytes) return std::nullopt;  // a trailer: from the start
  const auto after = std::upper_bound(
      checkpoints.begin(), checkpoints.end(), at,
      [](std::int64_t value, const Checkpoint& c) { return value < c.fragment.offset; });
  const auto k = static_cast<std::size_t>(after - checkpoints.begin());
  if (k < 2) return std::nullopt;
  return k - 1;
}

Result<Mp4Fragment> parse_moof(std::string_view moof) {
  Mp4Fragment out;
  out.bytes = static_cast<std::int64_t>(moof.size());
  out.moof_hash = Fnv1a().add(moof).value();
  if (moof.size() < 8 || moof.substr(4, 4) != "moof") {
    return fail(ErrorKind::data_loss, "moof: not a moof box");
  }
  auto boxes = children(moof.substr(8));
  if (!boxes) return std::unexpected(boxes.error());
  bool sequence = false;
  bool decode_time = false;
  for (const auto& [type, body] : *boxes) {
    if (type == "mfhd" && body.size() >= 8) {
      out.sequence = static_cast<std::uint32_t>(be(body, 4, 4));
      sequence = true;
    }
    if (type != "traf") continue;
    auto traf = children(body);
    if (!traf) return std::unexpected(traf.error());
    for (const auto& [child, data] : *traf) {
      if (child == "tfdt" && data.size() >= 8) {
        const bool wide = data[0] == 1;
        if (wide && data.size() < 12) return fail(ErrorKind::data_loss, "moof: short tfdt");
        out.decode_time = be(data, 4, wide ? 8 : 4);
        decode_time = true;
      } else if (child == "trun" && data.size() >= 8) {
        out.samples += static_cast<std::uint32_t>(be(data, 4, 4));
      }
    }
  }
  if (!sequence || !decode_time) return fail(ErrorKind::data_loss, "moof: no mfhd or tfdt");
  return out;
}

Result<void> BoxScanner::start_box() {
  const std::uint64_t size32 = be(m_header, 0, 4);
  const std::uint64_t size = size32 == 1 ? be(m_header, 8, 8) : size32;
  const std::string_view type = std::string_view(m_header).substr(4, 4);
  const auto header = static_cast<std::int64_t>(m_header.size());
  const std::int64_t start = m_offset - header;
  if (size < m_header.size() || size > (std::uint64_t{1} << 62)) {
    return fail(ErrorKind::data_loss, "MP4 box at " + std::to_string(start) + ": bad size");
  }
  if (m_pending) {
    if (type != "mdat") {
      return fail(ErrorKind::data_loss,
                  "MP4 box at " + std::to_string(start) + ": moof without mdat");
    }
    m_pending->bytes += static_cast<std::int64_t>(size);
    m_fragments.push_back(*m_pending);
    m_pending.reset();
  }
  m_left = static_cast<std::int64_t>(size) - header;
  m_in_moof = type == "moof";
  if (m_in_moof) {
    if (m_left == 0 || m_left > k_max_moof_bytes) {
      return fail(ErrorKind::data_loss, "moof at " + std::to_string(start) + ": bad size");
    }
    m_moof = m_header;
  }
  m_header.clear();
  return {};
}

Result<void> BoxScanner::feed(std::string_view bytes) {
  while (!bytes.empty()) {
    if (m_left == 0) {
      std::size_t want = 8;
      if (m_header.size() >= 4 && be(m_header, 0, 4) == 1) want = 16;
      const std::size_t n = std::min(want - m_header.size(), bytes.size());
      m_header.append(bytes.substr(0, n));
      bytes.remove_prefix(n);
      m_offset += static_cast<std::int64_t>(n);
      if (m_header.size() == 8 && be(m_header, 0, 4) == 1) continue;  // a 64-bit size follows
      if (m_header.size() < want) return {};
      CCTV_TRY(start_box());
      continue;
    }
    const auto n = static_cast<std::size_t>(std::min<std::int64_t>(m_left, std::ssize(bytes)));
    if (m_in_moof) m_moof.append(bytes.substr(0, n));
    bytes.remove_prefix(n);
    m_left -= static_cast<std::int64_t>(n);
    m_offset += static_cast<std::int64_t>(n);
    if (m_left == 0 && m_in_moof) {
      auto fragment = parse_moof(m_moof);
      if (!fragment) return std::unexpected(fragment.error());
      fragment->offset = m_offset - fragment->bytes;
      m_pending = *fragment;
      m_in_moof = false;
      m_moof.clear();
    }
  }
  return {};
}

void fill_checkpoints(Mp4Index& index, const std::vector<Mp4Fragment>& fragments,
                      const std::vector<WriterState>& keyframes) {
  index.checkpoints.clear();
  if (fragments.size() != keyframes.size()) return;
  std::vector<Checkpoint> out;
  out.reserve(fragments.size());
  std::int64_t samples = 0;
  for (std::size_t k = 0; k < fragments.size(); ++k) {
    if (keyframes[k].emitted != samples) return;
    samples += fragments[k].samples;
    out.push_back(Checkpoint{fragments[k], keyframes[k]});
  }
  index.checkpoints = std::move(out);
}

ResumeFilter::ResumeFilter(const Mp4Index& index, std::size_t k, Sink sink)
    : m_index(index), m_first(k), m_sink(std::move(sink)) {}

bool ResumeFilter::operator()(std::string_view bytes) {
  if (mismatched()) return false;
  const std::int64_t at = m_scanner.offset();
  if (auto fed = m_scanner.feed(bytes); !fed) {
    m_problem = fed.error().message;
    return false;
  }
  const std::vector<Mp4Fragment>& got = m_scanner.fragments();
  for (; m_checked < got.size(); ++m_checked) {
    const std::size_t k = m_first + m_checked;
    if (k >= m_index.checkpoints.size()) {
      m_problem = "more fragments than when it was sized: " + describe(got[m_checked]);
      return false;
    }
    const Mp4Fragment& want = m_index.checkpoints[k].fragment;
    if (!m_shift) m_shift = want.offset - got[m_checked].offset;
    Mp4Fragment moved = got[m_checked];
    moved.offset += *m_shift;
    if (moved != want) {
      m_problem = "made " + describe(moved) + ", sized " + describe(want);
      return false;
    }
    m_verified_end = got[m_checked].offset + got[m_checked].bytes;
  }
  const auto size = std::ssize(bytes);
  if (m_held.empty() && m_shift && at + size <= m_verified_end &&
      at >= m_index.checkpoints[m_first].fragment.offset - *m_shift) {
    if (!m_sink(bytes)) return false;
    m_sent += size;
    return true;
  }
  if (m_held.empty()) m_held_at = at;
  m_held.append(bytes);
  return release();
}

bool ResumeFilter::release() {
  if (!m_shift) return true;
  const std::int64_t begin = m_index.checkpoints[m_first].fragment.offset - *m_shift;
  if (m_held_at < begin) {
    const std::int64_t drop = std::min(std::ssize(m_held), begin - m_held_at);
    m_held.erase(0, static_cast<std::size_t>(drop));
    m_held_at += drop;
  }
  const std::int64_t n =
      std::min(std::ssize(m_held), std::max<std::int64_t>(0, m_verified_end - m_held_at));
  if (n <= 0) return true;
  if (!m_sink(std::string_view(m_held).substr(0, static_cast<std::size_t>(n)))) return false;
  m_sent += n;
  m_held.erase(0, static_cast<std::size_t>(n));
  m_held_at += n;
  return true;
}

Result<void> ResumeFilter::finish() {
  if (mismatched()) return fail(ErrorKind::data_loss, m_problem);
  const std::int64_t end = m_shift ? m_scanner.offset() + *m_shift : -1;
  if (!m_held.empty() || m_first + m_checked != m_index.checkpoints.size() || end != m_index.size) {
    return fail(ErrorKind::data_loss, "the resumed MP4 ends at " + std::to_string(end) + " after " +
                                          std::to_string(m_checked) + " fragments, sized " +
                                          std::to_string(m_index.size));
  }
  return {};
}

}  // namespace cctv::web
