// Fernet tokens: the specification's published vectors (generate, verify, invalid),
// read at test time from Debian's python3-cryptography-vectors package, then our own
// cases: round trips, tampering, wrong keys, time limits, the replay cache.
#include <gtest/gtest.h>

#include <string>

#include "pmu/base/civil_time.h"
#include "pmu/firmware/services/reset_service.h"
#include "pmu/proto/fernet.h"
#include "test_json.h"

namespace pmu::proto {
namespace {

using test::Json;
using test::JsonReader;

// "1985-10-26T01:20:00-07:00" -> Unix seconds.
std::int64_t ParseRfc3339(const std::string& s) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0, oh = 0, om = 0;
  char sign = '+';
  if (std::sscanf(s.c_str(), "%d-%d-%dT%d:%d:%d%c%d:%d", &y, &mo, &d, &h, &mi, &se, &sign, &oh, &om) != 9) {
    ADD_FAILURE() << "bad time " << s;
    return 0;
  }
  const std::int64_t local = UnixSecondsFromCivil(y, mo, d, h, mi, se);
  const std::int64_t offset = (oh * 3600 + om * 60) * (sign == '-' ? -1 : 1);
  return local - offset;
}

Json LoadVectors(const char* name) {
  const std::string path = std::string(PMU_FERNET_VECTORS_DIR) + "/" + name;
  std::string text, error;
  Json json;
  if (!test::ReadTextFile(path, text, error) || !JsonReader(text).Read(json, error)) {
    ADD_FAILURE() << error << " (the Fernet specification's vectors, from Debian's python3-cryptography-vectors; "
                  << "scripts/setup.sh installs it)";
  }
  return json;
}

FernetKey Key(const std::string& secret) {
  auto k = ParseFernetKey(secret);
  EXPECT_TRUE(k.ok()) << secret;
  return k.ok() ? *k : FernetKey{};
}

TEST(FernetSpec, GenerateVectors) {
  const Json v = LoadVectors("generate.json");
  ASSERT_GT(v.size(), 0u);
  for (std::size_t i = 0; i < v.size(); ++i) {
    const Json& c = v[i];
    std::uint8_t iv[16];
    for (int b = 0; b < 16; ++b) iv[b] = static_cast<std::uint8_t>(c["iv"][static_cast<std::size_t>(b)].integer());
    char out[kMaxFernetTokenText];
    const auto n = FernetEncrypt(Key(c["secret"].text), AsBytes(c["src"].text),
                                 static_cast<std::uint64_t>(ParseRfc3339(c["now"].text)), iv, out);
    ASSERT_TRUE(n.ok());
    EXPECT_EQ(std::string(out, *n), c["token"].text) << "generate vector " << i;
  }
}

TEST(FernetSpec, VerifyVectors) {
  const Json v = LoadVectors("verify.json");
  ASSERT_GT(v.size(), 0u);
  for (std::size_t i = 0; i < v.size(); ++i) {
    const Json& c = v[i];
    std::byte work[kMaxFernetTokenText], plain[kMaxFernetTokenText];
    const auto n = FernetDecrypt(Key(c["secret"].text), c["token"].text, ParseRfc3339(c["now"].text),
                                 static_cast<std::uint32_t>(c["ttl_sec"].integer()), work, plain);
    ASSERT_TRUE(n.ok()) << "verify vector " << i << ": " << n.status().message();
    EXPECT_EQ(AsText(ByteSpan(plain, *n)), c["src"].text);
  }
}

TEST(FernetSpec, InvalidVectorsAreAllRejected) {
  const Json v = LoadVectors("invalid.json");
  ASSERT_GE(v.size(), 8u);
  for (std::size_t i = 0; i < v.size(); ++i) {
    const Json& c = v[i];
    std::byte work[kMaxFernetTokenText], plain[kMaxFernetTokenText];
    const auto n = FernetDecrypt(Key(c["secret"].text), c["token"].text, ParseRfc3339(c["now"].text),
                                 static_cast<std::uint32_t>(c["ttl_sec"].integer()), work, plain);
    EXPECT_FALSE(n.ok()) << "invalid vector accepted: " << c["desc"].text;
  }
}

constexpr const char* kKey = "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=";
constexpr std::uint8_t kIv[16] = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2, 3, 4, 5, 6};

