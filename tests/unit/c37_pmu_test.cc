// The device's C37.118.2 description (C37Pmu) read back with the proto decoders, the
// c37.*/waveform.* configuration keys, and the PDC's aligner.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "c37/aligner.h"
#include "c37/format.h"
#include "pmu/firmware/config.h"
#include "pmu/firmware/measurement/synthetic_front_end.h"
#include "pmu/firmware/measurement/c37_pmu.h"

namespace pmu::firmware {
namespace {

namespace p = proto::c37118;

// A clock locked within `error_ns`, not reset.
ClockQuality LockedWithin(std::uint64_t error_ns) {
  ClockQuality q;
  q.time = {SyncState::kLocked, error_ns, 0};
  return q;
}

struct Fixture {
  SyntheticFrontEnd fe;
  PhasorEstimator est;
  C37Pmu pmu;
  Status Build(const C37Config& c) {
    PMU_TRY(fe.Configure({}, c.nominal_hz, 0));
    PMU_TRY(est.Configure({c.nominal_hz, c.rate, c.measurement_class}, fe));
    return pmu.Configure(c, est, 132790.0f, 500.0f, 7, "test-board", "9.9");
  }
};

Estimate SampleEstimate(std::int64_t sample) {
  Estimate e;
  e.sample = sample;
  for (int ph = 0; ph < 3; ++ph) {
    const float a = -2.0943951f * static_cast<float>(ph);
    e.phases[static_cast<std::size_t>(ph)] = {132790.0f * std::cos(a), 132790.0f * std::sin(a)};
    e.phases[static_cast<std::size_t>(ph) + 3] = {500.0f * std::cos(a - 0.5f), 500.0f * std::sin(a - 0.5f)};
  }
  e.v1 = e.phases[0];
  e.i1 = e.phases[3];
  e.frequency = 60.012f;
  e.rocof = -0.25f;
  return e;
}

TEST(C37Pmu, ConfigurationsDecodeAndDescribeTheDevice) {
  Fixture f;
  C37Config c;
  c.station.clear();
  c.station.Append("Bus 7");
  c.idcode = 4242;
  ASSERT_TRUE(f.Build(c).ok());
  std::byte buf[C37Pmu::kMaxConfigFrame];
  for (auto type : {p::FrameType::kConfig1, p::FrameType::kConfig2, p::FrameType::kConfig3}) {
    auto n = f.pmu.EncodeConfig(type, 1'795'000'000'123'456'789LL, {}, buf);
    ASSERT_TRUE(n.ok()) << n.status().message();
    auto decoded = std::make_unique<p::ConfigFrame>();
    ASSERT_TRUE(p::DecodeConfig(ByteSpan(buf, *n), *decoded).ok());
    EXPECT_EQ(decoded->type, type);
    EXPECT_EQ(decoded->version, p::Version::k2011);
    EXPECT_EQ(decoded->idcode, 4242);
    EXPECT_EQ(decoded->data_rate, 30);
    EXPECT_EQ(decoded->time.soc, 1'795'000'000u);
    EXPECT_EQ(decoded->time.fraction(), 123'456u);
    const p::PmuConfig& pc = decoded->pmus[0];
    EXPECT_EQ(p::TrimName(pc.station_name), "Bus 7");
    EXPECT_EQ(pc.config_count, 7);
    EXPECT_EQ(pc.phasor_count, 8);
    EXPECT_EQ(p::TrimName(pc.phasor_names[3]), "V1");
    EXPECT_EQ(pc.analog_count, 2);
    EXPECT_EQ(pc.digital_count, 1);
    if (type == p::FrameType::kConfig3) {
      EXPECT_EQ(pc.service_class, 'P');
      EXPECT_EQ(pc.phasor_scales[3].type, 1);       // positive sequence voltage
      EXPECT_EQ(pc.phasor_scales[4].type, 8 | 4);   // current, phase A
      EXPECT_GT(pc.window_us, 30000);
    }
  }
  EXPECT_NE(f.pmu.header_text().find("Station Bus 7, IDCODE 4242"), std::string_view::npos);
}

TEST(C37Pmu, HeaderNamesTheWindowAndLatencyWhole) {
  // Every phasor and analog configured, so the header text is as long as it gets.
  struct Case {
    std::uint8_t nominal, rate;
    MeasurementClass cls;
    const char* window;
    const char* latency;
  };
  for (const Case& k : {Case{60, 30, MeasurementClass::kP, "triangular window over 2 cycles (79 samples", "reported 24.6 ms"},
                        Case{60, 120, MeasurementClass::kP, "trapezoidal window", "reported 12.1 ms"},
                        Case{50, 100, MeasurementClass::kP, "trapezoidal window", "reported 14.6 ms"},
                        Case{60, 10, MeasurementClass::kM, "triangular window over 24 cycles", "reported 212.9 ms"}}) {
    Fixture f;
    C37Config c;
    c.nominal_hz = k.nominal;
    c.rate = k.rate;
    c.measurement_class = k.cls;
    c.analog_count = 3;
    // The longest time source sentence the device gives (firmware/src/device.cc).
    f.pmu.set_time_source("Time: PTP slave (IEEE 1588-2008 default profile, UDP/IPv4); lock and quality in STAT.");
    c.station.clear();
    c.station.Append("SUBSTATION 16 CH");  // the longest a station name can be
    ASSERT_TRUE(f.Build(c).ok()) << k.rate;
    const std::string_view h = f.pmu.header_text();
    EXPECT_NE(h.find(k.window), std::string_view::npos) << h;
    EXPECT_NE(h.find(k.latency), std::string_view::npos) << h;
    EXPECT_NE(h.find(k.cls == MeasurementClass::kP && k.rate > k.nominal ? "least-squares fit" : "central"),
              std::string_view::npos);
    EXPECT_NE(h.find("Phasors in V and A rms"), std::string_view::npos) << h;
    EXPECT_NE(h.find("lock and quality in STAT."), std::string_view::npos) << h;
    // Room for a longer version string ("0.1.0" here) and board name ("test-board").
    EXPECT_LE(h.size() + 32, C37HeaderText::capacity()) << "the header text was cut: " << h;
  }
}

TEST(C37Pmu, DataFramesInEveryFormatRoundTrip) {
  for (int variant = 0; variant < 4; ++variant) {
    Fixture f;
    C37Config c;
    c.polar = variant & 1;
    c.phasor_float = c.analog_float = c.freq_float = (variant & 2) != 0;
    c.version = variant == 0 ? 1 : 2;
    c.digital_value = 0x00A5;
    ASSERT_TRUE(f.Build(c).ok());
    std::byte cfg[C37Pmu::kMaxConfigFrame], data[C37Pmu::kMaxDataFrame];
    auto cn = f.pmu.EncodeConfig(p::FrameType::kConfig2, 0, {}, cfg);
    ASSERT_TRUE(cn.ok());
    auto config = std::make_unique<p::ConfigFrame>();
    ASSERT_TRUE(p::DecodeConfig(ByteSpan(cfg, *cn), *config).ok());
    const std::int64_t sample = 1'795'000'000LL * kSampleRate + 80;  // 1/30 s into the second
    auto dn = f.pmu.EncodeData(SampleEstimate(sample), LockedWithin(50), data);
    ASSERT_TRUE(dn.ok()) << dn.status().message();
    auto frame = std::make_unique<p::DataFrame>();
    ASSERT_TRUE(p::DecodeData(ByteSpan(data, *dn), *config, *frame).ok());
    EXPECT_EQ(frame->time.soc, 1'795'000'000u);
    EXPECT_EQ(frame->time.fraction(), 33'333u);
    const double tol = c.phasor_float ? 1e-3 : 2e-4;
    const auto va = p::ScalePhasor(*config, 0, 0, frame->pmus[0].phasors[0]);
    EXPECT_NEAR(va->magnitude / 132790.0, 1.0, tol) << variant;
    const auto vb = p::ScalePhasor(*config, 0, 1, frame->pmus[0].phasors[1]);
    EXPECT_NEAR(vb->angle, -2.0943951, 2e-4) << variant;
    EXPECT_NEAR(*p::FrequencyHz(*config, 0, frame->pmus[0]), 60.012, 1.1e-3);
    EXPECT_NEAR(*p::RocofHzPerSecond(*config, 0, frame->pmus[0]), -0.25, 0.011);
    EXPECT_EQ(frame->pmus[0].digitals[0], 0x00A5);
    // STAT bits 8-6 (2011 only): time quality.
    EXPECT_EQ(frame->pmus[0].stat, c.version == 2 ? 0x0040 : 0x0000);
  }
}

TEST(C37Pmu, ClockStepShowsInStatAndTimeQuality) {
  Fixture f;
  ASSERT_TRUE(f.Build({}).ok());
  EXPECT_EQ(f.pmu.TimeQualityOf(LockedWithin(0)).quality, 1);
  ClockQuality stepped = LockedWithin(0);
  stepped.stepped = true;
  stepped.offset_ns = 37'000'000'000LL;
  stepped.since_step_ms = 150'000;
  EXPECT_EQ(f.pmu.TimeQualityOf(stepped).quality, 0xF);  // beyond 10 s: fault
  stepped.offset_ns = 5'000'000'000LL;
  EXPECT_EQ(f.pmu.TimeQualityOf(stepped).quality, 0xB);  // within 10 s
  stepped.offset_ns = 800'000'000LL;
  EXPECT_EQ(f.pmu.TimeQualityOf(stepped).quality, 0xA);  // within 1 s
  const std::uint16_t stat = f.pmu.Stat(stepped);
  EXPECT_TRUE(stat & p::kStatPmuSyncLost);
  EXPECT_EQ((stat & p::kStatUnlockedMask) >> 4, 2);  // 100 to 1000 s since the step
  EXPECT_EQ((stat & p::kStatTimeQualityMask) >> 6, 7);
}

TEST(C37Pmu, TimeQualityFollowsTheSourcesEstimate) {
  Fixture f;
  ASSERT_TRUE(f.Build({}).ok());
  // Locked: no sync-lost bit, the estimate's bounds.
  const ClockQuality locked = LockedWithin(40'000);  // 40 us
  EXPECT_EQ(f.pmu.Stat(locked) & p::kStatPmuSyncLost, 0);
  EXPECT_EQ((f.pmu.Stat(locked) & p::kStatTimeQualityMask) >> 6, 4);  // < 100 us
  EXPECT_EQ(f.pmu.TimeQualityOf(locked).quality, 6);                  // within 100 us
  EXPECT_EQ((f.pmu.Stat(LockedWithin(90)) & p::kStatTimeQualityMask) >> 6, 1);
  EXPECT_EQ((f.pmu.Stat(LockedWithin(20'000'000)) & p::kStatTimeQualityMask) >> 6, 7);
  // Unsynchronised since boot: sync lost, unknown quality, minutes since boot counted.
  ClockQuality boot;
  boot.time = {SyncState::kUnsynchronised, 0, 120'000};
  EXPECT_TRUE(f.pmu.Stat(boot) & p::kStatPmuSyncLost);
  EXPECT_EQ((f.pmu.Stat(boot) & p::kStatUnlockedMask) >> 4, 2);
  EXPECT_EQ((f.pmu.Stat(boot) & p::kStatTimeQualityMask) >> 6, 7);
  EXPECT_EQ(f.pmu.TimeQualityOf(boot).quality, 0xF);
  // Holdover: sync lost, the grown bound, time since the loss.
  ClockQuality holdover;
  holdover.time = {SyncState::kHoldover, 600'000, 15'000};  // 600 us after 15 s
  EXPECT_TRUE(f.pmu.Stat(holdover) & p::kStatPmuSyncLost);
  EXPECT_EQ((f.pmu.Stat(holdover) & p::kStatUnlockedMask) >> 4, 1);
  EXPECT_EQ((f.pmu.Stat(holdover) & p::kStatTimeQualityMask) >> 6, 5);  // < 1 ms
  EXPECT_EQ(f.pmu.TimeQualityOf(holdover).quality, 7);                  // within 1 ms
}

TEST(C37Pmu, ConfigChangedMarkKeepsTheFrameValid) {
  Fixture f;
  ASSERT_TRUE(f.Build({}).ok());
  std::byte data[C37Pmu::kMaxDataFrame];
  auto n = f.pmu.EncodeData(SampleEstimate(0), {}, data);
  ASSERT_TRUE(n.ok());
  ASSERT_TRUE(p::SetDataStatBits(MutableByteSpan(data, *n), p::kStatConfigChange).ok());
  auto frame = p::ParseFrame(ByteSpan(data, *n));
  ASSERT_TRUE(frame.ok());
  EXPECT_TRUE(LoadBe16(data + p::kCommonHeaderSize) & p::kStatConfigChange);
  const std::uint32_t h = f.pmu.DescriptionHash();
  f.pmu.BumpConfigCount();
  EXPECT_EQ(f.pmu.DescriptionHash(), h) << "CFGCNT is not part of the description";
  C37Config other;
  other.rate = 60;
  Fixture g;
  ASSERT_TRUE(g.Build(other).ok());
  EXPECT_NE(g.pmu.DescriptionHash(), h);
}

TEST(MeasurementConfigKeys, ValuesRoundTripAndBadOnesNameTheirKey) {
  DeviceConfig c;
  EXPECT_TRUE(SetConfigValue(c, "c37.phasors", "V1,I1").ok());
  EXPECT_EQ(c.c37.phasor_count, 2);
  EXPECT_TRUE(SetConfigValue(c, "waveform.harmonics", "3:0.05,5:0.125").ok());
  EXPECT_EQ(c.waveform.harmonic_count, 2);
  EXPECT_TRUE(SetConfigValue(c, "waveform.freq_offset_hz", "-1.25").ok());
  EXPECT_FLOAT_EQ(c.waveform.freq_offset_hz, -1.25f);
  EXPECT_TRUE(SetConfigValue(c, "c37.digital_value", "0x00ff").ok());
  struct Bad {
    const char* key;
    const char* value;
  };
  for (Bad b : {Bad{"c37.rate", "7"}, Bad{"c37.phasors", "VA,VA"}, Bad{"c37.phasors", "VX"}, Bad{"c37.class", "X"},
                Bad{"c37.nominal_hz", "55"}, Bad{"waveform.harmonics", "1:0.1"}, Bad{"waveform.harmonics", "3:0.1234"},
                Bad{"waveform.noise", "0.5"}, Bad{"waveform.freq_offset_hz", "1e3"}, Bad{"c37.station", ""},
                Bad{"c37.digital_value", "ff"}, Bad{"c37.max_clients", "5"}}) {
    DeviceConfig d;
    const ConfigError e = SetConfigValue(d, b.key, b.value);
    EXPECT_FALSE(e.ok()) << b.key << " = " << b.value;
    if (!e.ok()) EXPECT_STREQ(e.key, b.key);
  }
  DeviceConfig d;
  ASSERT_TRUE(SetConfigValue(d, "c37.nominal_hz", "50").ok());
  ASSERT_TRUE(SetConfigValue(d, "c37.rate", "60").ok());  // a 60 Hz rate: refused by the rules
  const ConfigError e = ValidateConfig(d);
  EXPECT_STREQ(e.key, "c37.rate");
  DeviceConfig clash;
  ASSERT_TRUE(SetConfigValue(clash, "c37.udp_port", "5004").ok());
  EXPECT_STREQ(ValidateConfig(clash).key, "c37.udp_port");
  // Every value shows as text that parses back to the same text.
  std::string shown;
  ForEachConfigValue(c, [](void* ctx, const char* k, std::string_view v) {
    static_cast<std::string*>(ctx)->append(k).append(" = ").append(v).append("\n");
  }, &shown);
  DeviceConfig back;
  ASSERT_TRUE(ParseConfigText(shown, back).ok());
  EXPECT_TRUE(back.c37 == c.c37);
  EXPECT_TRUE(back.waveform == c.waveform);
}

}  // namespace
}  // namespace pmu::firmware

namespace pmu::pdc::c37 {
namespace {

std::vector<std::byte> Bytes(int tag) { return std::vector<std::byte>(20, std::byte(tag)); }

TEST(Aligner, CompleteSetsLeaveAtOnceInOrder) {
  Aligner a(3, 8, 16, 100);
  std::vector<std::int64_t> keys;
  auto emit = [&](const AlignedSet& s) {
    keys.push_back(s.key);
    EXPECT_TRUE(s.complete);
  };
  auto f = Bytes(1);
  for (std::int64_t k = 10; k < 14; ++k) {
    for (std::size_t pmu = 0; pmu < 3; ++pmu) a.Add(pmu, k, f, 0, emit);
  }
  EXPECT_EQ(keys, (std::vector<std::int64_t>{10, 11, 12, 13}));
  EXPECT_EQ(a.counters().complete, 4u);
  EXPECT_EQ(a.counters().missing, 0u);
}

TEST(Aligner, WaitExpiryLateDuplicateAndForcedSets) {
  Aligner a(2, 4, 8, 100);  // frames of 20 bytes grow the storage
  std::vector<AlignedSet> sets;
  std::vector<std::vector<std::byte>> first_frames;
  auto emit = [&](const AlignedSet& s) {
    sets.push_back(s);
    first_frames.emplace_back(s.frames[0].begin(), s.frames[0].end());
  };
  auto f = Bytes(7);
  EXPECT_EQ(a.Add(0, 100, f, 0, emit), Aligner::Outcome::kAccepted);
  EXPECT_EQ(a.Add(0, 100, f, 10, emit), Aligner::Outcome::kDuplicate);
  EXPECT_EQ(a.Add(0, 101, f, 20, emit), Aligner::Outcome::kAccepted);
  a.Flush(99, emit);
  EXPECT_TRUE(sets.empty()) << "the wait has not expired";
  EXPECT_EQ(a.NextDeadline(), 100);
  a.Flush(100, emit);
  ASSERT_EQ(sets.size(), 1u);
  EXPECT_EQ(sets[0].key, 100);
  EXPECT_FALSE(sets[0].complete);
  EXPECT_EQ(first_frames[0], f) << "the frame comes out as it went in";
  EXPECT_EQ(a.Add(1, 100, f, 120, emit), Aligner::Outcome::kLate);
  EXPECT_EQ(a.Add(1, 101, f, 121, emit), Aligner::Outcome::kAccepted);  // completes 101
  ASSERT_EQ(sets.size(), 2u);
  EXPECT_TRUE(sets[1].complete);
  // A key a whole ring ahead forces the older open sets out.
  a.Add(0, 102, f, 130, emit);
  a.Add(0, 110, f, 131, emit);
  EXPECT_EQ(sets.back().key, 102);
  EXPECT_EQ(a.counters().forced, 1u);
  EXPECT_EQ(a.counters().late, 1u);
  EXPECT_EQ(a.counters().duplicate, 1u);
  EXPECT_EQ(a.counters().missing, 2u);  // PMU 1 from 100 and 102
}

TEST(Format, TimesAndJson) {
  EXPECT_EQ(FormatTime(1'795'000'000, 33'333, 1'000'000), "2026-11-18T11:06:40.033333Z");
  EXPECT_EQ(JsonString("a\"b\\c\n"), "\"a\\\"b\\\\c\\u000a\"");
  EXPECT_THROW(ParseOutputFormat("xml"), std::invalid_argument);
}

}  // namespace
}  // namespace pmu::pdc::c37
