#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "pmu/firmware/services/command_job.h"
#include "pmu/proto/floodme.h"

namespace pmu::firmware {
namespace {

// Drains a job the way a transport does: Peek into a buffer of `room` bytes, Consume
// what was "written", honour waits by advancing the clock. Returns the messages.
struct Drained {
  std::vector<std::string> messages;
  std::vector<std::uint64_t> start_ms;  // when each message began
  std::uint64_t end_ms = 0;
};

Drained Drain(CommandJob& job, std::size_t room, std::uint64_t now = 1000) {
  Drained d;
  std::vector<std::byte> buf(room);
  std::string current;
  while (!job.done()) {
    now += job.WaitMs(now);
    if (job.at_message_start()) d.start_ms.push_back(now);
    const std::size_t n = job.Peek(buf);
    EXPECT_GT(n, 0u);
    current.append(reinterpret_cast<const char*>(buf.data()), n);
    const bool last = n == job.message_remaining();
    job.Consume(ByteSpan(buf.data(), n), now);
    if (last) {
      d.messages.push_back(current);
      current.clear();
    }
  }
  d.end_ms = now;
  return d;
}

CommandLimits Limits() { return CommandLimits{10, 1u << 20, 1u << 30, false, true}; }

TEST(CommandJob, ShortSendsNumberedMessagesWithTheDelayBetween) {
  CommandJob job;
  job.Start("CMD_short:1.5", Limits(), 1000, 0);
  ASSERT_EQ(job.outcome(), CommandJob::Outcome::kShort);
  const Drained d = Drain(job, 7);  // small room: messages come in pieces
  ASSERT_EQ(d.messages.size(), 10u);
  for (std::size_t i = 0; i < 10; ++i) {
    EXPECT_EQ(d.messages[i], "This is PMU data " + std::to_string(i + 1));
    EXPECT_EQ(d.start_ms[i], 1000 + 1500 * i) << i;  // no wait before the first one
  }
  EXPECT_EQ(job.messages_completed(), 10u);
}

TEST(CommandJob, PauseAfterMessageOnlyBetweenDelayedMessages) {
  CommandJob job;
  job.Start("CMD_short:0", Limits(), 0, 0);
  EXPECT_FALSE(job.pause_after_message());
  CommandJob delayed;
  CommandLimits three = Limits();
  three.short_count = 3;
  delayed.Start("CMD_short:1", three, 0, 0);
  std::vector<bool> pauses;
  std::byte buf[64];
  std::uint64_t now = 0;
  while (!delayed.done()) {
    now += delayed.WaitMs(now);
    pauses.push_back(delayed.pause_after_message());
    const std::size_t n = delayed.Peek(buf);
    delayed.Consume(ByteSpan(buf, n), now);
  }
  EXPECT_EQ(pauses, (std::vector<bool>{true, true, false}));
}

TEST(CommandJob, ConfiguredCount) {
  CommandLimits l = Limits();
  l.short_count = 3;
  CommandJob job;
  job.Start("CMD_short:0", l, 0, 0);
  EXPECT_EQ(Drain(job, 1460).messages.size(), 3u);
}

TEST(CommandJob, FloodmeIsGeneratedAndDigested) {
  CommandJob job;
  job.Start("CMD_floodme:100000", Limits(), 0, 0);
  ASSERT_EQ(job.outcome(), CommandJob::Outcome::kFloodme);
  EXPECT_EQ(job.message_length(), 100000u);
  const Drained d = Drain(job, 1460);
  ASSERT_EQ(d.messages.size(), 1u);
  EXPECT_EQ(d.messages[0].size(), 100000u);
  EXPECT_EQ(proto::FloodmeMismatch(0, AsBytes(d.messages[0])), 100000u);
  crypto::Sha256 sha;
  sha.Update(AsBytes(d.messages[0]));
  EXPECT_EQ(job.floodme_digest(), sha.Finish());
}

TEST(CommandJob, FloodmeDefaultAndLimit) {
  CommandJob job;
  job.Start("CMD_floodme", Limits(), 0, 0);
  EXPECT_EQ(job.message_length(), 1u << 20);
  CommandLimits small = Limits();
  small.floodme_max = 1000;
  job.Start("CMD_floodme:1001", small, 0, 0);
  EXPECT_EQ(job.outcome(), CommandJob::Outcome::kError);
  EXPECT_EQ(Drain(job, 100).messages.at(0), "ERROR bad size: larger than this device's CMD_floodme limit\n");
  job.Start("CMD_floodme:18446744073709551616", Limits(), 0, 0);  // 2^64
  EXPECT_EQ(Drain(job, 100).messages.at(0), "ERROR bad size: larger than this device's CMD_floodme limit\n");
}

TEST(CommandJob, ErrorsAreOneLine) {
  CommandJob job;
  job.Start("CMD_nonsense", Limits(), 0, 0);
  EXPECT_EQ(Drain(job, 1460).messages, (std::vector<std::string>{"ERROR unknown command\n"}));
  job.Start("CMD_short:11", Limits(), 0, 0);
  EXPECT_EQ(Drain(job, 1460).messages.at(0), "ERROR bad delay: expected seconds from 0 to 10\n");
  {
    // The reason is the caller's temporary: the job keeps its own copy.
    std::string reason = "client certificate not accepted: busy";
    job.StartError(reason, Limits());
    reason.assign(reason.size(), 'x');
  }
  EXPECT_EQ(job.error_reason(), "client certificate not accepted: busy");
  EXPECT_EQ(Drain(job, 1460).messages.at(0), "ERROR client certificate not accepted: busy\n");
  job.Start("CMD_nonsense", Limits(), 0, 0);
  EXPECT_EQ(job.error_reason(), "unknown command");
  CommandLimits ws = Limits();
  ws.error_line_feed = false;  // a WebSocket message carries no line feed
  job.Start("x", ws, 0, 0);
  EXPECT_EQ(Drain(job, 1460).messages.at(0), "ERROR unknown command");
}

TEST(CommandJob, TimeOnlyWhereAllowed) {
  CommandJob job;
  job.Start("CMD_time", Limits(), 0, 0);
  EXPECT_EQ(Drain(job, 1460).messages.at(0), "ERROR CMD_time is served over TLS only (port 5007)\n");
  CommandLimits tls = Limits();
  tls.allow_time = true;
  job.Start("CMD_time", tls, 0, 951827696LL * 1'000'000'000 + 123456789);
  EXPECT_EQ(Drain(job, 1460).messages.at(0), "2000-02-29T12:34:56.123456Z\n");
}

TEST(CommandJob, PeekDoesNotAdvance) {
  CommandJob job;
  job.Start("CMD_short:0", Limits(), 0, 0);
  std::byte a[5], b[5];
  ASSERT_EQ(job.Peek(a), 5u);
  ASSERT_EQ(job.Peek(b), 5u);
  EXPECT_EQ(std::memcmp(a, b, 5), 0);
  EXPECT_EQ(job.message_remaining(), 18u);
}

}  // namespace
}  // namespace pmu::firmware
