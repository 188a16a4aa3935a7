#include <gtest/gtest.h>

#include <string>

#include "pmu/proto/console_line.h"
#include "pmu/proto/line_reader.h"

namespace pmu::proto {
namespace {

TEST(ConsoleLine, WordsAndRest) {
  auto l = ParseConsoleLine("  config set tls.allowed_clients  operator1, operator2 \r");
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->count, 5u);
  EXPECT_EQ(l->word(0), "config");
  EXPECT_EQ(l->word(2), "tls.allowed_clients");
  EXPECT_EQ(l->RestFrom(3), "operator1, operator2");
  EXPECT_EQ(l->word(9), "");
  EXPECT_EQ(l->RestFrom(9), "");
  EXPECT_EQ(ParseConsoleLine("")->count, 0u);
  EXPECT_EQ(ParseConsoleLine(" \t ")->count, 0u);
  EXPECT_EQ(ParseConsoleLine("log\t10")->word(1), "10");
}

TEST(ConsoleLine, Refusals) {
  EXPECT_STREQ(ParseConsoleLine("a b c d e f g h i").status().message(), "too many words");
  EXPECT_EQ(ParseConsoleLine("a b c d e f g h")->count, 8u);
  EXPECT_STREQ(ParseConsoleLine("stats\x01").status().message(), "line is not printable ASCII text");
  EXPECT_STREQ(ParseConsoleLine("caf\xc3\xa9").status().message(), "line is not printable ASCII text");
  EXPECT_STREQ(ParseConsoleLine(std::string(kMaxConsoleLine + 1, 'x')).status().message(), "line too long");
}

TEST(LineReader, LinesInAnySplitAndOverlong) {
  const std::string wire = "help\r\nlog 5\n";
  for (std::size_t chunk = 1; chunk <= wire.size(); ++chunk) {
    LineReader<16> r;
    std::vector<std::string> lines;
    std::size_t pos = 0;
    while (pos < wire.size()) {
      const std::size_t used = r.Feed(AsBytes(std::string_view(wire).substr(pos, chunk)));
      pos += used;
      if (r.state() == LineState::kComplete) {
        lines.emplace_back(r.text());
        r.Reset();
      }
    }
    EXPECT_EQ(lines, (std::vector<std::string>{"help", "log 5"})) << chunk;
  }
  LineReader<4> small;
  EXPECT_EQ(small.Feed(AsBytes("abcdef\n")), 5u);
  EXPECT_EQ(small.state(), LineState::kTooLong);
}

}  // namespace
}  // namespace pmu::proto
