#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "pmu/crypto/sha256.h"
#include "pmu/proto/floodme.h"

namespace pmu::proto {
namespace {

std::string Fill(std::uint64_t offset, std::size_t n) {
  std::string s(n, '\0');
  FloodmeFill(offset, AsWritableBytes(s.data(), n));
  return s;
}

TEST(Floodme, LinesFollowTheDocumentedFormat) {
  const std::string head = Fill(0, 3 * kFloodmeLineLength);
  EXPECT_EQ(head.substr(0, 64), "floodme 0000000000 ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqr\n");
  EXPECT_EQ(head.substr(64, 64), "floodme 0000000001 BCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrs\n");
  // Line 61 starts at '9' and wraps around the alphabet.
  EXPECT_EQ(Fill(61 * 64, 64), "floodme 0000000061 9ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq\n");
  EXPECT_EQ(Fill(62 * 64, 64).substr(19, 3), "ABC");
  EXPECT_EQ(Fill(1234567890ull * 64, 18), "floodme 1234567890");
}

TEST(Floodme, AnyOffsetAndChunkingGiveTheSameBytes) {
  const std::string whole = Fill(0, 10000);
  for (std::size_t chunk : {1u, 7u, 63u, 64u, 65u, 1460u, 4096u}) {
    std::string pieces;
    for (std::size_t off = 0; off < whole.size(); off += chunk) {
      pieces += Fill(off, std::min(chunk, whole.size() - off));
    }
    EXPECT_EQ(pieces, whole) << chunk;
  }
}

TEST(Floodme, MismatchFindsTheFirstWrongByte) {
  std::string data = Fill(1000, 500);
  EXPECT_EQ(FloodmeMismatch(1000, AsBytes(data)), 500u);
  data[321] ^= 1;
  EXPECT_EQ(FloodmeMismatch(1000, AsBytes(data)), 321u);
  EXPECT_EQ(FloodmeMismatch(1001, AsBytes(Fill(1000, 10))), 0u);
}

TEST(Floodme, DefaultMessageDigest) {
  // The 1 MiB default message, hashed in uneven pieces, against the digest of the
  // whole (also what `sha256sum` gives for `pdc floodme -o -`).
  std::vector<std::byte> whole(kFloodmeDefaultSize);
  FloodmeFill(0, whole);
  crypto::Sha256 a, b;
  a.Update(whole);
  for (std::size_t off = 0; off < whole.size(); off += 1460) {
    b.Update(ByteSpan(whole).subspan(off, std::min<std::size_t>(1460, whole.size() - off)));
  }
  const auto da = a.Finish();
  EXPECT_EQ(da, b.Finish());
  EXPECT_EQ(crypto::Sha256::ToHex(da).view(), "6cf7a2aa699e0b4444eaee2819e4024ef1bab55486bb8d9f59afdc3a7301a362");
}

}  // namespace
}  // namespace pmu::proto
