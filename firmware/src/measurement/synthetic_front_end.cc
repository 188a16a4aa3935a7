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

// Approximately normal, unit variance: the sum of four uniform 16-bit values.
float UnitNoise(std::uint64_t seed, std::int64_t sample, std::size_t channel) {
  const std::uint64_t r = Mix(seed * 0x100000001B3ull ^ (static_cast<std::uint64_t>(sample) * 8 + channel));
  std::int32_t sum = 0;
  for (int i = 0; i < 4; ++i) sum += static_cast<std::int32_t>((r >> (16 * i)) & 0xFFFF) - 32768;
  return static_cast<float>(sum) * (1.7320508f / 65536.0f);  // sqrt(3): four uniforms have variance 1/3
}

std::uint64_t FloorMod(std::int64_t v, std::int64_t m) {
  const std::int64_t r = v % m;
  return static_cast<std::uint64_t>(r < 0 ? r + m : r);
}

float Q30ToFloat(std::int32_t v) { return static_cast<float>(v) * (1.0f / static_cast<float>(kQ30One)); }

// round(x) for |x| below 2^31, halves away from zero (lroundf without the call).
std::int32_t Round(float x) { return static_cast<std::int32_t>(x < 0 ? x - 0.5f : x + 0.5f); }

}  // namespace

Status SyntheticFrontEnd::Configure(const WaveformConfig& c, std::uint32_t nominal_hz, std::int64_t start) {
  if (nominal_hz != 50 && nominal_hz != 60) return InvalidArgument("nominal frequency must be 50 or 60 Hz");
  if (!(c.voltage_rms > 0) || !(c.current_rms > 0)) return InvalidArgument("amplitudes must be positive");
  if (c.harmonic_count > kMaxHarmonics) return InvalidArgument("too many harmonics");
  if (!(c.unbalance >= 0) || c.unbalance > 0.5f) return InvalidArgument("unbalance must be 0 to 0.5");
  config_ = c;
  nominal_hz_ = nominal_hz;
  start_ = start;
  cache_begin_ = cache_end_ = 0;

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
    amplitude_[ch] = kFullScaleCounts / kHeadroom * std::sqrt(re * re + im * im);
    const float skew = std::atan2(im, re) * static_cast<float>(1.0 / kTwoPi);  // turns
    offset_turns_[ch] = QuotientQ64(skew, 1) - p * kThirdTurn + (current ? current_turns : 0);
  }
  offset_step_ = QuotientQ64(c.freq_offset_hz, kSampleRate);
  ramp_half_step_ = QuotientQ64(c.rocof_hz_s, 2 * kSampleRate * kSampleRate);
  ramp_start_ = NearestSample(c.ramp_start_s);
  ramp_stop_ = c.ramp_stop_s > c.ramp_start_s ? NearestSample(c.ramp_stop_s) : -1;
  mod_step_ = c.mod_hz > 0 ? QuotientQ64(c.mod_hz, kSampleRate) : 0;
  // Signed: ka is at most 30 degrees (a float-to-int64 conversion would call libgcc's
  // double routines).
  mod_depth_q32_ = static_cast<std::int64_t>(QuotientQ64(c.mod_phase_deg, 360)) >> 32;
  noise_counts_ = c.noise * (kFullScaleCounts / kHeadroom) / kSqrt2;
  step_sample_ = c.step_at_s > 0 ? NearestSample(c.step_at_s) : -1;
  step_turns_ = QuotientQ64(c.step_phase_deg, 360);
  step_gain_ = 1.0f + c.step_magnitude;
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
  for (std::size_t i = 0; i < out.size(); ++i) {
    const std::int64_t k = first + static_cast<std::int64_t>(i);
    // Samples generated before (windows overlap from one report to the next) come
    // from the cache, so each sample is synthesised once.
    if (k >= cache_begin_ && k < cache_end_) {
      out[i] = cache_[static_cast<std::size_t>(k % static_cast<std::int64_t>(kCacheSize))];
      continue;
    }
    const std::int64_t n = k - start_;
    // Nominal rotation from the UTC grid: (f0 k mod fs) / fs turns.
    std::uint64_t turns = FloorMod(k * nominal_hz_, kSampleRate) * kQ64PerSample + DeviationQ64(n);
    float gain = 1.0f;
    if (mod_step_ != 0) {
      // Amplitude kx cos(wt), phase ka cos(wt - pi).
      const std::int32_t m = CosSinQ30(mod_step_ * static_cast<std::uint64_t>(n)).cos;
      gain += c.mod_amplitude * Q30ToFloat(m);
      turns -= static_cast<std::uint64_t>(mod_depth_q32_ * m) << 2;  // 2^-32 times 2^-30 is 2^-62 turns
    }
    if (step_sample_ >= 0 && n >= step_sample_) {
      gain *= step_gain_;
      turns += step_turns_;
    }
    hal::AnalogSample s;
    for (std::size_t ch = 0; ch < hal::kAnalogChannels; ++ch) {
      const std::uint64_t theta = turns + offset_turns_[ch];
      float v = CosTurns(theta);
      for (std::size_t h = 0; h < c.harmonic_count; ++h) {
        v += c.harmonics[h].fraction * CosTurns(theta * c.harmonics[h].order);
      }
      float counts = amplitude_[ch] * gain * v;
      if (noise_counts_ > 0) counts += noise_counts_ * UnitNoise(c.seed, k, ch);
      if (counts > 32767.0f) counts = 32767.0f;
      if (counts < -32768.0f) counts = -32768.0f;
      s.counts[ch] = static_cast<std::int16_t>(Round(counts));
    }
    out[i] = s;
    // Keep the cache one contiguous run of the newest samples.
    if (k != cache_end_) cache_begin_ = cache_end_ = k;
    cache_[static_cast<std::size_t>(k % static_cast<std::int64_t>(kCacheSize))] = s;
    ++cache_end_;
    if (cache_end_ - cache_begin_ > static_cast<std::int64_t>(kCacheSize)) cache_begin_ = cache_end_ - kCacheSize;
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
