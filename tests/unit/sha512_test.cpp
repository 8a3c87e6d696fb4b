// Unit tests for worker/sha512: known digests and checksum files `sha512sum -c` accepts.
#define BOOST_TEST_MODULE sha512
#include <boost/test/unit_test.hpp>

#include "tests/unit/temp_dir.hpp"
#include "worker/sha512.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <utility>

using namespace cctv;
using namespace cctv::worker;
namespace fs = std::filesystem;
using cctv::test::TempDir;

namespace {

template <typename T>
T must(Result<T> r) {
  if (!r) throw std::runtime_error(r.error().message);
  return std::move(*r);
}

constexpr std::string_view k_abc_digest =
    "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
    "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f";

void write_file(const fs::path& file, const std::string& text) {
  std::ofstream out(file, std::ios::binary);
  out << text;
}

}  // namespace

BOOST_AUTO_TEST_CASE(digest_of_abc_in_pieces_is_the_known_one) {
  Sha512 hash = must(Sha512::create());
  BOOST_TEST(hash.update("a").has_value());
  BOOST_TEST(hash.update("bc").has_value());
  BOOST_TEST(must(hash.hex()) == k_abc_digest);
  BOOST_TEST(!hash.hex().has_value());  // only once
}

BOOST_AUTO_TEST_CASE(checksum_file_is_accepted_by_sha512sum_and_detects_changes) {
  TempDir dir;
  const fs::path file = dir.path() / "video.mp4";
  write_file(file, "abc");
  BOOST_TEST(must(sha512_file(file)) == k_abc_digest);
  BOOST_TEST(must(write_sha512sum(file)) == k_abc_digest);
  BOOST_TEST(sha512sum_path(file) == dir.path() / "video.mp4.sha512sum");
  std::ifstream in(sha512sum_path(file));
  std::string line;
  std::getline(in, line);
  BOOST_TEST(line == std::string(k_abc_digest) + "  video.mp4");
  BOOST_TEST(!fs::exists(dir.path() / "video.mp4.sha512sum.part"));
  const std::string cmd =
      "cd '" + dir.path().string() + "' && sha512sum -c --status video.mp4.sha512sum";
  BOOST_TEST(std::system(cmd.c_str()) == 0);
  BOOST_TEST(must(verify_sha512sum(file)));
  write_file(file, "abd");
  BOOST_TEST(!must(verify_sha512sum(file)));
  fs::remove(sha512sum_path(file));
  BOOST_TEST(!verify_sha512sum(file).has_value());
}
