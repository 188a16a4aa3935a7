#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "pmu/proto/pmu_message.h"

namespace pmu::proto {
namespace {

std::string Stream(std::uint32_t n) {
  std::string s;
  for (std::uint32_t i = 1; i <= n; ++i) s += "This is PMU data " + std::to_string(i);
  return s;
}

std::vector<std::string> Split(const std::string& wire, std::size_t chunk) {
  std::vector<std::string> out;
  PmuMessageSplitter sp;
  auto emit = [&](std::string_view m) { out.emplace_back(m); };
  for (std::size_t pos = 0; pos < wire.size(); pos += chunk) {
    sp.Feed(AsBytes(std::string_view(wire).substr(pos, chunk)), emit);
  }
  sp.Finish(emit);
  return out;
}

TEST(PmuMessage, FormatAndParse) {
  char buf[kMaxPmuMessageLength + 1];
  EXPECT_EQ(std::string_view(buf, FormatPmuMessage(1, buf)), "This is PMU data 1");
  EXPECT_EQ(std::string_view(buf, FormatPmuMessage(4294967295u, buf)), "This is PMU data 4294967295");
  EXPECT_EQ(*ParsePmuMessage("This is PMU data 10"), 10u);
  for (const char* bad : {"This is PMU data ", "This is PMU data 0", "This is PMU data 01", "This is PMU data 1x",
                          "this is PMU data 1", "This is PMU data 4294967296", "ERROR unknown command"}) {
    EXPECT_FALSE(ParsePmuMessage(bad).ok()) << bad;
  }
}

TEST(PmuMessageSplitter, AnySplitOfTheStreamGivesTheMessages) {
  const std::string wire = Stream(10);
  // 1, 2, 3 ... bytes at a time, and the whole stream back to back in one piece.
  for (std::size_t chunk = 1; chunk <= wire.size(); ++chunk) {
    const auto msgs = Split(wire, chunk);
    ASSERT_EQ(msgs.size(), 10u) << "chunk " << chunk;
    for (std::uint32_t i = 0; i < 10; ++i) EXPECT_EQ(msgs[i], "This is PMU data " + std::to_string(i + 1));
  }
}

TEST(PmuMessageSplitter, TextBeforeTheFirstPrefixIsItsOwnSegment) {
  const auto msgs = Split("ERROR busy\nThis is PMU data 1This is PMU data 2", 3);
  ASSERT_EQ(msgs.size(), 3u);
  EXPECT_EQ(msgs[0], "ERROR busy\n");
  EXPECT_EQ(msgs[2], "This is PMU data 2");
}

TEST(PmuMessageSplitter, GarbageIsBoundedAndAPrefixAcrossTheCutSurvives) {
  // Long garbage is emitted in bounded segments; a prefix split across a cut is still
  // recognised.
  std::string wire(PmuMessageSplitter::kMaxSegment - 5, 'x');
  wire += "This is PMU data 7";
  const auto msgs = Split(wire, 1);
  ASSERT_GE(msgs.size(), 2u);
  EXPECT_EQ(msgs.back(), "This is PMU data 7");
  std::size_t garbage = 0;
  for (std::size_t i = 0; i + 1 < msgs.size(); ++i) {
    EXPECT_LE(msgs[i].size(), PmuMessageSplitter::kMaxSegment);
    garbage += msgs[i].size();
  }
  EXPECT_EQ(garbage, PmuMessageSplitter::kMaxSegment - 5);
}

TEST(PmuMessageSplitter, EmptyStream) { EXPECT_TRUE(Split("", 1).empty()); }

}  // namespace
}  // namespace pmu::proto
