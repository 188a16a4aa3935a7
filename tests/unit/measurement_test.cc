// Accuracy of the synchrophasor estimator against the synthetic front end's analytic
// truth, with the IEEE C37.118.1 limits as the floor (docs/BENCHMARKS.md has the
// table these tests print, and cites the limits).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "pmu/firmware/measurement/measurement.h"
#include "pmu/firmware/measurement/phasor_estimator.h"
#include "pmu/firmware/measurement/synthetic_front_end.h"
#include "pmu/firmware/measurement/trig_table.h"

namespace pmu::firmware {
namespace {

constexpr double kPi = 3.14159265358979323846;
// A UTC second in 2026, as the start of every waveform: sample numbers are large, as
// on a device.
constexpr std::int64_t kStartSecond = 1'795'000'000;
constexpr std::int64_t kStart = kStartSecond * kSampleRate;

struct Errors {
  double tve = 0, fe = 0, rfe = 0;
  int reports = 0;
};

struct Limits {
  double tve, fe, rfe;
};

// Runs the estimator at every reporting instant whose time after the start lies in
// [from_s, to_s); returns the largest errors over every phasor channel (the three
// phases, voltages and currents, and both positive sequences).
Errors Measure(const WaveformConfig& w, std::uint32_t nominal, std::uint32_t rate, MeasurementClass cls,
               double from_s, double to_s, std::vector<std::pair<double, double>> skip = {}) {
  SyntheticFrontEnd fe;
  EXPECT_TRUE(fe.Configure(w, nominal, kStart).ok());
  PhasorEstimator est;
  EXPECT_TRUE(est.Configure({nominal, rate, cls}, fe).ok());
  std::vector<hal::AnalogSample> window(est.window_size());
  const std::int64_t step = kSampleRate / rate;
  Errors e;
  for (std::int64_t k = kStart + static_cast<std::int64_t>(from_s * kSampleRate); k < kStart + static_cast<std::int64_t>(to_s * kSampleRate);
       k += step) {
    const double t = static_cast<double>(k - kStart) / kSampleRate;
    bool skipped = false;
    for (auto [a, b] : skip) skipped |= t >= a && t < b;
    if (skipped) continue;
    EXPECT_TRUE(fe.Read(k - est.samples_before(), window).ok());
    Estimate out;
    est.Run(k, window, out);
    ++e.reports;
    for (std::size_t ch = 0; ch < 8; ++ch) {
      const PhasorValue p = ch < 6 ? out.phases[ch] : ch == 6 ? out.v1 : out.i1;
      const TrueValue tv = fe.Truth(ch, t);
      const double tr = tv.magnitude * std::cos(tv.angle), ti = tv.magnitude * std::sin(tv.angle);
      const double tve = std::hypot(p.re - tr, p.im - ti) / tv.magnitude;
      e.tve = std::max(e.tve, tve);
    }
    const TrueValue tv = fe.Truth(6, t);
    e.fe = std::max(e.fe, std::fabs(out.frequency - tv.frequency));
    e.rfe = std::max(e.rfe, std::fabs(out.rocof - tv.rocof));
  }
  return e;
}

void Report(const std::string& name, const Errors& e, const Limits& l) {
  std::printf("ACCURACY | %s | %d | %.4f%% | %.2e | %.3f | %.1f%% / %.3f / %.2f |\n", name.c_str(), e.reports,
              e.tve * 100, e.fe, e.rfe, l.tve * 100, l.fe, l.rfe);
  EXPECT_GT(e.reports, 0);
  EXPECT_LE(e.tve, l.tve) << name;
  EXPECT_LE(e.fe, l.fe) << name;
  EXPECT_LE(e.rfe, l.rfe) << name;
}

// IEEE C37.118.1-2011 Table 3 with C37.118.1a-2014 (steady state, P class): TVE 1%,
// FE 0.005 Hz, RFE 0.4 Hz/s. Our target in steady state is ten times better in TVE.
constexpr Limits kSteadyTarget{0.001, 0.005, 0.4};

TEST(Accuracy, SteadyStateNominalAndOffNominal) {
  for (std::uint32_t nominal : {50u, 60u}) {
    for (double df : {0.0, -2.0, 2.0}) {
      WaveformConfig w;
      w.freq_offset_hz = static_cast<float>(df);
      // 100 and 120 frames/s use the short window (C37.118.1's 2/Fs latency).
      for (std::uint32_t rate : {nominal, 10u, 2 * nominal}) {
        const Errors e = Measure(w, nominal, rate, MeasurementClass::kP, 0, 2);
        char name[96];
        std::snprintf(name, sizeof(name), "P, %u Hz, %+g Hz, %u/s", nominal, df, rate);
        Report(name, e, kSteadyTarget);
      }
    }
  }
}

TEST(Accuracy, HarmonicsEachAtTenPercent) {
  // The standard asks 1% of each harmonic for P class (10% for M); 10% here. Harmonics
  // above the Nyquist frequency are removed by the front end's anti-alias filter.
  for (std::uint32_t nominal : {50u, 60u}) {
    for (std::uint32_t rate : {nominal, 2 * nominal}) {
      Errors worst;
      for (std::uint8_t h = 2; h * nominal < kSampleRate / 2; ++h) {
        WaveformConfig w;
        w.harmonics[0] = {h, 0.1f};
        w.harmonic_count = 1;
        const Errors e = Measure(w, nominal, rate, MeasurementClass::kP, 0, 0.5);
        worst.tve = std::max(worst.tve, e.tve);
        worst.fe = std::max(worst.fe, e.fe);
        worst.rfe = std::max(worst.rfe, e.rfe);
        worst.reports += e.reports;
      }
      Report("P, " + std::to_string(nominal) + " Hz, harmonics 2.." + std::to_string(kSampleRate / 2 / nominal - 1) +
                 " at 10% each, " + std::to_string(rate) + "/s",
             worst, kSteadyTarget);
    }
  }
}

TEST(Accuracy, FrequencyRamp) {
  // +/-1 Hz/s from f0-2 to f0+2 (C37.118.1 5.5.6); 2/Fs around the ramp's ends excluded.
  // Limits (C37.118.1-2011 Table 7 with the 2014 amendment, P class): TVE 1%,
  // FE 0.01 Hz, RFE 0.4 Hz/s.
  for (std::uint32_t rate : {60u, 120u}) {
    for (double rocof : {1.0, -1.0}) {
      WaveformConfig w;
      w.freq_offset_hz = static_cast<float>(rocof > 0 ? -2.0 : 2.0);
      w.rocof_hz_s = static_cast<float>(rocof);
      w.ramp_start_s = 0.5f;
      w.ramp_stop_s = 4.5f;
      const double guard = 2.0 / 60;
      const Errors e = Measure(w, 60, rate, MeasurementClass::kP, 0.5 + guard, 4.5 - guard);
      char name[64];
      std::snprintf(name, sizeof(name), "P, 60 Hz, ramp %+g Hz/s over +/-2 Hz, %u/s", rocof, rate);
      Report(name, e, {0.001, 0.01, 0.4});
    }
  }
}

TEST(Accuracy, ModulationP) {
  // kx = 0.1, ka = 0.1 rad at 2 Hz (P class limits, C37.118.1-2011 Table 5 with the
  // 2014 amendment: TVE 3%, FE 0.06 Hz, RFE 3 Hz/s).
  WaveformConfig w;
  w.mod_hz = 2;
  w.mod_amplitude = 0.1f;
  w.mod_phase_deg = static_cast<float>(0.1 * 180 / kPi);
  for (std::uint32_t rate : {60u, 120u}) {
    const Errors e = Measure(w, 60, rate, MeasurementClass::kP, 0, 2);
    Report("P, 60 Hz, modulation 2 Hz kx=0.1 ka=0.1, " + std::to_string(rate) + "/s", e, {0.03, 0.06, 3});
  }
}

TEST(Accuracy, UnbalanceAndNoise) {
  // Not a C37.118.1 test (it has no noise test): 5% negative sequence and 0.1% white
  // noise, seeded. The ROCOF, a second difference over 8.3 ms, is the most sensitive
  // to noise; the bound here is ours (1 Hz/s), not the standard's. At 120/s the short
  // window (1.5 cycles, frequency from the past only) lets twice the noise into the
  // frequency (rms 1.9e-3 Hz against 0.9e-3 at 60/s, over seeds 1, 2, 3 and 7): its FE
  // bound is 0.01 Hz, the standard's for a ramp.
  WaveformConfig w;
  w.unbalance = 0.05f;
  w.noise = 0.001f;
  w.seed = 7;
  for (std::uint32_t rate : {60u, 120u}) {
    const Errors e = Measure(w, 60, rate, MeasurementClass::kP, 0, 2);
    Report("P, 60 Hz, 5% unbalance, 0.1% noise, " + std::to_string(rate) + "/s", e,
           {0.01, rate > 60 ? 0.01 : 0.005, 1.0});
  }
}

TEST(Accuracy, MClass) {
  // M class: longer filter; steady state within +/-2 Hz (C37.118.1 range min(Fs/5, 5 Hz)).
  // M class limits: TVE 1%, FE 0.005 Hz, RFE 0.1 Hz/s.
  for (std::uint32_t rate : {10u, 60u}) {
    for (double df : {0.0, 2.0}) {
      WaveformConfig w;
      w.freq_offset_hz = static_cast<float>(df);
      w.harmonics[0] = {3, 0.1f};
      w.harmonic_count = 1;
      const Errors e = Measure(w, 60, rate, MeasurementClass::kM, 0, 2);
      char name[96];
      std::snprintf(name, sizeof(name), "M, 60 Hz, %+g Hz, 3rd harmonic 10%%, %u/s", df, rate);
      Report(name, e, {0.001, 0.005, 0.1});
    }
  }
}

TEST(Accuracy, StepsSettle) {
  // A 10% amplitude and 10 degree phase step at 1 s: outside one window either side of
  // the step the estimate meets the steady-state target.
  WaveformConfig w;
  w.step_at_s = 1.0f;
  w.step_magnitude = 0.1f;
  w.step_phase_deg = 10;
  const double window = 2.0 / 60 + 0.01;
  for (std::uint32_t rate : {60u, 120u}) {
    const Errors e = Measure(w, 60, rate, MeasurementClass::kP, 0, 2, {{1.0 - window, 1.0 + window}});
    Report("P, 60 Hz, step +10% and +10 deg (outside the window), " + std::to_string(rate) + "/s", e, kSteadyTarget);
  }
}

TEST(Estimator, EveryStandardRateConfiguresAndReportsWithinTheClassLatency) {
  // C37.118.1's reporting latency: 2/Fs in P class, 5/Fs in M class. The window's
  // look-ahead must leave room for computing and sending: 2 ms in P class.
  SyntheticFrontEnd fe;
  ASSERT_TRUE(fe.Configure({}, 60, kStart).ok());
  for (auto [nominal, rates] : {std::pair<std::uint32_t, std::vector<std::uint32_t>>{50, {10, 25, 50, 100}},
                                {60, {10, 12, 15, 20, 30, 60, 120}}}) {
    for (std::uint32_t rate : rates) {
      for (auto cls : {MeasurementClass::kP, MeasurementClass::kM}) {
        PhasorEstimator est;
        ASSERT_TRUE(est.Configure({nominal, rate, cls}, fe).ok()) << nominal << " " << rate;
        EXPECT_LE(est.window_size(), kMaxWindowSamples);
        EXPECT_EQ(kSampleRate % rate, 0u);
        const double latency_ms = 1e3 * est.samples_after() / kSampleRate;
        const double limit_ms = (cls == MeasurementClass::kP ? 2e3 : 5e3) / rate;
        EXPECT_LE(latency_ms + (cls == MeasurementClass::kP ? 2.0 : 0.0), limit_ms) << nominal << " Hz " << rate << "/s";
        // The short window only where the triangle would be too late.
        EXPECT_EQ(est.backward_differences(), cls == MeasurementClass::kP && rate > nominal) << nominal << " " << rate;
      }
    }
  }
  PhasorEstimator p120;
  ASSERT_TRUE(p120.Configure({60, 120, MeasurementClass::kP}, fe).ok());
  EXPECT_EQ(p120.taps(), 59u);            // a one-cycle (40) and a half-cycle (20) boxcar
  EXPECT_EQ(p120.samples_after(), 29u);   // 12.1 ms
  EXPECT_EQ(p120.samples_before(), 89u);  // and three half cycles before, for frequency
  PhasorEstimator est;
  EXPECT_FALSE(est.Configure({60, 7, MeasurementClass::kP}, fe).ok());
  EXPECT_FALSE(est.Configure({55, 10, MeasurementClass::kP}, fe).ok());
}

TEST(SyntheticFrontEnd, DeterministicReadsAgree) {
  WaveformConfig w;
  w.noise = 0.01f;
  w.seed = 3;
  SyntheticFrontEnd a, b;
  ASSERT_TRUE(a.Configure(w, 50, kStart).ok());
  ASSERT_TRUE(b.Configure(w, 50, kStart).ok());
  std::vector<hal::AnalogSample> x(300), y(100);
  ASSERT_TRUE(a.Read(kStart + 1000, x).ok());
  ASSERT_TRUE(b.Read(kStart + 1100, y).ok());  // a fresh generator, mid-run
  for (std::size_t i = 0; i < y.size(); ++i) EXPECT_EQ(x[100 + i].counts, y[i].counts) << i;
  ASSERT_TRUE(a.Read(kStart + 1150, y).ok());  // a again, over samples it made before
  for (std::size_t i = 0; i < y.size(); ++i) EXPECT_EQ(x[150 + i].counts, y[i].counts) << i;
}

TEST(SyntheticFrontEnd, CosTableAccuracy) {
  double worst = 0;
  for (int i = 0; i < 100000; ++i) {
    const double turns = i / 100000.0;
    const auto fixed = static_cast<std::uint64_t>(turns * 18446744073709551616.0);
    worst = std::max(worst, std::fabs(CosTurns(fixed) - std::cos(2 * kPi * turns)));
  }
  EXPECT_LT(worst, 6e-6);
}

TEST(Trig, CosSinQ30IsWithinAFewUnitsOfTheTruth) {
  double worst = 0;
  for (int i = 0; i < 200000; ++i) {
    const std::uint64_t turns = 0x9E3779B97F4A7C15ull * static_cast<std::uint64_t>(i);  // spread over the turn
    const double rad = 2 * kPi * std::ldexp(static_cast<double>(turns), -64);
    const CosSin v = CosSinQ30(turns);
    worst = std::max({worst, std::fabs(v.cos - std::cos(rad) * kQ30One), std::fabs(v.sin - std::sin(rad) * kQ30One)});
  }
  EXPECT_LE(worst, 3.0) << "units of 2^-30";
  // The estimator's coefficients: cos and sin of i/N turns rounded to Q24, as the
  // estimator rounds them. Exact at the front ends' 40 and 48 samples per cycle; at 64,
  // cos(pi/16) 2^24 is 16454846.4989 and its Q30 value 1053110176 (correct) is a tie
  // in Q24 that rounds up: one unit, 6e-8.
  for (std::uint32_t n : {40u, 48u, 64u}) {
    for (std::uint32_t i = 0; i < n; ++i) {
      const CosSin v = CosSinQ30(((std::uint64_t{i} << 58) / n) << 6);
      const long tolerance = n == 64 ? 1 : 0;
      EXPECT_LE(std::labs(((v.cos + 32) >> 6) - std::lround(std::cos(2 * kPi * i / n) * (1 << 24))), tolerance)
          << i << "/" << n;
      EXPECT_LE(std::labs(((v.sin + 32) >> 6) - std::lround(std::sin(2 * kPi * i / n) * (1 << 24))), tolerance)
          << i << "/" << n;
    }
  }
}

TEST(Trig, SinRadiansKeepsFloatPrecision) {
  // Relative error for the estimator's small angles (where sin x is about x and the
  // gain correction divides two of them), absolute error over the documented range.
  double worst_relative = 0, worst_absolute = 0;
  for (int i = -100000; i <= 100000; ++i) {
    const float small = static_cast<float>(i) * 1e-5f;         // -1 .. 1 rad
    const float large = static_cast<float>(i) * 0.0999991f;  // -1e4 .. 1e4 rad
    if (i != 0) {
      const double truth = std::sin(static_cast<double>(small));
      worst_relative = std::max(worst_relative, std::fabs(SinRadians(small) - truth) / std::fabs(truth));
    }
    worst_absolute = std::max(worst_absolute, std::fabs(SinRadians(large) - std::sin(static_cast<double>(large))));
  }
  EXPECT_LT(worst_relative, 2.5e-7);  // two units in the last place of a float
  EXPECT_LT(worst_absolute, 1e-6);
  EXPECT_EQ(SinRadians(0.0f), 0.0f);
}

TEST(Trig, QuotientQ64IsTheExactFraction) {
  // floor(|x| 2^64 / d) modulo 2^64, negated for a negative x, from a 128-bit product.
  auto exact = [](float x, std::uint32_t d) {
    int e = 0;
    const double m = std::frexp(std::fabs(static_cast<double>(x)), &e);  // x = m 2^e, m in [0.5, 1)
    const auto mant = static_cast<unsigned __int128>(std::ldexp(m, 24));
    const int shift = e - 24 + 64;
    const unsigned __int128 q = shift >= 0 ? (mant << shift) / d : (mant >> -shift) / d;
    const auto low = static_cast<std::uint64_t>(q);
    return x < 0 ? 0 - low : low;
  };
  for (float x : {0.7f, -0.7f, 2.0f, -2.0f, 1.0f / 3, 1e-3f, -10.0f, 30.0f, 180.0f, -180.0f, 359.99f, 86400.5f,
                  1e-12f, 3e9f}) {
    for (std::uint32_t d : {1u, 360u, kSampleRate, 2 * kSampleRate * kSampleRate}) {
      EXPECT_EQ(QuotientQ64(x, d), exact(x, d)) << x << " / " << d;
    }
  }
  EXPECT_EQ(QuotientQ64(0.25f, 1), 0x4000000000000000ull);
  EXPECT_EQ(QuotientQ64(-0.25f, 1), 0xC000000000000000ull);  // wraps to 0.75 turn
  EXPECT_EQ(QuotientQ64(1.25f, 1), 0x4000000000000000ull);   // whole turns fall off
  EXPECT_EQ(QuotientQ64(0.0f, 7), 0u);
  EXPECT_EQ(QuotientQ64(std::nanf(""), 7), 0u);
}

TEST(Accuracy, DaysAfterTheStartThePhaseIsStillExact) {
  // The synthesiser's phase is an integer polynomial in the sample number: ten days
  // (2.07e9 samples) after the waveform's start, off nominal and after a ramp, the
  // reports meet the steady-state target as on the first second. (A phase computed
  // from a float time would be off by turns by then.)
  WaveformConfig w;
  w.freq_offset_hz = 0.7f;
  w.rocof_hz_s = 0.25f;
  w.ramp_start_s = 100;
  w.ramp_stop_s = 104;  // then 1.7 Hz off nominal for ten days
  w.harmonics[0] = {5, 0.05f};
  w.harmonic_count = 1;
  const double later = 10 * 86400.0;
  const Errors e = Measure(w, 60, 60, MeasurementClass::kP, later, later + 1);
  Report("P, 60 Hz, +1.7 Hz ten days after a ramp", e, kSteadyTarget);
}

// A clock that the test moves by hand.
class ManualClock : public hal::Clock {
 public:
  std::uint64_t MonotonicNs() const override { return mono; }
  std::int64_t UtcNs() const override { return utc; }
  std::uint64_t mono = 0;
  std::int64_t utc = 0;
};

TEST(Measurement, ReportsOnTheUtcGridAndFollowsClockSteps) {
  ManualClock platform;
  platform.utc = kStartSecond * 1'000'000'000LL + 123'456'789;
  DeviceClock clock(platform);
  SyntheticFrontEnd fe;
  ASSERT_TRUE(fe.Configure({}, 60, kStart).ok());
  Measurement m(clock);
  std::vector<std::int64_t> instants;
  ASSERT_TRUE(m.Configure(fe, {60, 30, MeasurementClass::kP}, 0,
                          [](void* ctx, const Estimate& e) {
                            static_cast<std::vector<std::int64_t>*>(ctx)->push_back(e.sample);
                          },
                          &instants)
                  .ok());
  for (int i = 0; i < 2000; ++i) {  // 2 s in 1 ms steps
    m.Tick();
    platform.utc += 1'000'000;
    platform.mono += 1'000'000;
  }
  ASSERT_GE(instants.size(), 58u);
  for (std::size_t i = 0; i < instants.size(); ++i) {
    EXPECT_EQ(instants[i] % (kSampleRate / 30), 0) << "instant on a multiple of 1/30 s from the second";
    if (i > 0) EXPECT_EQ(instants[i] - instants[i - 1], kSampleRate / 30);
  }
  // A 100 s step forward: the reports in between are skipped, then the grid goes on.
  const std::size_t before = instants.size();
  clock.AdvanceNs(100'000'000'000LL);
  for (int i = 0; i < 200; ++i) {
    m.Tick();
    platform.utc += 1'000'000;
  }
  ASSERT_GT(instants.size(), before);
  EXPECT_GT(instants[before] - instants[before - 1], 99 * kSampleRate);
  EXPECT_GT(m.counters().skipped, 2900u);
  EXPECT_EQ(m.counters().read_errors, 0u);
}

// The synthetic front end, counting the reads of each sample.
class CountingFrontEnd : public hal::AnalogFrontEnd {
 public:
  explicit CountingFrontEnd(SyntheticFrontEnd& inner) : inner_(inner) {}
  std::uint32_t sample_rate() const override { return inner_.sample_rate(); }
  float scale(std::size_t channel) const override { return inner_.scale(channel); }
  Status Read(std::int64_t first, std::span<hal::AnalogSample> out) override {
    for (std::size_t i = 0; i < out.size(); ++i) ++reads[first + static_cast<std::int64_t>(i)];
    return inner_.Read(first, out);
  }
  std::map<std::int64_t, int> reads;

 private:
  SyntheticFrontEnd& inner_;
};

TEST(Measurement, KeepsWhatWindowsShareAndReadsEachSampleOnce) {
  // M class at 10/s: 1023-sample windows 240 apart; P class at 120/s: 119 samples, 20
  // apart. Each report must be the one a whole fresh window gives.
  struct Case {
    std::uint32_t nominal, rate;
    MeasurementClass cls;
  };
  for (const Case c : {Case{50, 10, MeasurementClass::kM}, Case{60, 120, MeasurementClass::kP}}) {
    ManualClock platform;
    platform.utc = kStartSecond * 1'000'000'000LL;
    DeviceClock clock(platform);
    WaveformConfig w;
    w.noise = 0.01f;  // every sample differs
    w.freq_offset_hz = 0.3f;
    SyntheticFrontEnd synthetic, reference;
    ASSERT_TRUE(synthetic.Configure(w, c.nominal, kStart).ok());
    ASSERT_TRUE(reference.Configure(w, c.nominal, kStart).ok());
    CountingFrontEnd fe(synthetic);
    Measurement m(clock);
    std::vector<Estimate> reports;
    ASSERT_TRUE(m.Configure(fe, {c.nominal, c.rate, c.cls}, 0,
                            [](void* ctx, const Estimate& e) { static_cast<std::vector<Estimate>*>(ctx)->push_back(e); },
                            &reports)
                    .ok());
    for (int i = 0; i < 3000; ++i) {  // 3 s in 1 ms steps
      m.Tick();
      platform.utc += 1'000'000;
      platform.mono += 1'000'000;
    }
    ASSERT_GE(reports.size(), 2u * c.rate) << c.rate;
    for (const auto& [sample, count] : fe.reads) ASSERT_EQ(count, 1) << "sample " << sample << " at " << c.rate;
    const PhasorEstimator& est = m.estimator();
    std::vector<hal::AnalogSample> window(est.window_size());
    for (const Estimate& e : reports) {
      ASSERT_TRUE(reference.Read(e.sample - est.samples_before(), window).ok());
      Estimate fresh;
      est.Run(e.sample, window, fresh);
      for (std::size_t ch = 0; ch < hal::kAnalogChannels; ++ch) {
        EXPECT_EQ(e.phases[ch].re, fresh.phases[ch].re) << "report at " << e.sample << ", rate " << c.rate;
        EXPECT_EQ(e.phases[ch].im, fresh.phases[ch].im);
      }
      EXPECT_EQ(e.frequency, fresh.frequency);
    }
  }
}

}  // namespace
}  // namespace pmu::firmware

namespace pmu::firmware {
namespace {

std::int64_t g_grid_ahead_ns = 0;
std::int64_t GridAhead(void*) { return g_grid_ahead_ns; }

// The grid keeps true time: a device clock that is behind reads the waveform later, so
// its sample n is the true-time waveform at n plus the error (a phase error of 2 pi f
// times the error); at 60 Hz a quarter cycle (4 166 667 ns) is 10 samples.
TEST(SyntheticFrontEnd, AClockErrorBecomesAPhaseError) {
  WaveformConfig w;
  w.freq_offset_hz = 0;
  SyntheticFrontEnd truth, late;
  ASSERT_TRUE(truth.Configure(w, 60, 0).ok());
  ASSERT_TRUE(late.Configure(w, 60, 0).ok());
  late.SetTimeShift(&GridAhead, nullptr);
  g_grid_ahead_ns = 4'166'667;
  std::vector<hal::AnalogSample> a(40), b(40);
  ASSERT_TRUE(truth.Read(1'000'010, a).ok());
  ASSERT_TRUE(late.Read(1'000'000, b).ok());
  for (std::size_t i = 0; i < a.size(); ++i) {
    for (std::size_t ch = 0; ch < hal::kAnalogChannels; ++ch) {
      EXPECT_NEAR(a[i].counts[ch], b[i].counts[ch], 2) << "sample " << i << " channel " << ch;
    }
  }
  // A whole second of error at exactly 60 Hz is whole cycles: no phase change.
  g_grid_ahead_ns = -1'000'000'000;
  ASSERT_TRUE(late.Read(1'000'010, b).ok());
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i].counts[0], b[i].counts[0], 2);
}

}  // namespace
}  // namespace pmu::firmware
