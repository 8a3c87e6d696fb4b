// Unit tests for worker/s3_checksum: MD5 and SHA-256 against published test vectors
// (RFC 1321, FIPS 180-2), base64 against RFC 4648, a file range across buffer boundaries,
// and the multipart ETag (values computed independently with Python's hashlib).
#define BOOST_TEST_MODULE s3_checksum
#include <boost/test/unit_test.hpp>

#include "core/unique_fd.hpp"
#include "tests/unit/printers.hpp"
#include "tests/unit/temp_dir.hpp"
#include "worker/s3_checksum.hpp"

#include <fcntl.h>

#include <array>
#include <fstream>
#include <string>
#include <vector>

using namespace cctv;
using namespace cctv::worker;

BOOST_AUTO_TEST_CASE(digests_of_published_vectors) {
  auto empty = s3::digest_bytes("");
  BOOST_TEST_REQUIRE(empty.has_value());
  BOOST_TEST(empty->md5_hex() == "d41d8cd98f00b204e9800998ecf8427e");
  BOOST_TEST(empty->sha256_hex ==
             "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  BOOST_TEST(empty->bytes == 0U);
  auto abc = s3::digest_bytes("abc");
  BOOST_TEST_REQUIRE(abc.has_value());
  BOOST_TEST(abc->md5_hex() == "900150983cd24fb0d6963f7d28e17f72");
  BOOST_TEST(abc->md5_base64() == "kAFQmDzST7DWlj99KOF/cg==");
  BOOST_TEST(abc->sha256_hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  BOOST_TEST(abc->bytes == 3U);
}

BOOST_AUTO_TEST_CASE(base64_of_rfc4648_vectors) {
  const auto b64 = [](std::string_view s) {
    return s3::base64(std::span(reinterpret_cast<const unsigned char*>(s.data()), s.size()));
  };
  BOOST_TEST(b64("") == "");
  BOOST_TEST(b64("f") == "Zg==");
  BOOST_TEST(b64("fo") == "Zm8=");
  BOOST_TEST(b64("foo") == "Zm9v");
  BOOST_TEST(b64("foobar") == "Zm9vYmFy");
}

BOOST_AUTO_TEST_CASE(a_hasher_is_used_once) {
  auto hasher = s3::PayloadHasher::create();
  BOOST_TEST_REQUIRE(hasher.has_value());
  BOOST_TEST(hasher->update("ab").has_value());
  BOOST_TEST(hasher->update("c").has_value());
  auto digests = hasher->finish();
  BOOST_TEST_REQUIRE(digests.has_value());
  BOOST_TEST(digests->md5_hex() == "900150983cd24fb0d6963f7d28e17f72");
  BOOST_TEST(!hasher->update("x").has_value());
  BOOST_TEST(!hasher->finish().has_value());
  // Moved, it still works.
  auto other = s3::PayloadHasher::create();
  BOOST_TEST_REQUIRE(other.has_value());
  s3::PayloadHasher moved = std::move(*other);
  BOOST_TEST(moved.update("abc").has_value());
  other = std::move(moved);
  BOOST_TEST(other->finish()->sha256_hex ==
             "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

BOOST_AUTO_TEST_CASE(a_file_range_across_read_buffers) {
  const test::TempDir dir("s3-checksum");
  const auto file = dir.path() / "data.bin";
  {
    std::ofstream out(file, std::ios::binary);
    std::array<char, 256> block{};
    for (int i = 0; i < 256; ++i) block.at(static_cast<std::size_t>(i)) = static_cast<char>(i);
    for (int i = 0; i < 8192; ++i) out.write(block.data(), block.size());
  }
  const UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  BOOST_TEST_REQUIRE(fd.valid());
  auto range = s3::digest_file_range(fd.get(), 1000, 1500000);
  BOOST_TEST_REQUIRE(range.has_value(), range.error().message);
  BOOST_TEST(range->md5_hex() == "ce449b90e6fd1296268254940853d114");
  BOOST_TEST(range->sha256_hex ==
             "85447c9dfebe83ee651aab2502d93880a2467f939a02d55c76bc94e0cfab77dc");
  BOOST_TEST(range->bytes == 1500000U);
  // Past the end of the file: the file is shorter than announced.
  auto past = s3::digest_file_range(fd.get(), 2097000, 1000);
  BOOST_TEST_REQUIRE(!past.has_value());
  BOOST_TEST(past.error().kind == ErrorKind::data_loss);
  auto whole = s3::digest_file(file);
  BOOST_TEST_REQUIRE(whole.has_value());
  BOOST_TEST(whole->bytes == 2097152U);
  BOOST_TEST(!s3::digest_file(dir.path() / "missing").has_value());
}

BOOST_AUTO_TEST_CASE(multipart_etag_is_the_md5_of_the_part_md5s) {
  auto abc = s3::digest_bytes("abc");
  auto empty = s3::digest_bytes("");
  BOOST_TEST_REQUIRE((abc && empty));
  auto etag = s3::multipart_etag({abc->md5, empty->md5});
  BOOST_TEST_REQUIRE(etag.has_value());
  BOOST_TEST(*etag == "fdf1fdf1567f6942ffe1743f1e72301e-2");
}
