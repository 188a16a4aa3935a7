#include <gtest/gtest.h>

#include <string>

#include "pmu/proto/bulletin.h"
#include "pmu/base/utf8.h"

namespace pmu::proto {
namespace {

TEST(Utf8CodePoints, ValidAndInvalidSequences) {
  EXPECT_EQ(*Utf8CodePoints(AsBytes("plain")), 5u);
  EXPECT_EQ(*Utf8CodePoints(AsBytes("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80")), 8u);  // é € 😀
  EXPECT_EQ(*Utf8CodePoints(AsBytes("")), 0u);
  for (const char* bad : {"\x80", "\xc3", "\xc0\xaf", "\xc1\xbf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf0\x8f\xbf\xbf",
                          "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xff", "a\xe2\x82", "\xe2\x28\xa1"}) {
    EXPECT_FALSE(Utf8CodePoints(AsBytes(bad)).ok()) << ::testing::PrintToString(std::string(bad));
  }
  // Boundaries: U+007F, U+0080, U+07FF, U+0800, U+FFFF, U+10000, U+10FFFF.
  EXPECT_TRUE(Utf8CodePoints(AsBytes("\x7f\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf\xf0\x90\x80\x80\xf4\x8f\xbf\xbf")).ok());
}

TEST(Utf8CodePoints, IncrementalAcrossAnySplit) {
  const std::string text = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80z";
  for (std::size_t cut = 0; cut <= text.size(); ++cut) {
    Utf8Validator v;
    EXPECT_TRUE(v.Feed(AsBytes(std::string_view(text).substr(0, cut))));
    EXPECT_TRUE(v.Feed(AsBytes(std::string_view(text).substr(cut))));
    EXPECT_TRUE(v.complete()) << cut;
    EXPECT_EQ(v.code_points(), 5u);
  }
  Utf8Validator unfinished;
  EXPECT_TRUE(unfinished.Feed(AsBytes("\xe2\x82")));
  EXPECT_TRUE(!unfinished.failed());
  EXPECT_FALSE(unfinished.complete());
}

TEST(Bulletin, ParsesIdentifierAndText) {
  auto d = ParseBulletin(AsBytes(" 12345hello grid"));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->id, " 12345");
  EXPECT_EQ(TrimBulletinId(d->id), "12345");
  EXPECT_EQ(d->text, "hello grid");
  EXPECT_EQ(d->characters, 10u);
  d = ParseBulletin(AsBytes("PMU001"));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->characters, 0u);
  d = ParseBulletin(AsBytes("ABCDEF\xc3\xa9t\xc3\xa9"));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->characters, 3u);
}

TEST(Bulletin, DropsWithTheReason) {
  EXPECT_STREQ(ParseBulletin(AsBytes("ABCDE")).status().message(), "shorter than the 6-byte identifier");
  EXPECT_STREQ(ParseBulletin(AsBytes("")).status().message(), "shorter than the 6-byte identifier");
  EXPECT_STREQ(ParseBulletin(AsBytes("      text")).status().message(), "identifier is blank");
  EXPECT_STREQ(ParseBulletin(AsBytes("AB\x01" "DEFtext")).status().message(), "identifier is not printable ASCII");
  EXPECT_STREQ(ParseBulletin(AsBytes("ABCDEF\xff")).status().message(), "text is not valid UTF-8");
  EXPECT_STREQ(ParseBulletin(AsBytes(std::string(kMaxBulletinDatagram + 1, 'x'))).status().message(),
               "oversized datagram");
  EXPECT_TRUE(ParseBulletin(AsBytes(std::string(kMaxBulletinDatagram, 'x'))).ok());
}

TEST(Bulletin, CountsCharactersNotBytes) {
  std::string three_hundred;
  for (int i = 0; i < 300; ++i) three_hundred += "\xc3\xa9";  // 600 bytes, 300 characters
  auto d = ParseBulletin(AsBytes("WHO   " + three_hundred));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->characters, kBulletinTextLimit);
}

TEST(Bulletin, FormatPadsOnTheLeft) {
  char buf[64];
  std::size_t n = FormatBulletin("4711", "hi", buf);
  EXPECT_EQ(std::string_view(buf, n), "  4711hi");
  n = FormatBulletin("PMU001", "", buf);
  EXPECT_EQ(std::string_view(buf, n), "PMU001");
  EXPECT_EQ(FormatBulletin("TOOLONG", "x", buf), 0u);
  EXPECT_EQ(FormatBulletin("A B", "x", buf), 0u);
  EXPECT_EQ(FormatBulletin("", "x", buf), 0u);
  char tiny[7];
  EXPECT_EQ(FormatBulletin("ID", "xy", tiny), 0u);
  auto back = ParseBulletin(AsBytes(std::string_view(buf, FormatBulletin("ID", "round trip", buf))));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(TrimBulletinId(back->id), "ID");
  EXPECT_EQ(back->text, "round trip");
}

}  // namespace
}  // namespace pmu::proto
