// TLS record framing: the scanner follows record lengths across any split of the
// stream and stops at the first record longer than the receiver accepts.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "pmu/proto/tls_record.h"

namespace pmu::proto {
namespace {

using Bytes = std::vector<std::byte>;

void AppendRecord(Bytes& out, std::uint8_t type, std::size_t length) {
  const std::uint8_t head[] = {type, 3, 3, static_cast<std::uint8_t>(length >> 8), static_cast<std::uint8_t>(length)};
  for (std::uint8_t b : head) out.push_back(std::byte{b});
  out.insert(out.end(), length, std::byte{0x5a});
}

TEST(TlsRecordScanner, FollowsRecordsFedWhole) {
  Bytes stream;
  AppendRecord(stream, 22, 300);   // a handshake record
  AppendRecord(stream, 23, 4120);  // the largest accepted
  AppendRecord(stream, 21, 2);     // an alert
  TlsRecordScanner s(4120);
  EXPECT_TRUE(s.Feed(stream));
  EXPECT_EQ(s.records(), 3u);
  EXPECT_FALSE(s.oversized());
}

TEST(TlsRecordScanner, FollowsRecordsFedOneToSevenBytesAtATime) {
  Bytes stream;
  for (std::size_t len : {0u, 1u, 5u, 16u, 1000u, 4096u}) AppendRecord(stream, 23, len);
  for (std::size_t step = 1; step <= 7; ++step) {
    TlsRecordScanner s(4096);
    for (std::size_t at = 0; at < stream.size(); at += step) {
      const std::size_t n = std::min(step, stream.size() - at);
      ASSERT_TRUE(s.Feed(ByteSpan(stream).subspan(at, n))) << "step " << step << " at " << at;
    }
    EXPECT_EQ(s.records(), 6u) << "step " << step;
  }
}

TEST(TlsRecordScanner, StopsAtTheFirstOversizedRecordWhateverTheSplit) {
  Bytes stream;
  AppendRecord(stream, 23, 100);
  AppendRecord(stream, 23, 16384);  // what a peer's full-size record looks like
  for (std::size_t split = 1; split < 110; ++split) {
    TlsRecordScanner s(4120);
    const bool first = s.Feed(ByteSpan(stream).first(split));
    const bool rest = s.Feed(ByteSpan(stream).subspan(split));
    EXPECT_TRUE(first || split > 105) << split;
    EXPECT_FALSE(rest) << split;
    EXPECT_TRUE(s.oversized());
    EXPECT_EQ(s.oversized_length(), 16384u);
    EXPECT_EQ(s.records(), 1u);
    EXPECT_FALSE(s.Feed(stream)) << "stays failed";
  }
}

TEST(TlsRecordScanner, TheLimitIsInclusive) {
  Bytes ok, big;
  AppendRecord(ok, 23, 4120);
  AppendRecord(big, 23, 4121);
  TlsRecordScanner a(4120), b(4120);
  EXPECT_TRUE(a.Feed(ok));
  EXPECT_FALSE(b.Feed(big));
  EXPECT_EQ(b.oversized_length(), 4121u);
}

}  // namespace
}  // namespace pmu::proto
