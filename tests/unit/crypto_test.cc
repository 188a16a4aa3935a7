// The crypto facades against published vectors, whichever backend the build chose.
#include <gtest/gtest.h>

#include "pmu/crypto/sha1.h"
#include "pmu/crypto/sha256.h"

namespace pmu::crypto {
namespace {

TEST(Sha256, NistVectors) {
  Sha256 h;
  h.Update(AsBytes("abc"));
  EXPECT_EQ(Sha256::ToHex(h.Finish()).view(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // Finish() starts over: the empty string next.
  EXPECT_EQ(Sha256::ToHex(h.Finish()).view(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Sha1, FipsVectors) {
  Sha1 h;
  h.Update(AsBytes("abc"));
  EXPECT_EQ(Sha1::ToHex(h.Finish()).view(), "a9993e364706816aba3e25717850c26c9cd0d89d");
  // Finish() starts over: the empty string next.
  EXPECT_EQ(Sha1::ToHex(h.Finish()).view(), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  // Two blocks, fed in uneven pieces.
  const std::string_view two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  h.Update(AsBytes(two.substr(0, 7)));
  h.Update(AsBytes(two.substr(7)));
  EXPECT_EQ(Sha1::ToHex(h.Finish()).view(), "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
  // The board's hashes (mbedTLS's SHA-256) come with its compact SHA-1.
  EXPECT_STREQ(Sha1::Backend(), std::string_view(Sha256::Backend()) == "openssl" ? "openssl" : "compact");
}

}  // namespace
}  // namespace pmu::crypto
