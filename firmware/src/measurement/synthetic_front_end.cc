#include "pmu/firmware/measurement/synthetic_front_end.h"

#include <bit>
#include <cmath>

#include "pmu/firmware/measurement/trig_table.h"

namespace pmu::firmware {
namespace {

constexpr double kTwoPi = 6.283185307179586476925286766559;
// Full scale is twice the nominal peak: room for steps, harmonics and unbalance.
constexpr float kHeadroom = 2.0f;
constexpr float kFullScaleCounts = 32767.0f;
constexpr float kSqrt2 = 1.41421356237f;
constexpr std::uint64_t kThirdTurn = 0x5555555555555555ull;          // 2^64 / 3
constexpr std::uint64_t kQ64PerSample = ~std::uint64_t{0} / kSampleRate;  // 2^64 / fs

// The sample nearest `seconds` after the start: round(seconds fs), exact for every
// float (a float product would be off by samples past 2^24 / fs = 7000 s).
std::int64_t NearestSample(float seconds) {
  const auto bits = std::bit_cast<std::uint32_t>(seconds);
  const auto biased = static_cast<int>((bits >> 23) & 0xFF);
  if (biased == 0 || biased == 0xFF || (bits >> 31) != 0) return 0;  // zero, tiny, infinite, NaN, negative
  const std::uint64_t product = ((bits & 0x7FFFFF) | 0x800000) * std::uint64_t{kSampleRate};  // below 2^36
  const int shift = 150 - biased;  // seconds fs = product / 2^shift
  if (shift <= 0) return shift > -27 ? static_cast<std::int64_t>(product << -shift) : INT64_MAX / 2;
  if (shift >= 40) return 0;
  return static_cast<std::int64_t>((product + (std::uint64_t{1} << (shift - 1))) >> shift);
}

// SplitMix64: a stateless hash of (seed, sample, channel), so noise is a function of
// the sample number and reads of the same sample agree.
std::uint64_t Mix(std::uint64_t z) {
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Approximately normal: the sum of four uniform 16-bit values, centred, in
// [-2^17, 2^17); its standard deviation is 2^16 / sqrt(3).
std::int32_t NoiseSum(std::uint64_t seed, std::int64_t sample, std::size_t channel) {
  const std::uint64_t r = Mix(seed * 0x100000001B3ull ^ (static_cast<std::uint64_t>(sample) * 8 + channel));
  std::int32_t sum = 0;
  for (int i = 0; i < 4; ++i) sum += static_cast<std::int32_t>((r >> (16 * i)) & 0xFFFF) - 32768;
  return sum;
}

float Q30ToFloat(std::int32_t v) { return static_cast<float>(v) * (1.0f / static_cast<float>(kQ30One)); }

// x 2^bits rounded, for |x 2^bits| below 2^31.
std::int32_t ToFixed(float x, int bits) {
  const float scaled = x * static_cast<float>(1u << bits);
  return static_cast<std::int32_t>(scaled < 0 ? scaled - 0.5f : scaled + 0.5f);
}

}  // namespace

Status SyntheticFrontEnd::Configure(const WaveformConfig& c, std::uint32_t nominal_hz, std::int64_t start) {
  if (nominal_hz != 50 && nominal_hz != 60) return InvalidArgument("nominal frequency must be 50 or 60 Hz");
  if (!(c.voltage_rms > 0) || !(c.current_rms > 0)) return InvalidArgument("amplitudes must be positive");
  if (c.harmonic_count > kMaxHarmonics) return InvalidArgument("too many harmonics");
  if (!(c.unbalance >= 0) || c.unbalance > 0.5f) return InvalidArgument("unbalance must be 0 to 0.5");
  config_ = c;
  nominal_hz_ = nominal_hz;
  start_ = start;

  // Each phase is the positive sequence plus `unbalance` of negative sequence, so the
  // positive-sequence truth stays the configured amplitude and angle: phase p is
  // e^{ja} + u e^{-ja} = e^{ja} (1 + u e^{-2ja}) with a = -p/3 turn (B lags A).
  const std::uint64_t current_turns = QuotientQ64(c.current_angle_deg, 360);
  for (std::size_t ch = 0; ch < hal::kAnalogChannels; ++ch) {
    const bool current = ch >= 3;
    const std::uint64_t p = ch % 3;
    const CosSin twice = CosSinQ30(2 * p * kThirdTurn);  // e^{-2ja}
    const float re = 1.0f + c.unbalance * Q30ToFloat(twice.cos), im = c.unbalance * Q30ToFloat(twice.sin);
    const float rms = current ? c.current_rms : c.voltage_rms;
    scale_[ch] = kHeadroom * kSqrt2 * rms / kFullScaleCounts;
    amplitude_q16_[ch] = ToFixed(kFullScaleCounts / kHeadroom * std::sqrt(re * re + im * im), 16);  // below 2^31
    const float skew = std::atan2(im, re) * static_cast<float>(1.0 / kTwoPi);  // turns
    offset_turns_[ch] = QuotientQ64(skew, 1) - p * kThirdTurn + (current ? current_turns : 0);
  }
  offset_step_ = QuotientQ64(c.freq_offset_hz, kSampleRate);
  shift_per_ns_ = QuotientQ64(static_cast<float>(nominal_hz) + c.freq_offset_hz, 1'000'000'000u);
  ramp_half_step_ = QuotientQ64(c.rocof_hz_s, 2 * kSampleRate * kSampleRate);
  ramp_start_ = NearestSample(c.ramp_start_s);
  ramp_stop_ = c.ramp_stop_s > c.ramp_start_s ? NearestSample(c.ramp_stop_s) : -1;
  mod_step_ = c.mod_hz > 0 ? QuotientQ64(c.mod_hz, kSampleRate) : 0;
  // Signed: ka is at most 30 degrees (a float-to-int64 conversion would call libgcc's
  // double routines).
  mod_depth_q32_ = static_cast<std::int64_t>(QuotientQ64(c.mod_phase_deg, 360)) >> 32;
  mod_gain_q28_ = ToFixed(c.mod_amplitude, 28);
  for (std::size_t h = 0; h < c.harmonic_count; ++h) harmonic_q30_[h] = ToFixed(c.harmonics[h].fraction, 30);
  // rms counts (noise times the fundamental's rms) per unit of the hash's sum (whose
  // standard deviation is 2^16 / sqrt(3)), in Q38.
  const float noise_per_unit = c.noise * (kFullScaleCounts / kHeadroom) / kSqrt2 * 1.7320508f / 65536.0f;
  noise_q38_ = static_cast<std::int64_t>(ToFixed(noise_per_unit, 30)) << 8;
  step_sample_ = c.step_at_s > 0 ? NearestSample(c.step_at_s) : -1;
  step_turns_ = QuotientQ64(c.step_phase_deg, 360);
  step_gain_q28_ = ToFixed(1.0f + c.step_magnitude, 28);
  cycle_ = kSampleRate / nominal_hz;
  return Status::Ok();
}

float SyntheticFrontEnd::scale(std::size_t channel) const {
  return channel < hal::kAnalogChannels ? scale_[channel] : 0.0f;
}

std::uint64_t SyntheticFrontEnd::DeviationQ64(std::int64_t n) const {
  // Modulo 2^64, so negative steps and whole turns wrap as they should.
  std::uint64_t turns = offset_step_ * static_cast<std::uint64_t>(n);
  if (ramp_half_step_ != 0 && n > ramp_start_) {
    // r/2 (n - n0)^2 during the ramp; after its stop the frequency stays: r d (n - n1).
    // The half step's rounding (under 2^-64 turns) grows with the ramp's length
    // squared: 2.5e-8 turns after 400 s of ramp.
    const std::int64_t end = ramp_stop_ >= 0 && n > ramp_stop_ ? ramp_stop_ : n;
    const auto d = static_cast<std::uint64_t>(end - ramp_start_);
    turns += ramp_half_step_ * d * d + 2 * ramp_half_step_ * d * static_cast<std::uint64_t>(n - end);
  }
  return turns;
}

Status SyntheticFrontEnd::Read(std::int64_t first, std::span<hal::AnalogSample> out) {
  const WaveformConfig& c = config_;
  // The grid's time at these samples is the device's plus the clock error (the error
  // moves by ppm over a window: one reading serves the whole read). Two's complement
  // wraps to the right fraction of a turn.
  const std::uint64_t shift =
      time_shift_ != nullptr ? static_cast<std::uint64_t>(time_shift_(time_shift_context_)) * shift_per_ns_ : 0;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const std::int64_t k = first + static_cast<std::int64_t>(i);
    const std::int64_t n = k - start_;
    // Nominal rotation from the UTC grid: (f0 k mod fs) / fs = (k mod N) / N turns.
    std::uint64_t turns = FloorMod64(k, cycle_) * nominal_hz_ * kQ64PerSample + DeviationQ64(n) + shift;
    std::int64_t gain_q28 = std::int64_t{1} << 28;
    if (mod_step_ != 0) {
      // Amplitude kx cos(wt), phase ka cos(wt - pi).
      const std::int32_t m = CosSinQ30(mod_step_ * static_cast<std::uint64_t>(n)).cos;
      gain_q28 += (mod_gain_q28_ * std::int64_t{m}) >> 30;
      turns -= static_cast<std::uint64_t>(mod_depth_q32_ * m) << 2;  // 2^-32 times 2^-30 is 2^-62 turns
    }
    if (step_sample_ >= 0 && n >= step_sample_) {
      gain_q28 = (gain_q28 * step_gain_q28_) >> 28;
      turns += step_turns_;
    }
    hal::AnalogSample s;
    for (std::size_t ch = 0; ch < hal::kAnalogChannels; ++ch) {
      const std::uint64_t theta = turns + offset_turns_[ch];
      std::int64_t wave_q30 = CosTurnsQ30(theta);  // with harmonics, up to 4 2^30
      for (std::size_t h = 0; h < c.harmonic_count; ++h) {
        wave_q30 += (harmonic_q30_[h] * std::int64_t{CosTurnsQ30(theta * c.harmonics[h].order)}) >> 30;
      }
      // Peak counts (below 2^15, Q16) times the gain (below 4, Q28): counts in Q8, then
      // times the waveform: Q38, below 2^57.
      const std::int64_t peak_q8 = (amplitude_q16_[ch] * gain_q28) >> 36;
      std::int64_t counts_q38 = peak_q8 * wave_q30;
      if (noise_q38_ != 0) counts_q38 += noise_q38_ * NoiseSum(c.seed, k, ch);
      std::int64_t counts = (counts_q38 + (std::int64_t{1} << 37)) >> 38;
      if (counts > 32767) counts = 32767;
      if (counts < -32768) counts = -32768;
      s.counts[ch] = static_cast<std::int16_t>(counts);
    }
    out[i] = s;
  }
  return Status::Ok();
}

// The truth, in double from the configuration; the ramp's ends on the samples the
// synthesiser uses.
double SyntheticFrontEnd::FrequencyAt(double t) const {
  const WaveformConfig& c = config_;
  const double t0 = static_cast<double>(ramp_start_) / kSampleRate;
  double ramp = 0;
  if (c.rocof_hz_s != 0 && t > t0) {
    double end = t;
    if (ramp_stop_ >= 0) end = std::fmin(end, static_cast<double>(ramp_stop_) / kSampleRate);
    ramp = c.rocof_hz_s * (end - t0);
  }
  return nominal_hz_ + static_cast<double>(c.freq_offset_hz) + ramp;
}

double SyntheticFrontEnd::DeviationTurns(double t) const {
  const WaveformConfig& c = config_;
  double turns = static_cast<double>(c.freq_offset_hz) * t;
  const double t0 = static_cast<double>(ramp_start_) / kSampleRate;
  if (c.rocof_hz_s != 0 && t > t0) {
    const double t1 = static_cast<double>(ramp_stop_) / kSampleRate;
    if (ramp_stop_ < 0 || t <= t1) {
      turns += 0.5 * c.rocof_hz_s * (t - t0) * (t - t0);
    } else {
      const double d = t1 - t0;
      turns += 0.5 * c.rocof_hz_s * d * d + c.rocof_hz_s * d * (t - t1);
    }
  }
  return turns;
}

TrueValue SyntheticFrontEnd::Truth(std::size_t channel, double t) const {
  const WaveformConfig& c = config_;
  double turns = DeviationTurns(t);
  double gain = 1.0;
  if (c.mod_hz > 0) {
    const double m = std::cos(kTwoPi * c.mod_hz * t);
    gain += c.mod_amplitude * m;
    turns += (c.mod_phase_deg / 360.0) * -m;
  }
  if (step_sample_ >= 0 && t * kSampleRate >= static_cast<double>(step_sample_)) {
    gain *= 1.0 + c.step_magnitude;
    turns += c.step_phase_deg / 360.0;
  }
  TrueValue v;
  const double rad = turns * kTwoPi;
  const double current_angle = c.current_angle_deg * kTwoPi / 360.0;
  if (channel >= hal::kAnalogChannels) {  // positive sequence
    const bool current = channel == hal::kAnalogChannels + 1;
    v.magnitude = (current ? c.current_rms : c.voltage_rms) * gain;
    v.angle = rad + (current ? current_angle : 0.0);
  } else {
    const bool current = channel >= 3;
    const double a = -static_cast<double>(channel % 3) * kTwoPi / 3.0;
    const double u = c.unbalance;
    const double re = std::cos(a) + u * std::cos(-a), im = std::sin(a) + u * std::sin(-a);
    v.magnitude = (current ? c.current_rms : c.voltage_rms) * gain * std::hypot(re, im);
    v.angle = rad + std::atan2(im, re) + (current ? current_angle : 0.0);
  }
  v.angle = std::remainder(v.angle, kTwoPi);
  v.frequency = FrequencyAt(t);
  if (c.mod_hz > 0) {
    // d/dt of the phase modulation, in Hz: ka/(2 pi) * w sin(w t).
    v.frequency += (c.mod_phase_deg / 360.0) * kTwoPi * c.mod_hz * std::sin(kTwoPi * c.mod_hz * t);
  }
  const bool ramping = c.rocof_hz_s != 0 && t * kSampleRate > static_cast<double>(ramp_start_) &&
                       !(ramp_stop_ >= 0 && t * kSampleRate > static_cast<double>(ramp_stop_));
  v.rocof = ramping ? c.rocof_hz_s : 0.0;
  if (c.mod_hz > 0) {
    const double w = kTwoPi * c.mod_hz;
    v.rocof += (c.mod_phase_deg / 360.0) * w * w * std::cos(w * t);
  }
  return v;
}

}  // namespace pmu::firmware
