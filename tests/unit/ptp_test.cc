// The PTP codec (proto/ptp), the servo, the device clock's discipline and the slave's
// state machine against a simulated master over a simulated link.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "pmu/firmware/device_clock.h"
#include "pmu/firmware/time/pi_servo.h"
#include "pmu/firmware/time/ptp_slave.h"
#include "pmu/proto/ptp.h"
#include "test_oscillator.h"

namespace pmu::firmware {
namespace {

namespace ptp = proto::ptp;

std::vector<std::byte> Bytes(std::initializer_list<int> v) {
  std::vector<std::byte> out;
  for (int b : v) out.push_back(static_cast<std::byte>(b));
  return out;
}

// A header of `type` and `length` from 0a6420.fffe.92c210-1 with sequence 7.
std::vector<std::byte> Header(int type, int length, int flags = 0, int domain = 0) {
  return Bytes({type, 2, length >> 8, length & 0xFF, domain, 0, flags >> 8, flags & 0xFF, 0, 0, 0, 0, 0, 5, 0, 0,
                0, 0, 0, 0, 0x0a, 0x64, 0x20, 0xff, 0xfe, 0x92, 0xc2, 0x10, 0, 1, 0, 7, 0, 0xFE});
}

void Append(std::vector<std::byte>& v, std::initializer_list<int> bytes) {
  for (int b : bytes) v.push_back(static_cast<std::byte>(b));
}

TEST(PtpCodec, ParsesAFollowUp) {
  auto m = Header(0x8, 44);
  Append(m, {0, 0, 0x6b, 0x16, 0x3a, 0x1b, 0x11, 0x6f, 0x03, 0x40});  // 1796553243.292488000
  const auto r = ptp::Parse(m);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->header.type, ptp::MessageType::kFollowUp);
  EXPECT_EQ(r->header.sequence, 7);
  EXPECT_EQ(r->header.log_interval, -2);
  EXPECT_EQ(r->header.correction, 5 << 16);
  EXPECT_EQ(r->header.source.port, 1);
  EXPECT_EQ(r->header.source.clock[0], 0x0a);
  EXPECT_EQ(r->timestamp.seconds, 0x6b163a1bu);
  EXPECT_EQ(r->timestamp.nanoseconds, 292'488'000u);
}

TEST(PtpCodec, ParsesAnAnnounce) {
  auto m = Header(0xB, 64, ptp::kFlagPtpTimescale);
  Append(m, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 37, 0, 1, 248, 0xFE, 0xFF, 0xFF, 128, 0x0a, 0x64, 0x20, 0xff, 0xfe,
             0x92, 0xc2, 0x10, 0, 0, 0xA0});
  const auto r = ptp::Parse(m);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->announce.utc_offset, 37);
  EXPECT_EQ(r->announce.priority1, 1);
  EXPECT_EQ(r->announce.quality.clock_class, 248);
  EXPECT_EQ(r->announce.quality.variance, 0xFFFF);
  EXPECT_EQ(r->announce.priority2, 128);
  EXPECT_EQ(r->announce.time_source, 0xA0);
  EXPECT_EQ(r->header.flags, ptp::kFlagPtpTimescale);
}

