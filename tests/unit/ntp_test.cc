// The NTP codec (proto/ntp) and the SNTP client's state machine against a simulated
// server over a simulated, asymmetric link.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <vector>

#include "pmu/firmware/device_clock.h"
#include "pmu/firmware/time/sntp_client.h"
#include "pmu/proto/ntp.h"
#include "test_oscillator.h"

namespace pmu::firmware {
namespace {

namespace ntp = proto::ntp;

constexpr std::int64_t kNtpToUnix = 2'208'988'800;

struct Reply {
  int leap = 0, version = 4, mode = 4, stratum = 2;
  std::uint32_t root_delay = 0x00000042;       // about 1 ms
  std::uint32_t root_dispersion = 0x00000021;  // about 0.5 ms
  std::uint32_t reference_id = 0x47505300;     // "GPS"
  std::uint64_t origin = 0, receive = 0, transmit = 0;

  std::vector<std::byte> Bytes() const {
    std::vector<std::byte> b(48);
    b[0] = static_cast<std::byte>((leap << 6) | (version << 3) | mode);
    b[1] = static_cast<std::byte>(stratum);
    b[2] = std::byte{6};
    b[3] = static_cast<std::byte>(-20);
    StoreBe32(&b[4], root_delay);
    StoreBe32(&b[8], root_dispersion);
    StoreBe32(&b[12], reference_id);
    for (auto [at, v] : {std::pair{24, origin}, std::pair{32, receive}, std::pair{40, transmit}}) {
      StoreBe32(&b[static_cast<std::size_t>(at)], static_cast<std::uint32_t>(v >> 32));
      StoreBe32(&b[static_cast<std::size_t>(at) + 4], static_cast<std::uint32_t>(v));
    }
    return b;
  }
};

TEST(NtpCodec, TimeStampsAndTheUnixScale) {
  EXPECT_EQ(ntp::FromUnixNs(0), static_cast<std::uint64_t>(kNtpToUnix) << 32);
  EXPECT_EQ(ntp::FromUnixNs(500'000'000) & 0xFFFFFFFFu, 0x80000000u);
  const std::int64_t t = 1'796'655'643'123'456'789;  // 2026-12-07
  EXPECT_NEAR(static_cast<double>(ntp::ToUnixNs(ntp::FromUnixNs(t), t) - t), 0, 1);
  // Era 1 starts 2036-02-07T06:28:16Z: its second 5 is read as 2036 near 2036 and
  // from 2004 (the nearer of 1900 and 2036), and a time just before the wrap near one
  // just after it stays in era 0.
  const std::int64_t era1 = ((std::int64_t{1} << 32) - kNtpToUnix) * 1'000'000'000;
  const std::uint64_t five = std::uint64_t{5} << 32;
  EXPECT_EQ(ntp::ToUnixNs(five, era1), era1 + 5'000'000'000);
  EXPECT_EQ(ntp::ToUnixNs(five, era1 - 1'000'000'000'000), era1 + 5'000'000'000);  // 2036, seen from 2004
  EXPECT_EQ(ntp::ToUnixNs(ntp::FromUnixNs(era1 - 2'000'000'000), era1 + 1'000'000'000), era1 - 2'000'000'000);
  EXPECT_EQ(ntp::ShortToNs(0x00010000), 1'000'000'000u);
  EXPECT_EQ(ntp::ShortToNs(0x00008000), 500'000'000u);
}

TEST(NtpCodec, WritesARequestAndReadsAReply) {
  std::byte out[48];
  ASSERT_EQ(ntp::WriteRequest(out, 0x0123456789ABCDEFu), 48u);
  EXPECT_EQ(out[0], std::byte{0x23});  // LI 0, version 4, mode 3
  for (int i = 1; i < 40; ++i) EXPECT_EQ(out[i], std::byte{0}) << i;
  EXPECT_EQ(out[40], std::byte{0x01});
  EXPECT_EQ(out[47], std::byte{0xEF});
  std::byte small[47];
  EXPECT_EQ(ntp::WriteRequest(small, 1), 0u);

  Reply r;
  r.origin = 0x0123456789ABCDEFu;
  r.receive = 0xEC000000'80000000u;
  r.transmit = 0xEC000000'80001000u;
  const auto bytes = r.Bytes();
  const auto p = ntp::Parse(bytes);
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(p->mode, 4);
  EXPECT_EQ(p->version, 4);
  EXPECT_EQ(p->stratum, 2);
  EXPECT_EQ(p->precision, -20);
  EXPECT_EQ(p->root_delay, 0x42u);
  EXPECT_EQ(p->reference_id, 0x47505300u);
  EXPECT_EQ(p->origin, r.origin);
  EXPECT_EQ(p->transmit, r.transmit);
  char text[5];
  ntp::ReferenceText(p->reference_id, text);
  EXPECT_STREQ(text, "GPS");
  EXPECT_TRUE(ntp::AnswerTo(*p, r.origin).ok());
  // Longer packets (extension fields, a MAC) parse; shorter ones and unknown versions do not.
  auto longer = bytes;
  longer.resize(68);
  EXPECT_TRUE(ntp::Parse(longer).ok());
  EXPECT_FALSE(ntp::Parse(ByteSpan(bytes.data(), 47)).ok());
  Reply v0 = r;
  v0.version = 0;
  EXPECT_FALSE(ntp::Parse(v0.Bytes()).ok());
}

TEST(NtpCodec, AnswerToRefusesWhatIsNotAnAnswer) {
  Reply good;
  good.origin = 77;
  good.receive = good.transmit = 0xEC000000'00000000u;
  auto check = [&](Reply r, const char* expect) {
    const auto p = ntp::Parse(r.Bytes());
    ASSERT_TRUE(p.ok());
    const Status s = ntp::AnswerTo(*p, 77);
    ASSERT_FALSE(s.ok()) << expect;
    EXPECT_NE(std::string(s.message()).find(expect), std::string::npos) << s.message();
  };
  Reply r = good;
  r.mode = 3;
  check(r, "mode 4");
  r = good;
  r.origin = 78;
  check(r, "origin");
  r = good;
  r.stratum = 16;
  check(r, "stratum 16");
  r = good;
  r.leap = 3;
  check(r, "LI 3");
  r = good;
  r.version = 2;
  check(r, "version 1 or 2");
  r = good;
  r.transmit = 0;
  check(r, "transmit");
  r = good;
  r.stratum = 0;
  r.reference_id = ntp::kKissRate;
  check(r, "RATE");
  r.reference_id = ntp::kKissDeny;
  check(r, "DENY");
}

// An NTP server keeping true time on the far side of a link `out_ns` long one way and
// `back_ns` the other, answering every request the client sends.
struct SimulatedServer {
  static constexpr std::int64_t kOutNs = 300'000;
  static constexpr std::int64_t kBackNs = 200'000;
  static constexpr std::int64_t kTurnNs = 40'000;

  TestOscillator& osc;
  SntpClient& client;
  DeviceClock& clock;
  bool answering = true;
  std::int64_t extra_back_ns = 0;  // the next reply waits this much longer on the way back
  int stratum = 2;
  std::uint32_t kiss = 0;          // answer the next request with this kiss code

  std::int64_t TrueUtc() const { return TestOscillator::kEpoch + osc.true_ns; }
  std::int64_t TrueErrorNs() const { return clock.UtcNs() - TrueUtc(); }

  // `seconds` of true time in 250 ms ticks, as the service runs the client.
  void Run(int seconds) {
    for (int i = 0; i < seconds * 4; ++i) {
      osc.true_ns += 250'000'000;
      client.Tick(osc.MonotonicNs());
      if (!client.Due(osc.MonotonicNs())) continue;
      std::byte request[48];
      ASSERT_EQ(client.WriteRequest(request, osc.MonotonicNs()), 48u);
      if (!answering) continue;
      const auto parsed = ntp::Parse(ByteSpan(request, 48));
      ASSERT_TRUE(parsed.ok());
      Reply r;
      r.origin = parsed->transmit;
      r.stratum = stratum;
      if (kiss != 0) {
        r.stratum = 0;
        r.reference_id = kiss;
        kiss = 0;
      }
      osc.true_ns += kOutNs;
      r.receive = ntp::FromUnixNs(TrueUtc());
      osc.true_ns += kTurnNs;
      r.transmit = ntp::FromUnixNs(TrueUtc());
      osc.true_ns += kBackNs + extra_back_ns;
      extra_back_ns = 0;
      (void)client.Receive(r.Bytes(), osc.MonotonicNs());
    }
  }
};

TEST(SntpClient, LocksHoldsOverAndRelocks) {
  TestOscillator osc(-734'000'000, 87'000);  // 734 ms behind, 87 ppm fast
  DeviceClock clock(osc);
  SntpClient client(clock);
  client.Configure(2000, 3000, 1000);
  SimulatedServer server{osc, client, clock};
  EXPECT_EQ(client.state(), SntpState::kWaiting);
  server.Run(1);
  EXPECT_EQ(client.state(), SntpState::kWaiting);  // one reply: remembered, not yet vouched for
  server.Run(60);
  ASSERT_EQ(client.state(), SntpState::kLocked);
  EXPECT_EQ(client.counters().steps, 1u);
  EXPECT_EQ(client.stratum(), 2);
  const TimeError locked = clock.Error();
  EXPECT_EQ(locked.state, SyncState::kLocked);
  // The asymmetry (300 us out, 200 back) biases the offset by 50 us, which no
  // measurement can see; the bound covers it with half the round trip.
  EXPECT_LT(std::llabs(server.TrueErrorNs()), 80'000);
  EXPECT_GE(static_cast<std::int64_t>(locked.error_ns), std::llabs(server.TrueErrorNs()));
  EXPECT_GE(locked.error_ns, 250'000u + 3000u);  // half the round trip and the stamps' lateness
  EXPECT_NEAR(static_cast<double>(clock.frequency_ppt()), -87'000'000.0, 2'000'000);

  // A reply that waited 20 ms on the way back is an outlier, not a step.
  server.extra_back_ns = 20'000'000;
  server.Run(2);
  EXPECT_EQ(client.counters().outliers, 1u);
  EXPECT_EQ(client.counters().steps, 1u);
  EXPECT_EQ(client.state(), SntpState::kLocked);

  server.Run(2);

  // The server stops answering: three polls (6 s) after its last reply, holdover.
  server.answering = false;
  server.Run(4);
  EXPECT_EQ(client.state(), SntpState::kLocked);
  server.Run(3);
  EXPECT_EQ(client.state(), SntpState::kHoldover);
  EXPECT_EQ(clock.Error().state, SyncState::kHoldover);
  server.Run(20);
  EXPECT_GT(clock.Error().error_ns, locked.error_ns + 20'000);  // grew by the stated 1 ppm
  EXPECT_LT(std::llabs(server.TrueErrorNs()), 100'000);          // the learnt frequency holds

  // Back: relocked without a second step.
  server.answering = true;
  server.Run(10);
  EXPECT_EQ(client.state(), SntpState::kLocked);
  EXPECT_EQ(client.counters().steps, 1u);
  EXPECT_EQ(client.counters().losses, 1u);
  EXPECT_LT(std::llabs(server.TrueErrorNs()), 80'000);
}

TEST(SntpClient, RefusesForgedAndUnsynchronisedRepliesAndHearsKisses) {
  TestOscillator osc(5'000'000, 0);
  DeviceClock clock(osc);
  SntpClient client(clock);
  client.Configure(2000, 0, 1000);
  // A reply before any request, and one whose origin is not our request's.
  Reply forged;
  forged.origin = 12345;
  forged.receive = forged.transmit = ntp::FromUnixNs(clock.UtcNs());
  EXPECT_FALSE(client.Receive(forged.Bytes(), osc.MonotonicNs()).ok());
  std::byte request[48];
  client.WriteRequest(request, osc.MonotonicNs());
  EXPECT_FALSE(client.Receive(forged.Bytes(), osc.MonotonicNs()).ok());
  EXPECT_EQ(client.counters().refused, 2u);
  std::byte junk[10] = {};
  EXPECT_FALSE(client.Receive(ByteSpan(junk, sizeof(junk)), osc.MonotonicNs()).ok());
  EXPECT_EQ(client.counters().malformed, 1u);

  // An unsynchronised server (stratum 16) never disciplines the clock.
  SimulatedServer server{osc, client, clock};
  server.stratum = 16;
  server.Run(20);
  EXPECT_EQ(client.state(), SntpState::kWaiting);
  EXPECT_EQ(client.counters().used, 0u);
  EXPECT_EQ(clock.Error().state, SyncState::kUnsynchronised);

  // RATE doubles the interval; DENY stops the requests.
  server.stratum = 2;
  server.kiss = ntp::kKissRate;
  server.Run(3);
  EXPECT_EQ(client.poll_ms(), 4000u);
  EXPECT_EQ(client.counters().kisses, 1u);
  server.kiss = ntp::kKissDeny;
  server.Run(5);
  EXPECT_TRUE(client.stopped());
  const std::uint32_t requests = client.counters().requests;
  server.Run(20);
  EXPECT_EQ(client.counters().requests, requests);
}

TEST(PiServo, GainsForALongIntervalDoNotOvershoot) {
  // A constant 100 us offset, sampled every 16 s: each correction at most 0.7 of it.
  PiServo servo = PiServo::ForInterval(16'000);
  servo.Sample(0, 0, 16'000);
  servo.Sample(0, 16'000'000'000, 16'000);
  const PiServo::Output out = servo.Sample(100'000, 32'000'000'000, 16'000);
  // kp 0.7 / 16 s and ki 0.3 / 16 s per second: 100 us * 1.0 / 16 s = 6.25 ppm.
  EXPECT_NEAR(static_cast<double>(out.frequency_ppt), -6'250'000.0, 10'000);
}

}  // namespace
}  // namespace pmu::firmware
