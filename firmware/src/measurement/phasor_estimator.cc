#include "pmu/firmware/measurement/phasor_estimator.h"

#include <cmath>

#include "pmu/firmware/measurement/trig_table.h"

namespace pmu::firmware {
namespace {

constexpr float kPi = 3.14159265358979f;
constexpr float kTwoPi = 6.28318530717959f;
constexpr float kQ24 = 16777216.0f;
// What a report's computing and sending may take on top of the window's look-ahead
// within C37.118.1's P-class reporting latency (2/Fs): the short window is used where
// the triangle leaves less than this.
constexpr std::uint32_t kSendAllowanceUs = 2000;

// Gain of a boxcar of `len` taps at `x` = pi * deviation / fs, normalised to 1 at 0.
float BoxcarGain(float x, std::uint32_t len) {
  if (std::fabs(x) <= 1e-9f) return 1.0f;
  const float l = static_cast<float>(len);
  return SinRadians(x * l) / (l * SinRadians(x));
}

PhasorValue Rotate(PhasorValue p, float c, float s) { return {p.re * c - p.im * s, p.re * s + p.im * c}; }
PhasorValue Scale(PhasorValue p, float k) { return {p.re * k, p.im * k}; }

// Angle of a * conj(b), in (-pi, pi].
float AngleBetween(PhasorValue a, PhasorValue b) {
  return std::atan2(a.im * b.re - a.re * b.im, a.re * b.re + a.im * b.im);
}

PhasorValue Sequence1(const PhasorValue& a, const PhasorValue& b, const PhasorValue& c) {
  // (A + a B + a^2 C) / 3 with a = e^{j 2 pi / 3}.
  constexpr float kC = -0.5f, kS = 0.866025403784439f;
  const PhasorValue b1 = Rotate(b, kC, kS), c1 = Rotate(c, kC, -kS);
  return {(a.re + b1.re + c1.re) / 3.0f, (a.im + b1.im + c1.im) / 3.0f};
}

}  // namespace

Status PhasorEstimator::Configure(const EstimatorSettings& s, const hal::AnalogFrontEnd& fe) {
  const std::uint32_t fs = fe.sample_rate();
  if (s.nominal_hz != 50 && s.nominal_hz != 60) return InvalidArgument("nominal frequency must be 50 or 60 Hz");
  if (s.rate == 0 || fs % s.rate != 0) return InvalidArgument("reporting rate must divide the sample rate");
  if (fs % s.nominal_hz != 0 || fs / s.nominal_hz > cos_q24_.size()) {
    return InvalidArgument("sample rate must be a whole number of samples per cycle");
  }
  settings_ = s;
  n_ = fs / s.nominal_hz;
  cycles_ = 1;
  if (s.measurement_class == MeasurementClass::kM) {
    // First null of the filter (f0 / C) at or below the report Nyquist rate / 2.
    cycles_ = (2 * s.nominal_hz + s.rate - 1) / s.rate;
    if (cycles_ < 1) cycles_ = 1;
  }
  const std::uint32_t l = cycles_ * n_;
  l2_ = l;
  half_ = l - 1;
  offset_ = l / 2;
  // P class: the triangle's look-ahead against 2/Fs, in microseconds.
  const std::uint64_t lookahead_us = std::uint64_t{half_ + offset_} * 1'000'000 / fs;
  if (s.measurement_class == MeasurementClass::kP && lookahead_us + kSendAllowanceUs > 2'000'000 / s.rate) {
    if (n_ % 4 != 0) return InvalidArgument("P class at this rate needs a multiple of 4 samples per cycle");
    l2_ = n_ / 2;
    half_ = (l + l2_ - 2) / 2;
    offset_ = n_ / 2;
  }
  const std::uint32_t max_half = (kMaxWindowSamples - 1) / 2;
  if (half_ + 1 > max_half) return InvalidArgument("window longer than the estimator's buffer");
  if (backward_differences()) {
    if (window_size() > kMaxWindowSamples) return InvalidArgument("window longer than the estimator's buffer");
  } else if (half_ + offset_ > max_half) {
    offset_ = max_half - half_;
  }
  for (std::uint32_t i = 0; i < n_; ++i) {
    // i / N turns in 2^-64 (i 2^58 / N, times 64: within 2^-58 of a turn), then Q30 to Q24.
    const CosSin a = CosSinQ30(((std::uint64_t{i} << 58) / n_) << 6);
    cos_q24_[i] = (a.cos + 32) >> 6;
    sin_q24_[i] = -((a.sin + 32) >> 6);
  }
  const float sum_w = static_cast<float>(l) * static_cast<float>(l2_);
  for (std::size_t ch = 0; ch < hal::kAnalogChannels; ++ch) {
    norm_[ch] = 1.41421356237f * fe.scale(ch) / sum_w / kQ24;
  }
  return Status::Ok();
}

PhasorValue PhasorEstimator::Demodulate(std::span<const hal::AnalogSample> window, std::size_t centre,
                                        std::size_t channel, std::int64_t sample) const {
  // Tap m = -half .. half is sample `sample + m`, demodulated by e^{-j 2 pi (sample +
  // m) / N}, the nominal cosine's phase on the UTC grid, so the sum needs no rotation
  // afterwards. Its weight is the two boxcars' convolution: rising 1 .. l2 - 1, l2 for
  // l1 - l2 + 1 taps, falling (the triangle when l1 = l2).
  const auto l2 = static_cast<std::int32_t>(l2_);
  const std::uint32_t n = n_;
  std::uint32_t idx = FloorMod64(sample - static_cast<std::int64_t>(half_), n);
  const hal::AnalogSample* x = window.data() + centre - half_;
  std::int64_t re = 0, im = 0;
  // Inlined by force: at -Os a lambda's captured sums would live in memory.
  auto tap = [&](std::int32_t w) __attribute__((always_inline)) {
    const std::int32_t xw = x->counts[channel] * w;  // 16 bits * at most 10 bits
    re += static_cast<std::int64_t>(xw) * cos_q24_[idx];
    im += static_cast<std::int64_t>(xw) * sin_q24_[idx];
    if (++idx == n) idx = 0;
    ++x;
  };
  // Rising side, top, falling side: no |m| per tap.
  for (std::int32_t w = 1; w < l2; ++w) tap(w);
  for (std::uint32_t i = long_boxcar() - l2_ + 1; i > 0; --i) tap(l2);
  for (std::int32_t w = l2 - 1; w > 0; --w) tap(w);
  return {static_cast<float>(re), static_cast<float>(im)};
}

void PhasorEstimator::Run(std::int64_t instant, std::span<const hal::AnalogSample> window, Estimate& out) const {
  const std::size_t centre = samples_before();
  const std::size_t d = offset_;
  const bool backward = backward_differences();
  out.sample = instant;
  for (std::size_t ch = 0; ch < hal::kAnalogChannels; ++ch) {
    out.phases[ch] = Scale(Demodulate(window, centre, ch, instant), norm_[ch]);
  }
  out.v1 = Sequence1(out.phases[0], out.phases[1], out.phases[2]);
  out.i1 = Sequence1(out.phases[3], out.phases[4], out.phases[5]);
  // The positive-sequence voltage at more instants, for frequency and ROCOF: d either
  // side, or d, 2d and 3d before (the short window).
  const std::int64_t di = static_cast<std::int64_t>(d);
  auto v1_at = [&](std::int64_t shift) {
    PhasorValue p[3];
    for (std::size_t ch = 0; ch < 3; ++ch) {
      p[ch] = Demodulate(window, static_cast<std::size_t>(static_cast<std::int64_t>(centre) + shift), ch, instant + shift);
    }
    return Sequence1(p[0], p[1], p[2]);
  };
  const float fs = static_cast<float>(n_ * settings_.nominal_hz);
  const float dt = static_cast<float>(d) / fs;
  float deviation, rocof;
  if (backward) {
    // Angles p0 .. p3 at k, k-d, k-2d, k-3d and their steps a1 = p0 - p1, a2 = p1 - p2,
    // a3 = p2 - p3. A least-squares parabola through the four, differentiated at k:
    // (21 p0 - 13 p1 - 17 p2 + 9 p3) / 20d = (21 a1 + 8 a2 - 9 a3) / 20d, and its second
    // derivative (p0 - p1 - p2 + p3) / 2d^2 = (a1 - a3) / 2d^2. Exact for a linear ramp
    // as three points are, with 0.6 times their noise in frequency and 0.4 in ROCOF.
    const PhasorValue v_1 = v1_at(-di), v_2 = v1_at(-2 * di), v_3 = v1_at(-3 * di);
    const float a1 = AngleBetween(out.v1, v_1);
    const float a2 = AngleBetween(v_1, v_2);
    const float a3 = AngleBetween(v_2, v_3);
    deviation = (21.0f * a1 + 8.0f * a2 - 9.0f * a3) / (20.0f * kTwoPi * dt);
    rocof = (a1 - a3) / (2.0f * kTwoPi * dt * dt);
  } else {
    const PhasorValue v_before = v1_at(-di), v_after = v1_at(di);
    const float a1 = AngleBetween(out.v1, v_before);  // phase advance over [k-d, k]
    const float a2 = AngleBetween(v_after, out.v1);   // over [k, k+d]
    deviation = (a1 + a2) / (2.0f * kTwoPi * dt);
    rocof = (a2 - a1) / (kTwoPi * dt * dt);
  }
  out.frequency = static_cast<float>(settings_.nominal_hz) + deviation;
  out.rocof = rocof;

  // The window's gain at the deviation: the product of its boxcars' Dirichlet kernels,
  // sin(pi df l / fs) / (l sin(pi df / fs)).
  const float x = kPi * deviation / fs;
  const float gain = BoxcarGain(x, long_boxcar()) * BoxcarGain(x, l2_);
  if (gain > 0.05f) {
    const float k = 1.0f / gain;
    for (auto& p : out.phases) p = Scale(p, k);
    out.v1 = Scale(out.v1, k);
    out.i1 = Scale(out.i1, k);
  }
}

}  // namespace pmu::firmware
