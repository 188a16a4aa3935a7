#include "pmu/firmware/measurement/phasor_estimator.h"

#include <cmath>

#include "pmu/firmware/measurement/trig_table.h"

namespace pmu::firmware {
namespace {

constexpr float kPi = 3.14159265358979f;
constexpr float kTwoPi = 6.28318530717959f;
constexpr float kQ24 = 16777216.0f;

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
  half_ = l - 1;
  const std::uint32_t max_half = (kMaxWindowSamples - 1) / 2;
  if (half_ + 1 > max_half) return InvalidArgument("window longer than the estimator's buffer");
  offset_ = l / 2;
  if (half_ + offset_ > max_half) offset_ = max_half - half_;
  for (std::uint32_t i = 0; i < n_; ++i) {
    // i / N turns in 2^-64 (i 2^58 / N, times 64: within 2^-58 of a turn), then Q30 to Q24.
    const CosSin a = CosSinQ30(((std::uint64_t{i} << 58) / n_) << 6);
    cos_q24_[i] = (a.cos + 32) >> 6;
    sin_q24_[i] = -((a.sin + 32) >> 6);
  }
  const float sum_w = static_cast<float>(l) * static_cast<float>(l);
  for (std::size_t ch = 0; ch < hal::kAnalogChannels; ++ch) {
    norm_[ch] = 1.41421356237f * fe.scale(ch) / sum_w / kQ24;
  }
  return Status::Ok();
}

PhasorValue PhasorEstimator::Demodulate(std::span<const hal::AnalogSample> window, std::size_t centre,
                                        std::size_t channel, std::int64_t sample) const {
  // Tap m = -(L-1) .. L-1 is sample `sample + m`: weight L - |m|, demodulated by
  // e^{-j 2 pi (sample + m) / N}, the nominal cosine's phase on the UTC grid, so the
  // sum needs no rotation afterwards.
  const auto l = static_cast<std::int32_t>(half_) + 1;
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
  // The triangle's rising side, then its falling side: no |m| per tap.
  for (std::int32_t w = 1; w <= l; ++w) tap(w);
  for (std::int32_t w = l - 1; w > 0; --w) tap(w);
  return {static_cast<float>(re), static_cast<float>(im)};
}

void PhasorEstimator::Run(std::int64_t instant, std::span<const hal::AnalogSample> window, Estimate& out) const {
  const std::size_t centre = half_span();
  const std::size_t d = offset_;
  out.sample = instant;
  for (std::size_t ch = 0; ch < hal::kAnalogChannels; ++ch) {
    out.phases[ch] = Scale(Demodulate(window, centre, ch, instant), norm_[ch]);
  }
  // Positive-sequence voltage before and after the instant, for frequency and ROCOF.
  PhasorValue before[3], after[3];
  const std::int64_t di = static_cast<std::int64_t>(d);
  for (std::size_t ch = 0; ch < 3; ++ch) {
    before[ch] = Demodulate(window, centre - d, ch, instant - di);
    after[ch] = Demodulate(window, centre + d, ch, instant + di);
  }
  out.v1 = Sequence1(out.phases[0], out.phases[1], out.phases[2]);
  out.i1 = Sequence1(out.phases[3], out.phases[4], out.phases[5]);
  const PhasorValue v_before = Sequence1(before[0], before[1], before[2]);
  const PhasorValue v_after = Sequence1(after[0], after[1], after[2]);
  const float fs = static_cast<float>(n_ * settings_.nominal_hz);
  const float dt = static_cast<float>(d) / fs;
  const float a1 = AngleBetween(out.v1, v_before);  // phase advance over [k-d, k]
  const float a2 = AngleBetween(v_after, out.v1);   // over [k, k+d]
  const float deviation = (a1 + a2) / (2.0f * kTwoPi * dt);
  out.frequency = static_cast<float>(settings_.nominal_hz) + deviation;
  out.rocof = (a2 - a1) / (kTwoPi * dt * dt);

  // The triangle's gain at the deviation: (sin(pi df L / fs) / (L sin(pi df / fs)))^2.
  const float l = static_cast<float>(half_ + 1);
  const float x = kPi * deviation / fs;
  float gain = 1.0f;
  if (std::fabs(x) > 1e-9f) {
    const float g = SinRadians(x * l) / (l * SinRadians(x));
    gain = g * g;
  }
  if (gain > 0.05f) {
    const float k = 1.0f / gain;
    for (auto& p : out.phases) p = Scale(p, k);
    out.v1 = Scale(out.v1, k);
    out.i1 = Scale(out.i1, k);
  }
}

}  // namespace pmu::firmware
