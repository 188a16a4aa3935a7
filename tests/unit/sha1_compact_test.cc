// The board's compact SHA-1 (crypto/src/sha1_compact.cc), built on the host into a test
// of its own (the host's pmu_crypto has libcrypto's behind the same class): the FIPS
// vectors, and every length up to five blocks, fed in random pieces, against libcrypto.
#include <gtest/gtest.h>
#include <openssl/sha.h>

#include <random>
#include <vector>

#include "pmu/crypto/sha1.h"

namespace pmu::crypto {
namespace {

TEST(Sha1Compact, FipsVectors) {
  Sha1 h;
  EXPECT_STREQ(Sha1::Backend(), "compact");
  h.Update(AsBytes("abc"));
  EXPECT_EQ(Sha1::ToHex(h.Finish()).view(), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(Sha1::ToHex(h.Finish()).view(), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  h.Update(AsBytes("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"));
  EXPECT_EQ(Sha1::ToHex(h.Finish()).view(), "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
  const std::string million(1'000'000, 'a');
  h.Update(AsBytes(million));
  EXPECT_EQ(Sha1::ToHex(h.Finish()).view(), "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}

TEST(Sha1Compact, EveryLengthInPiecesAgreesWithLibcrypto) {
  std::mt19937 rng(7);
  for (std::size_t length = 0; length <= 320; ++length) {
    std::vector<unsigned char> data(length);
    for (auto& b : data) b = static_cast<unsigned char>(rng());
    Sha1 h;
    for (std::size_t at = 0; at < length;) {
      const std::size_t piece = std::min<std::size_t>(length - at, 1 + rng() % 70);
      h.Update(ByteSpan(reinterpret_cast<const std::byte*>(data.data() + at), piece));
      at += piece;
    }
    unsigned char want[SHA_DIGEST_LENGTH];
    SHA1(data.data(), data.size(), want);
    const Sha1::Digest got = h.Finish();
    ASSERT_EQ(std::vector<unsigned char>(got.begin(), got.end()), std::vector<unsigned char>(want, want + 20))
        << "length " << length;
  }
}

}  // namespace
}  // namespace pmu::crypto
