#include <gtest/gtest.h>

#include <string>

#include "pmu/proto/command.h"

namespace pmu::proto {
namespace {

Command Short(std::uint32_t ms) { return {CommandKind::kShort, ms, 0}; }
Command Flood(std::uint64_t n) { return {CommandKind::kFloodme, 0, n}; }

TEST(CommandGrammar, ShortDelays) {
  struct Case {
    const char* text;
    std::uint32_t ms;
  } cases[] = {{"CMD_short:0", 0},       {"CMD_short:1", 1000},       {"CMD_short:10", 10000},
               {"CMD_short:0.5", 500},   {"CMD_short:.25", 250},      {"CMD_short:2.", 2000},
               {"CMD_short:1.001", 1001}, {"CMD_short:9.9990", 9999}, {"CMD_short:10.000", 10000},
               {"CMD_short:007", 7000},  {"  CMD_short:1 \r", 1000},  {"\tCMD_short:3\t", 3000}};
  for (const Case& c : cases) {
    auto r = ParseCommand(c.text);
    ASSERT_TRUE(r.ok()) << c.text << ": " << r.status().message();
    EXPECT_EQ(*r, Short(c.ms)) << c.text;
  }
}

TEST(CommandGrammar, BadDelaysNameTheProblem) {
  for (const char* bad : {"CMD_short:", "CMD_short", "CMD_short:-1", "CMD_short:+1", "CMD_short:1e1", "CMD_short:1 x",
                          "CMD_short: 1", "CMD_short:1.2.3", "CMD_short:.", "CMD_short:x", "CMD_short:1,5"}) {
    auto r = ParseCommand(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(std::string(r.status().message()).rfind("bad delay", 0), 0u) << bad << ": " << r.status().message();
  }
  for (const char* out : {"CMD_short:10.001", "CMD_short:11", "CMD_short:99999999999999999999"}) {
    auto r = ParseCommand(out);
    ASSERT_FALSE(r.ok()) << out;
    EXPECT_EQ(r.status().code(), StatusCode::kOutOfRange) << out;
  }
  // Sub-millisecond precision is refused rather than rounded silently.
  EXPECT_STREQ(ParseCommand("CMD_short:0.0005").status().message(), "bad delay: at most millisecond resolution");
}

TEST(CommandGrammar, Floodme) {
  EXPECT_EQ(*ParseCommand("CMD_floodme"), Flood(0));
  EXPECT_EQ(*ParseCommand("CMD_floodme:1"), Flood(1));
  EXPECT_EQ(*ParseCommand("CMD_floodme:1048576"), Flood(1048576));
  EXPECT_EQ(ParseCommand("CMD_floodme:0").status().code(), StatusCode::kOutOfRange);
  // Beyond 64 bits the size saturates, so the device answers it as any size above its
  // limit rather than with an error of its own.
  EXPECT_EQ(*ParseCommand("CMD_floodme:18446744073709551615"), Flood(UINT64_MAX));
  EXPECT_EQ(*ParseCommand("CMD_floodme:18446744073709551616"), Flood(UINT64_MAX));
  EXPECT_EQ(*ParseCommand("CMD_floodme:99999999999999999999999"), Flood(UINT64_MAX));
  EXPECT_EQ(ParseCommand("CMD_floodme:99999999999999999999x").status().code(), StatusCode::kInvalidArgument);
  for (const char* bad : {"CMD_floodme:", "CMD_floodme:-5", "CMD_floodme:1k", "CMD_floodme: 5"}) {
    EXPECT_EQ(std::string(ParseCommand(bad).status().message()).rfind("bad size", 0), 0u) << bad;
  }
  EXPECT_STREQ(ParseCommand("CMD_floodmeX").status().message(), "unknown command");
}

TEST(CommandGrammar, TimeAndUnknown) {
  EXPECT_EQ(ParseCommand("CMD_time")->kind, CommandKind::kTime);
  for (const char* bad : {"CMD_time:1", "cmd_short:1", "CMD_SHORT:1", "HELLO", "CMD_", "CMD_shorts:1"}) {
    EXPECT_FALSE(ParseCommand(bad).ok()) << bad;
  }
  EXPECT_STREQ(ParseCommand("HELLO").status().message(), "unknown command");
  EXPECT_STREQ(ParseCommand("").status().message(), "empty command");
  EXPECT_STREQ(ParseCommand(" \r\t").status().message(), "empty command");
  EXPECT_STREQ(ParseCommand(std::string("CMD_short:1\x01", 12)).status().message(),
               "command is not printable ASCII text");
  EXPECT_STREQ(ParseCommand("CMD_short:\xc3\xa9").status().message(), "command is not printable ASCII text");
}

TEST(CommandGrammar, FormatRoundTrips) {
  for (Command c : {Short(0), Short(1000), Short(1500), Short(10), Flood(0), Flood(123456), Command{CommandKind::kTime, 0, 0}}) {
    char buf[64];
    const std::size_t n = FormatCommand(c, buf);
    ASSERT_GT(n, 0u);
    auto back = ParseCommand(std::string_view(buf, n));
    ASSERT_TRUE(back.ok()) << std::string_view(buf, n);
    EXPECT_EQ(*back, c);
  }
  char tiny[4];
  EXPECT_EQ(FormatCommand(Short(0), tiny), 0u);
}

TEST(CommandReader, LineEndsTheCommandWhateverTheSplit) {
  const std::string wire = "CMD_short:0.5\r\nTRAILING";
  for (std::size_t chunk = 1; chunk <= wire.size(); ++chunk) {
    CommandReader r;
    std::size_t consumed = 0;
    for (std::size_t pos = 0; pos < wire.size() && r.state() == LineState::kReading; pos += chunk) {
      consumed += r.Feed(AsBytes(std::string_view(wire).substr(pos, chunk)));
    }
    ASSERT_EQ(r.state(), LineState::kComplete) << "chunk " << chunk;
    EXPECT_EQ(r.text(), "CMD_short:0.5");
    EXPECT_EQ(consumed, wire.find('\n') + 1) << "chunk " << chunk;
    EXPECT_EQ(r.Feed(AsBytes("more")), 0u);
  }
}

TEST(CommandReader, BareCommandStaysReading) {
  CommandReader r;
  EXPECT_FALSE(r.started());
  EXPECT_EQ(r.Feed(AsBytes("CMD_floodme")), 11u);
  EXPECT_TRUE(r.started());
  EXPECT_EQ(r.state(), LineState::kReading);
  EXPECT_EQ(r.text(), "CMD_floodme");
}

TEST(CommandReader, TooLongWithoutLineFeed) {
  CommandReader r;
  const std::string big(kMaxCommandLength, 'A');
  EXPECT_EQ(r.Feed(AsBytes(big)), kMaxCommandLength);
  EXPECT_EQ(r.state(), LineState::kReading);
  EXPECT_EQ(r.Feed(AsBytes("B")), 1u);
  EXPECT_EQ(r.state(), LineState::kTooLong);
  // Exactly the limit followed by the line feed is fine.
  CommandReader ok;
  ok.Feed(AsBytes(big + "\n"));
  EXPECT_EQ(ok.state(), LineState::kComplete);
}

TEST(CommandReader, EmptyLine) {
  CommandReader r;
  r.Feed(AsBytes("\n"));
  EXPECT_EQ(r.state(), LineState::kComplete);
  EXPECT_TRUE(r.started());
  EXPECT_STREQ(ParseCommand(r.text()).status().message(), "empty command");
}

}  // namespace
}  // namespace pmu::proto
