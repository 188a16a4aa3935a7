#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

#include "pmu/base/base64.h"

namespace pmu {
namespace {

std::string Encode(std::string_view data, Base64Alphabet a = Base64Alphabet::kStandard) {
  std::string out(Base64EncodedSize(data.size()), '?');
  const std::size_t n = Base64Encode(AsBytes(data), out, a);
  EXPECT_EQ(n, out.size());
  return out;
}

Result<std::string> Decode(std::string_view text, Base64Alphabet a = Base64Alphabet::kStandard) {
  std::vector<std::byte> out(Base64MaxDecodedSize(text.size()));
  auto n = Base64Decode(text, out, a);
  if (!n.ok()) return n.status();
  return std::string(AsText(std::span(out).first(*n)));
}

TEST(Base64, Rfc4648Section10Vectors) {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},         {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, coded] : vectors) {
    EXPECT_EQ(Encode(plain), coded);
    auto back = Decode(coded);
    ASSERT_TRUE(back.ok()) << coded << ": " << back.status().message();
    EXPECT_EQ(*back, plain);
  }
}

TEST(Base64, WebSocketKeyOfRfc6455) {
  // Section 4.1's example nonce: the 16 bytes 01 02 ... 10.
  std::array<std::byte, 16> nonce;
  for (int i = 0; i < 16; ++i) nonce[static_cast<std::size_t>(i)] = static_cast<std::byte>(i + 1);
  char text[24];
  ASSERT_EQ(Base64Encode(nonce, text), 24u);
  EXPECT_EQ(std::string_view(text, 24), "AQIDBAUGBwgJCgsMDQ4PEA==");
}

TEST(Base64, AlphabetsDifferOnlyInTwoCharacters) {
  const std::string data("\xfb\xff\xbf", 3);
  EXPECT_EQ(Encode(data), "+/+/");
  EXPECT_EQ(Encode(data, Base64Alphabet::kUrlSafe), "-_-_");
  EXPECT_EQ(*Decode("-_-_", Base64Alphabet::kUrlSafe), data);
  EXPECT_STREQ(Decode("-_-_").status().message(), "base64: character outside the alphabet");
  EXPECT_STREQ(Decode("+/+/", Base64Alphabet::kUrlSafe).status().message(), "base64: character outside the alphabet");
}

TEST(Base64, RoundTripsEveryLengthAndByte) {
  std::string data;
  for (int len = 0; len < 300; ++len) {
    const std::string coded = Encode(data);
    auto back = Decode(coded);
    ASSERT_TRUE(back.ok()) << len;
    EXPECT_EQ(*back, data);
    data.push_back(static_cast<char>(len * 37 + 11));
  }
}

TEST(Base64, RejectsNonCanonicalText) {
  const std::pair<const char*, const char*> cases[] = {
      {"Zg=", "base64: length is not a multiple of 4"},
      {"Zg", "base64: length is not a multiple of 4"},
      {"Zm9vY", "base64: length is not a multiple of 4"},
      {"Zg==Zg==", "base64: padding before the end"},
      {"Z===", "base64: padding before the end"},
      {"====", "base64: padding before the end"},
      {"Zm=v", "base64: padding before the end"},
      {"Zm9 ", "base64: character outside the alphabet"},
      {"Zm9v\r\nYg==", "base64: length is not a multiple of 4"},
      {"Zm9\n", "base64: character outside the alphabet"},
      {"Zm9*", "base64: character outside the alphabet"},
      {"Zh==", "base64: non-zero bits after the last byte"},  // "Zg==" is canonical
      {"Zm9=", "base64: non-zero bits after the last byte"},  // "Zm8=" is canonical
  };
  for (const auto& [text, message] : cases) {
    auto r = Decode(text);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << text;
    EXPECT_STREQ(r.status().message(), message) << text;
  }
}

TEST(Base64, BuffersTooSmall) {
  char small[7];
  EXPECT_EQ(Base64Encode(AsBytes("foobar"), small), 0u);
  std::array<std::byte, 5> out;
  EXPECT_EQ(Base64Decode("Zm9vYmFy", out).status().code(), StatusCode::kResourceExhausted);
  // Exactly the decoded size is enough, even though the upper bound is larger.
  std::array<std::byte, 4> four;
  auto n = Base64Decode("Zm9vYg==", four);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 4u);
}

}  // namespace
}  // namespace pmu