TEST(PtpCodec, RefusesWhatASlaveCannotRead) {
  auto sync = Header(0x0, 44);
  Append(sync, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  EXPECT_TRUE(ptp::Parse(sync).ok());
  EXPECT_EQ(ptp::Parse(std::span(sync).first(33)).status().code(), StatusCode::kInvalidArgument);
  auto v1 = sync;
  v1[1] = std::byte{1};
  EXPECT_STREQ(ptp::Parse(v1).status().message(), "PTP version is not 2");
  auto pdelay = sync;
  pdelay[0] = std::byte{0x2};
  EXPECT_STREQ(ptp::Parse(pdelay).status().message(), "PTP message type not read by a slave");
  auto long_length = sync;
  long_length[3] = std::byte{45};
  EXPECT_STREQ(ptp::Parse(long_length).status().message(), "PTP messageLength beyond the datagram");
  auto short_body = Header(0x9, 44);  // a Delay_Resp needs 54
  Append(short_body, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  EXPECT_STREQ(ptp::Parse(short_body).status().message(), "PTP message shorter than its type's body");
  auto bad_ns = sync;
  bad_ns[40] = std::byte{0x3B};
  bad_ns[41] = std::byte{0x9A};
  bad_ns[42] = std::byte{0xCA};
  bad_ns[43] = std::byte{0x00};  // exactly 1e9
  EXPECT_STREQ(ptp::Parse(bad_ns).status().message(), "PTP time stamp: nanoseconds of 1e9 or more");
}

TEST(PtpCodec, DelayReqRoundTrips) {
  std::byte out[ptp::kDelayReqSize];
  const ptp::PortIdentity self{{2, 0x50, 0x4D, 0xFF, 0xFE, 0x55, 0, 1}, 1};
  ASSERT_EQ(ptp::WriteDelayReq(std::span(out).first(43), self, 0, 1, {}), 0u);
  ASSERT_EQ(ptp::WriteDelayReq(out, self, 3, 513, ptp::Timestamp{1'796'655'643, 5}), ptp::kDelayReqSize);
  const auto r = ptp::Parse(out);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->header.type, ptp::MessageType::kDelayReq);
  EXPECT_EQ(r->header.domain, 3);
  EXPECT_EQ(r->header.sequence, 513);
  EXPECT_EQ(r->header.source, self);
  EXPECT_EQ(r->timestamp.Ns(), 1'796'655'643'000'000'005LL);
  EXPECT_EQ(static_cast<int>(out[32]), 1);     // controlField
  EXPECT_EQ(static_cast<int>(out[33]), 0x7F);  // logMessageInterval
}

TEST(PtpCodec, BestMasterComparesTheDatasetsInOrder) {
  ptp::Announce a, b;
  const ptp::PortIdentity sa{{1}, 1}, sb{{2}, 1};
  EXPECT_LT(ptp::CompareDatasets(a, sa, b, sb), 0);  // equal datasets: the sender's identity decides
  b.priority1 = 1;
  EXPECT_GT(ptp::CompareDatasets(a, sa, b, sb), 0);
  a.priority1 = 1;
  a.quality.clock_class = 6;  // a locked primary reference beats 248
  EXPECT_LT(ptp::CompareDatasets(a, sa, b, sb), 0);
  b.quality.clock_class = 6;
  b.priority2 = 10;
  EXPECT_GT(ptp::CompareDatasets(a, sa, b, sb), 0);
  EXPECT_EQ(ptp::CompareDatasets(a, sa, a, sa), 0);
}

TEST(DeviceClock, FrequencyAndStepsDisciplineTheTimeNotTheResets) {
  TestOscillator osc(0, 0);
  DeviceClock clock(osc);
  const std::int64_t start = clock.UtcNs();
  clock.SetFrequencyPpt(-50'000'000);  // -50 ppm
  osc.true_ns += 10'000'000'000;
  EXPECT_EQ(clock.UtcNs() - start, 10'000'000'000 - 500'000);
  clock.StepNs(1'000);
  clock.AdvanceNs(5'000'000'000);
  EXPECT_EQ(clock.UtcNs() - start, 15'000'000'000 - 499'000);
  EXPECT_EQ(clock.DisciplinedAt(clock.MonotonicNs()) - start, 10'000'000'000 - 499'000);
  EXPECT_EQ(clock.offset_ns(), 5'000'000'000);
}

TEST(DeviceClock, HoldoverGrowsTheBoundByTheStatedDrift) {
  TestOscillator osc(0, 0);
  DeviceClock clock(osc);
  clock.set_holdover_drift_ppb(2000);
  EXPECT_EQ(clock.Error().state, SyncState::kUnsynchronised);
  osc.true_ns += 3'000'000'000;
  EXPECT_EQ(clock.Error().since_ms, 3000u);
  clock.Locked(500);
  EXPECT_EQ(clock.Error().state, SyncState::kLocked);
  EXPECT_EQ(clock.Error().error_ns, 500u);
  clock.LostReference();
  osc.true_ns += 10'000'000'000;
  const TimeError e = clock.Error();
  EXPECT_EQ(e.state, SyncState::kHoldover);
  EXPECT_EQ(e.since_ms, 10'000u);
  EXPECT_EQ(e.error_ns, 500u + 20'000u);
}

TEST(PiServo, EstimatesTheFrequencyStepsOnceThenSlews) {
  PiServo servo;
  auto out = servo.Sample(300'000'000, 0, 1000);  // 300 ms ahead
  EXPECT_EQ(out.state, PiServo::State::kUnlocked);
  out = servo.Sample(300'050'000, 1'000'000'000, 1000);  // 50 us more a second later: 50 ppm fast
  EXPECT_EQ(out.state, PiServo::State::kJump);
  EXPECT_EQ(out.step_ns, -300'050'000);
  EXPECT_EQ(out.frequency_ppt, -50'000'000);
  out = servo.Sample(200, 2'000'000'000, 1000);  // small: slewed
  EXPECT_EQ(out.state, PiServo::State::kLocked);
  EXPECT_EQ(out.step_ns, 0);
  EXPECT_EQ(out.frequency_ppt, -50'000'000 - 200 * 700 - 200 * 300);
  out = servo.Sample(5'000'000, 3'000'000'000, 1000);  // beyond the threshold: starts over
  EXPECT_EQ(out.state, PiServo::State::kUnlocked);
}

// A master with a perfect clock (true time) and a symmetric link of `delay_ns` each
// way, exchanging two-step Sync/Follow_Up and Delay_Req/Delay_Resp with the slave.
struct SimulatedLink {
  static constexpr std::int64_t kDelayNs = 40'000;
  TestOscillator& osc;
  PtpSlave& slave;
  DeviceClock& clock;
  ptp::PortIdentity master{{0x0a, 0x64, 0x20, 0xff, 0xfe, 0x92, 0xc2, 0x10}, 1};
  std::uint16_t sequence = 0;
  std::uint64_t late_ns = 0;  // how late the next Sync's receive stamp is

  ptp::Message From(ptp::MessageType type, std::int8_t log_interval = -2) {
    ptp::Message m;
    m.header.type = type;
    m.header.source = master;
    m.header.sequence = sequence;
    m.header.log_interval = log_interval;
    return m;
  }
  void Announce() {
    ptp::Message m = From(ptp::MessageType::kAnnounce, 0);
    m.announce.priority1 = 1;
    slave.Receive(m, osc.MonotonicNs(), osc.MonotonicNs());
  }
  // One Sync interval (250 ms) starting at the current true time.
  void SyncRound() {
    ++sequence;
    const std::int64_t t1 = TestOscillator::kEpoch + osc.true_ns;
    osc.true_ns += kDelayNs;
    ptp::Message sync = From(ptp::MessageType::kSync);
    sync.header.flags = ptp::kFlagTwoStep;
    const std::uint64_t rx = osc.MonotonicNs() + late_ns;
    slave.Receive(sync, rx, rx);
    osc.true_ns += 10'000;
    ptp::Message follow = From(ptp::MessageType::kFollowUp);
    follow.timestamp = ptp::Timestamp::FromNs(t1);
    const bool ask = slave.Receive(follow, osc.MonotonicNs(), osc.MonotonicNs());
    if (ask) {
      std::byte req[ptp::kDelayReqSize];
      ASSERT_EQ(slave.WriteDelayReq(req), ptp::kDelayReqSize);
      const auto parsed = ptp::Parse(req);
      ASSERT_TRUE(parsed.ok());
      slave.DelayReqSent(osc.MonotonicNs());
      osc.true_ns += kDelayNs;
      ptp::Message resp = From(ptp::MessageType::kDelayResp);
      resp.header.sequence = parsed->header.sequence;
      resp.timestamp = ptp::Timestamp::FromNs(TestOscillator::kEpoch + osc.true_ns);
      resp.requesting = parsed->header.source;
      slave.Receive(resp, osc.MonotonicNs(), osc.MonotonicNs());
    }
    osc.true_ns += 250'000'000 - 2 * kDelayNs - 10'000;
    slave.Tick(osc.MonotonicNs());
  }
  std::int64_t TrueErrorNs() const { return clock.UtcNs() - (TestOscillator::kEpoch + osc.true_ns); }
  void Run(int seconds, bool master_on) {
    for (int i = 0; i < 4 * seconds; ++i) {
      if (!master_on) {
        osc.true_ns += 250'000'000;
        slave.Tick(osc.MonotonicNs());
        continue;
      }
      if (i % 4 == 0) Announce();
      SyncRound();
    }
  }
};

TEST(PtpSlave, LocksHoldsOverAndRelocks) {
  TestOscillator osc(-734'000'000, 87'000);  // 734 ms behind, 87 ppm fast
  DeviceClock clock(osc);
  PtpSlave slave(clock);
  slave.Configure(0, {2, 0x50, 0x4D, 0xFF, 0xFE, 0x55, 0, 1}, 3000);
  SimulatedLink link{osc, slave, clock};
  EXPECT_EQ(slave.state(), PtpState::kListening);
  link.Run(1, true);
  EXPECT_EQ(slave.state(), PtpState::kListening);  // one Announce: not qualified yet
  link.Run(1, true);
  EXPECT_NE(slave.state(), PtpState::kListening);  // qualified after the second
  link.Run(30, true);
  ASSERT_EQ(slave.state(), PtpState::kSlave);
  EXPECT_EQ(slave.counters().steps, 1u);
  EXPECT_NEAR(static_cast<double>(slave.mean_path_delay_ns()), SimulatedLink::kDelayNs, 1000);
  const TimeError locked = clock.Error();
  EXPECT_EQ(locked.state, SyncState::kLocked);
  EXPECT_LT(std::llabs(link.TrueErrorNs()), 1000);
  EXPECT_GE(static_cast<std::int64_t>(locked.error_ns), std::llabs(link.TrueErrorNs()));
  EXPECT_GE(locked.error_ns, 3000u + SimulatedLink::kDelayNs);  // the stamps' lateness and the path's asymmetry
  EXPECT_NEAR(static_cast<double>(clock.frequency_ppt()), -87'000'000.0 * 1e9 / (1e9 + 87'000), 50'000);

  // A single Sync stamped 5 ms late (a busy host) is skipped, not stepped.
  link.late_ns = 5'000'000;
  link.SyncRound();
  link.late_ns = 0;
  EXPECT_EQ(slave.counters().outliers, 1u);
  EXPECT_EQ(slave.counters().steps, 1u);
  EXPECT_EQ(slave.state(), PtpState::kSlave);
  link.Run(1, true);

  // The master stops (its last Announce was 0.75 s ago): three announce intervals
  // (3 s) after that Announce the slave lets it go.
  link.Run(1, false);
  EXPECT_EQ(slave.state(), PtpState::kSlave);
  link.Run(2, false);
  EXPECT_EQ(slave.state(), PtpState::kListening);
  EXPECT_EQ(clock.Error().state, SyncState::kHoldover);
  link.Run(10, false);
  EXPECT_GT(clock.Error().error_ns, locked.error_ns + 10'000);  // grew by the stated 1 ppm
  EXPECT_LT(std::llabs(link.TrueErrorNs()), 5000);               // the learnt frequency holds

  // Back: relocked without a second step.
  link.Run(10, true);
  EXPECT_EQ(slave.state(), PtpState::kSlave);
  EXPECT_EQ(clock.Error().state, SyncState::kLocked);
  EXPECT_EQ(slave.counters().steps, 1u);
  EXPECT_EQ(slave.counters().master_losses, 1u);
  EXPECT_LT(std::llabs(link.TrueErrorNs()), 1000);
}

TEST(PtpSlave, IgnoresOtherDomainsAndUnqualifiedMasters) {
  TestOscillator osc(0, 0);
  DeviceClock clock(osc);
  PtpSlave slave(clock);
  slave.Configure(4, {2, 0x50, 0x4D, 0xFF, 0xFE, 0x55, 0, 1}, 3000);
  SimulatedLink link{osc, slave, clock};
  link.Run(3, true);  // domain 0
  EXPECT_EQ(slave.state(), PtpState::kListening);
  EXPECT_GT(slave.counters().other_domain, 0u);
  EXPECT_EQ(clock.Error().state, SyncState::kUnsynchronised);
}

}  // namespace
}  // namespace pmu::firmware
