#include <gtest/gtest.h>

#include <string>

#include "pmu/base/utf8.h"

namespace pmu {
namespace {

bool Valid(std::string_view s) { return IsValidUtf8(AsBytes(s)); }

TEST(Utf8, AcceptsWellFormedText) {
  for (const char* ok : {"", "plain ASCII", "\x7f", "\xc2\x80", "caf\xc3\xa9", "\xdf\xbf", "\xe0\xa0\x80",
                         "\xe2\x82\xac", "\xed\x9f\xbf", "\xee\x80\x80", "\xef\xbf\xbf", "\xf0\x90\x80\x80",
                         "\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf", "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"}) {
    EXPECT_TRUE(Valid(ok)) << ok;
  }
}

TEST(Utf8, RejectsEveryKindOfMalformedText) {
  const char* bad[] = {
      "\x80",              // stray continuation
      "\xbf",              //
      "\xc0\x80",          // overlong NUL
      "\xc1\xbf",          // overlong
      "\xe0\x9f\xbf",      // overlong 3-byte
      "\xf0\x8f\xbf\xbf",  // overlong 4-byte
      "\xed\xa0\x80",      // surrogate U+D800
      "\xed\xbf\xbf",      // surrogate U+DFFF
      "\xf4\x90\x80\x80",  // U+110000
      "\xf5\x80\x80\x80",  // beyond Unicode
      "\xff",              //
      "\xfe",              //
      "\xc3",              // truncated at the end
      "\xe2\x82",          //
      "\xf0\x9f\x98",      //
      "\xc3\x28",          // continuation missing
      ("a\xe2\x82" "a"),   // cut by ASCII
  };
  for (const char* b : bad) EXPECT_FALSE(Valid(b)) << testing::PrintToString(std::string(b));
}

TEST(Utf8, StreamCutAnywhere) {
  const std::string text = "\xce\xba\xe1\xbd\xb9\xcf\x83 \xf0\x9f\x98\x80 \xe2\x82\xac!";
  for (std::size_t cut = 0; cut <= text.size(); ++cut) {
    Utf8Validator v;
    EXPECT_TRUE(v.Feed(AsBytes(std::string_view(text).substr(0, cut))));
    EXPECT_TRUE(v.Feed(AsBytes(std::string_view(text).substr(cut))));
    EXPECT_TRUE(v.complete());
  }
  // One byte at a time: complete only between code points.
  Utf8Validator v;
  ASSERT_TRUE(v.Feed(AsBytes("\xf0")));
  EXPECT_FALSE(v.complete());
  EXPECT_FALSE(v.failed());
  ASSERT_TRUE(v.Feed(AsBytes("\x9f")));
  ASSERT_TRUE(v.Feed(AsBytes("\x98")));
  EXPECT_FALSE(v.complete());
  ASSERT_TRUE(v.Feed(AsBytes("\x80")));
  EXPECT_TRUE(v.complete());
}

TEST(Utf8, FailsFastAndStaysFailed) {
  Utf8Validator v;
  // The surrogate is refused at its second byte, before the sequence is complete.
  EXPECT_TRUE(v.Feed(AsBytes("ok \xed")));
  EXPECT_FALSE(v.Feed(AsBytes("\xa0")));
  EXPECT_TRUE(v.failed());
  EXPECT_FALSE(v.complete());
  EXPECT_FALSE(v.Feed(AsBytes("fine again")));
  v.Reset();
  EXPECT_TRUE(v.Feed(AsBytes("fine again")));
  EXPECT_TRUE(v.complete());
}

}  // namespace
}  // namespace pmu
