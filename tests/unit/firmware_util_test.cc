#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "pmu/firmware/log.h"
#include "pmu/base/static_pool.h"

namespace pmu::firmware {
namespace {

class FakeClock : public hal::Clock {
 public:
  std::uint64_t MonotonicNs() const override { return mono; }
  std::int64_t UtcNs() const override { return utc; }
  std::uint64_t mono = 0;
  std::int64_t utc = 0;
};

class CaptureSink : public hal::LogSink {
 public:
  void WriteLine(std::string_view line) override { lines.emplace_back(line); }
  std::vector<std::string> lines;
};

TEST(StaticPool, LimitAndReuse) {
  struct Session {
    explicit Session(int* live) : live_(live) { ++*live_; }
    ~Session() { --*live_; }
    int* live_;
  };
  int live = 0;
  {
    StaticPool<Session, 3> pool;
    pool.set_limit(2);
    Session* a = pool.Acquire(&live);
    Session* b = pool.Acquire(&live);
    ASSERT_NE(a, nullptr);
    ASSERT_NE(b, nullptr);
    EXPECT_EQ(pool.Acquire(&live), nullptr);  // limit, although a slot is free
    EXPECT_EQ(live, 2);
    pool.Release(a);
    EXPECT_EQ(live, 1);
    EXPECT_EQ(pool.in_use(), 1u);
    EXPECT_NE(pool.Acquire(&live), nullptr);
    EXPECT_EQ(pool.high_water(), 2u);
    pool.set_limit(10);
    EXPECT_EQ(pool.limit(), 3u);
  }
  EXPECT_EQ(live, 0);  // the pool destroys what is left
}

TEST(DeviceClock, AdvancesUtcOnly) {
  FakeClock hal;
  hal.mono = 5'000'000;
  hal.utc = 1'000'000'000;
  DeviceClock c(hal);
  c.AdvanceNs(42'000'000'000);
  EXPECT_EQ(c.UtcNs(), 43'000'000'000);
  EXPECT_EQ(c.MonotonicMs(), 5u);
  EXPECT_EQ(c.offset_ns(), 42'000'000'000);
}

TEST(Logger, FormatsLevelsAndKeepsARing) {
  FakeClock hal;
  hal.utc = 951827696LL * 1'000'000'000 + 123456000;
  DeviceClock clock(hal);
  CaptureSink sink;
  Logger log(clock, &sink);
  PMU_LOG_INFO(log, "cmd", "hello %d", 42);
  PMU_LOG_DEBUG(log, "cmd", "not shown at info");
  PMU_LOG_WARN(log, "averylongmodule", "careful");
  ASSERT_EQ(sink.lines.size(), 2u);
  EXPECT_EQ(sink.lines[0], "2000-02-29T12:34:56.123456Z INFO  cmd: hello 42");
  EXPECT_EQ(sink.lines[1], "2000-02-29T12:34:56.123456Z WARN  averylo: careful");
  for (int i = 0; i < 100; ++i) {
    hal.mono += 100'000'000;  // ten a second: within the rate limit
    PMU_LOG_ERROR(log, "t", "record %d", i);
  }
  std::vector<std::string> recent;
  log.ForEachRecent(3, [&](const LogRecord& r) { recent.emplace_back(r.text.view()); });
  EXPECT_EQ(recent, (std::vector<std::string>{"record 97", "record 98", "record 99"}));
  std::size_t all = 0;
  log.ForEachRecent(1000, [&](const LogRecord&) { ++all; });
  EXPECT_EQ(all, Logger::kRingRecords);
  EXPECT_EQ(log.records_logged(), 102u);
}

TEST(Logger, AFloodIsHeldBackPerModuleAndCounted) {
  FakeClock hal;
  DeviceClock clock(hal);
  CaptureSink sink;
  Logger log(clock, &sink);
  for (int i = 0; i < 1000; ++i) PMU_LOG_INFO(log, "sink", "datagram %d", i);
  EXPECT_EQ(sink.lines.size(), LogRateLimit::kBurst);
  // Another module has a bucket of its own.
  PMU_LOG_INFO(log, "cmd", "a command");
  EXPECT_EQ(sink.lines.size(), LogRateLimit::kBurst + 1);
  // Half a second later: ten more may pass; the count waits for a quiet second.
  hal.mono += 500'000'000;
  for (int i = 0; i < 100; ++i) PMU_LOG_INFO(log, "sink", "datagram %d", i);
  EXPECT_EQ(sink.lines.size(), LogRateLimit::kBurst + 1 + 10);
  log.Poll();
  EXPECT_EQ(sink.lines.size(), LogRateLimit::kBurst + 1 + 10);
  hal.mono += 1'000'000'000;
  log.Poll();
  ASSERT_EQ(sink.lines.size(), LogRateLimit::kBurst + 1 + 10 + 1);
  EXPECT_NE(sink.lines.back().find("WARN  sink: 1050 messages suppressed (more than 20 a second)"), std::string::npos)
      << sink.lines.back();
  EXPECT_EQ(log.records_suppressed(), 1050u);
  log.Poll();  // said once
  EXPECT_EQ(sink.lines.size(), LogRateLimit::kBurst + 1 + 10 + 1);
  // What the operator asks for is never held back.
  for (int i = 0; i < 100; ++i) log.LogRequested(LogLevel::kInfo, "sink", "report line %d", i);
  EXPECT_EQ(sink.lines.size(), LogRateLimit::kBurst + 1 + 10 + 1 + 100);
}

TEST(Logger, ModulesBeyondTheTableShareTheLastBucket) {
  FakeClock hal;
  DeviceClock clock(hal);
  CaptureSink sink;
  Logger log(clock, &sink);
  for (std::size_t m = 0; m < LogRateLimit::kModules + 4; ++m) {
    const std::string module = "m" + std::to_string(m);
    for (int i = 0; i < 100; ++i) log.Log(LogLevel::kInfo, module.c_str(), "x");
  }
  // Every module with a bucket of its own got its burst; the last bucket served the
  // last of those and the four beyond together.
  EXPECT_EQ(sink.lines.size(), LogRateLimit::kModules * LogRateLimit::kBurst);
}

TEST(Logger, LongTextIsCutAndMarked) {
  FakeClock hal;
  DeviceClock clock(hal);
  CaptureSink sink;
  Logger log(clock, &sink);
  log.Log(LogLevel::kInfo, "x", "%s", std::string(500, 'y').c_str());
  ASSERT_EQ(sink.lines.size(), 1u);
  EXPECT_EQ(sink.lines[0].substr(sink.lines[0].size() - 3), "...");
  EXPECT_LT(sink.lines[0].size(), 300u);
}

TEST(Logger, LevelNames) {
  LogLevel l{};
  EXPECT_TRUE(ParseLogLevel("debug", &l));
  EXPECT_EQ(l, LogLevel::kDebug);
  EXPECT_FALSE(ParseLogLevel("DEBUG", &l));
  EXPECT_STREQ(LogLevelName(LogLevel::kWarn), "warn");
}

}  // namespace
}  // namespace pmu::firmware
