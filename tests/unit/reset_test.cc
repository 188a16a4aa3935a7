#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "pmu/firmware/random.h"
#include "pmu/firmware/services/reset_id_cache.h"
#include "pmu/proto/reset.h"

namespace pmu {
namespace {

using proto::ParseResetAnswer;
using proto::ParseResetRequest;

Result<proto::ResetRequest> Parse(std::string_view s) { return ParseResetRequest(AsBytes(s)); }

TEST(ResetRequest, Accepted) {
  auto r = Parse("RESET:0");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->seconds, 0u);
  EXPECT_TRUE(r->token.empty());
  EXPECT_EQ(Parse("RESET:86400")->seconds, 86400u);
  EXPECT_EQ(Parse("RESET:5\n")->seconds, 5u);     // echo | nc -u
  EXPECT_EQ(Parse("RESET:5\r\n ")->seconds, 5u);
  r = Parse("RESET:100;id=a1B2-c_3.d~");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->seconds, 100u);
  EXPECT_EQ(r->token, "a1B2-c_3.d~");
  EXPECT_EQ(Parse("RESET:7;id=" + std::string(64, 'x'))->token.size(), 64u);
}

TEST(ResetRequest, RefusedWithTheReason) {
  struct Case {
    std::string text;
    const char* message;
  } cases[] = {
      {"RESET:", "expected a whole number of seconds"},
      {"RESET:-1", "expected a whole number of seconds"},
      {"RESET:+1", "expected a whole number of seconds"},
      {"RESET:1.5", "expected a whole number of seconds"},
      {"RESET: 5", "expected a whole number of seconds"},
      {"RESET:86401", "seconds above 86400"},
      {"RESET:99999999999", "number too large"},
      {"reset:5", "not a RESET request"},
      {"OFFSET=5", "not a RESET request"},
      {"", "not a RESET request"},
      {"RESET:5;", "expected ';id=' after the seconds"},
      {"RESET:5;ID=x", "expected ';id=' after the seconds"},
      {"RESET:5;id=", "bad request identifier"},
      {"RESET:5;id=a b", "bad request identifier"},
      {"RESET:5;id=" + std::string(65, 'x'), "bad request identifier"},
      {"RESET:5;id=caf\xc3\xa9", "bad request identifier"},
  };
  for (const Case& c : cases) {
    auto r = Parse(c.text);
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_STREQ(r.status().message(), c.message) << c.text;
  }
  EXPECT_STREQ(Parse(std::string(129, 'R')).status().message(), "oversized reset datagram");
}

TEST(ResetRequest, FormatRoundTrips) {
  char buf[128];
  std::size_t n = proto::FormatResetRequest({42, "tok"}, buf);
  EXPECT_EQ(std::string_view(buf, n), "RESET:42;id=tok");
  auto back = Parse(std::string_view(buf, n));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->seconds, 42u);
  EXPECT_EQ(back->token, "tok");
  n = proto::FormatResetRequest({86400, {}}, buf);
  EXPECT_EQ(std::string_view(buf, n), "RESET:86400");
  EXPECT_EQ(proto::FormatResetRequest({86401, {}}, buf), 0u);
  EXPECT_EQ(proto::FormatResetRequest({1, "bad token"}, buf), 0u);
}

TEST(ResetAnswer, ParseAndFormat) {
  char buf[32];
  const std::size_t n = proto::FormatResetAnswer(37, buf);
  EXPECT_EQ(std::string_view(buf, n), "OFFSET=37");
  EXPECT_EQ(*ParseResetAnswer(AsBytes(std::string_view(buf, n))), 37u);
  EXPECT_FALSE(ParseResetAnswer(AsBytes("OFFSET=")).ok());
  EXPECT_FALSE(ParseResetAnswer(AsBytes("OFFSET=86401")).ok());
  EXPECT_FALSE(ParseResetAnswer(AsBytes("RESET:1")).ok());
}

TEST(ResetIdCache, RepeatsFirstAnswerUntilExpiry) {
  firmware::ResetIdCache cache;
  EXPECT_FALSE(cache.Find("a", 0).has_value());
  cache.Insert("a", 17, 1000);
  ASSERT_TRUE(cache.Find("a", 1000).has_value());
  EXPECT_EQ(*cache.Find("a", 1000 + firmware::ResetIdCache::kLifetimeMs - 1), 17u);
  EXPECT_FALSE(cache.Find("a", 1000 + firmware::ResetIdCache::kLifetimeMs).has_value());
  EXPECT_FALSE(cache.Find("b", 1000).has_value());
}

TEST(ResetIdCache, BoundedEvictsTheOldest) {
  firmware::ResetIdCache cache;
  const std::size_t cap = firmware::ResetIdCache::kCapacity;
  for (std::size_t i = 0; i < cap; ++i) cache.Insert("t" + std::to_string(i), static_cast<std::uint32_t>(i), 100 + i);
  EXPECT_EQ(cache.size(200), cap);
  cache.Insert("new", 999, 300);
  EXPECT_EQ(cache.size(300), cap);
  EXPECT_FALSE(cache.Find("t0", 300).has_value());  // the oldest went
  EXPECT_EQ(*cache.Find("t1", 300), 1u);
  EXPECT_EQ(*cache.Find("new", 300), 999u);
}

class FixedEntropy : public hal::Entropy {
 public:
  Status Fill(MutableByteSpan out) override {
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<std::byte>(i * 7 + 1);
    return Status::Ok();
  }
};

TEST(DevicePrng, UniformInclusiveCoversTheRangeEvenly) {
  FixedEntropy entropy;
  firmware::DevicePrng prng;
  ASSERT_TRUE(prng.Seed(entropy).ok());
  std::vector<int> counts(7, 0);
  const int draws = 70000;
  for (int i = 0; i < draws; ++i) {
    const auto v = prng.UniformInclusive(6);
    ASSERT_LE(v, 6u);
    ++counts[v];
  }
  // Chi-square with 6 degrees of freedom; 22.46 is the 0.999 quantile.
  double chi2 = 0;
  for (int c : counts) chi2 += (c - draws / 7.0) * (c - draws / 7.0) / (draws / 7.0);
  EXPECT_LT(chi2, 22.46);
  EXPECT_EQ(prng.UniformInclusive(0), 0u);
}

TEST(DevicePrng, ChanceMatchesItsProbability) {
  FixedEntropy entropy;
  firmware::DevicePrng prng;
  ASSERT_TRUE(prng.Seed(entropy).ok());
  int hits = 0;
  const int n = 100000;
  for (int i = 0; i < n; ++i) hits += prng.Chance(600'000) ? 1 : 0;
  // Mean 60000, standard deviation 155: five of them either side.
  EXPECT_NEAR(hits, 60000, 775);
  EXPECT_FALSE(prng.Chance(0));
  EXPECT_TRUE(prng.Chance(1'000'000));
}

TEST(DevicePrng, SameSeedSameSequence) {
  FixedEntropy entropy;
  firmware::DevicePrng a, b;
  ASSERT_TRUE(a.Seed(entropy).ok());
  ASSERT_TRUE(b.Seed(entropy).ok());
  for (int i = 0; i < 100; ++i) EXPECT_EQ(a.Next(), b.Next());
}

}  // namespace
}  // namespace pmu