std::string Make(const char* plaintext, std::uint64_t at, const char* key = kKey) {
  char out[kMaxFernetTokenText];
  const auto n = FernetEncrypt(Key(key), AsBytes(std::string_view(plaintext)), at, kIv, out);
  EXPECT_TRUE(n.ok());
  return std::string(out, *n);
}

Result<std::string> Open(const std::string& token, std::int64_t now, std::uint32_t ttl = 60, const char* key = kKey) {
  std::byte work[kMaxFernetTokenText], plain[kMaxFernetTokenText];
  const auto n = FernetDecrypt(Key(key), token, now, ttl, work, plain);
  if (!n.ok()) return n.status();
  return std::string(AsText(ByteSpan(plain, *n)));
}

TEST(Fernet, RoundTripAndTimeLimits) {
  const std::string t = Make("RESET:100;id=abc", 1'000'000);
  EXPECT_EQ(*Open(t, 1'000'000), "RESET:100;id=abc");
  EXPECT_EQ(*Open(t, 1'000'060), "RESET:100;id=abc");                      // exactly the TTL
  EXPECT_STREQ(Open(t, 1'000'061).status().message(), "token expired");
  EXPECT_EQ(*Open(t, 1'000'000 - 60), "RESET:100;id=abc");                 // 60 s of clock skew
  EXPECT_STREQ(Open(t, 1'000'000 - 61).status().message(), "token from the future");
  EXPECT_EQ(*Open(t, 9'999'999, 0), "RESET:100;id=abc");                   // no TTL check
  // Plaintexts of every length around the block size pad correctly.
  for (std::size_t len = 0; len <= 33; ++len) {
    const std::string p(len, 'x');
    EXPECT_EQ(*Open(Make(p.c_str(), 5), 5), p) << len;
  }
}

TEST(Fernet, WrongKeyAndTamperingAreRefused) {
  const std::string t = Make("RESET:1", 50);
  EXPECT_EQ(Open(t, 50, 60, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=").status().code(),
            StatusCode::kPermissionDenied);
  // Change each character of the token to another valid one: always refused.
  for (std::size_t i = 0; i + 2 < t.size(); ++i) {
    std::string bad = t;
    bad[i] = bad[i] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(Open(bad, 50).ok()) << "tampered at " << i;
  }
}

TEST(Fernet, ParseErrorsNameTheShape) {
  std::byte buf[kMaxFernetTokenText];
  EXPECT_STREQ(ParseFernetToken("not base64 at all!", buf).status().message(), "token is not URL-safe base64");
  EXPECT_STREQ(ParseFernetToken("gAAAAAAdwJ6w", buf).status().message(), "token too short");
  EXPECT_STREQ(ParseFernetToken(std::string(600, 'A'), buf).status().message(), "token too long");
  const std::string t = Make("x", 1);
  std::string v81 = t;
  v81[1] = 'Q';  // 'g','Q' decode to 0x81 as the first byte (for 'g','A'..'P' it is 0x80)
  EXPECT_STREQ(ParseFernetToken(v81, buf).status().message(), "not a version 0x80 Fernet token");
  EXPECT_FALSE(ParseFernetKey("short").ok());
  EXPECT_FALSE(ParseFernetKey("cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4").ok());  // unpadded
}

TEST(FernetReplayCache, RemembersUntilExpiryAndRefusesWhenFull) {
  firmware::FernetReplayCache cache;
  std::uint8_t tag[16] = {1};
  using V = firmware::FernetReplayCache::Verdict;
  EXPECT_EQ(cache.Check(tag, 200, 100), V::kNew);
  EXPECT_EQ(cache.Check(tag, 200, 150), V::kReplay);
  EXPECT_EQ(cache.Check(tag, 300, 200), V::kNew);  // expired: a new acceptance
  for (std::size_t i = 1; i < firmware::FernetReplayCache::kCapacity; ++i) {
    std::uint8_t t[16] = {static_cast<std::uint8_t>(i), 0xAA};
    EXPECT_EQ(cache.Check(t, 1000, 200), V::kNew);
  }
  std::uint8_t extra[16] = {0xEE};
  EXPECT_EQ(cache.Check(extra, 1000, 200), V::kFull);  // never forget a live token
  EXPECT_EQ(cache.Check(extra, 1000, 1001), V::kNew);   // once they expired, room again
}

}  // namespace
}  // namespace pmu::proto
