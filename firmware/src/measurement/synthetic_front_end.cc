#include "pmu/firmware/measurement/synthetic_front_end.h"

#include <cmath>

#include "pmu/firmware/measurement/trig_table.h"

namespace pmu::firmware {
namespace {

constexpr double kTwoPi = 6.283185307179586476925286766559;
constexpr double kTwo64 = 18446744073709551616.0;
// Full scale is twice the nominal peak: room for steps, harmonics and unbalance.
constexpr double kHeadroom = 2.0;
constexpr double kFullScaleCounts = 32767.0;

std::uint64_t TurnsToFraction(double turns) {
  double f = turns - std::floor(turns);
  const double scaled = f * kTwo64;
  if (!(scaled < kTwo64)) return 0;  // rounded up to a whole turn (or NaN)
  return static_cast<std::uint64_t>(scaled);
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
double UnitNoise(std::uint64_t seed, std::int64_t sample, std::size_t channel) {
  const std::uint64_t r = Mix(seed * 0x100000001B3ull ^ (static_cast<std::uint64_t>(sample) * 8 + channel));
  double sum = 0;
  for (int i = 0; i < 4; ++i) sum += static_cast<double>((r >> (16 * i)) & 0xFFFF) / 65536.0 - 0.5;
  return sum * 1.7320508075688772;  // sqrt(3): four uniforms have variance 1/3
}

double Positive(std::int64_t v, std::int64_t m) {
  const std::int64_t r = v % m;
  return static_cast<double>(r < 0 ? r + m : r);
}

}  // namespace

Status SyntheticFrontEnd::Configure(const WaveformConfig& c, std::uint32_t nominal_hz, std::int64_t start) {
  if (nominal_hz != 50 && nominal_hz != 60) return InvalidArgument("nominal frequency must be 50 or 60 Hz");
  if (!(c.voltage_rms > 0) || !(c.current_rms > 0)) return InvalidArgument("amplitudes must be positive");
  if (c.harmonic_count > kMaxHarmonics) return InvalidArgument("too many harmonics");
  if (c.unbalance < 0 || c.unbalance > 0.5f) return InvalidArgument("unbalance must be 0 to 0.5");
  config_ = c;
  nominal_hz_ = nominal_hz;
  start_ = start;

  // Each phase is the positive sequence plus `unbalance` of negative sequence, so the
  // positive-sequence truth stays the configured amplitude and angle.
  const double u = c.unbalance;
  for (std::size_t ch = 0; ch < hal::kAnalogChannels; ++ch) {
    const bool current = ch >= 3;
    const double p = static_cast<double>(ch % 3);
    const double a = -p * kTwoPi / 3.0;  // phase B lags A by 120 degrees
    const double re = std::cos(a) + u * std::cos(-a), im = std::sin(a) + u * std::sin(-a);
    const double rms = current ? c.current_rms : c.voltage_rms;
    scale_[ch] = static_cast<float>(kHeadroom * std::sqrt(2.0) * rms / kFullScaleCounts);
    const double peak_counts = kFullScaleCounts / kHeadroom;
    amplitude_[ch] = peak_counts * std::hypot(re, im);
    double angle = std::atan2(im, re);
    if (current) angle += c.current_angle_deg * kTwoPi / 360.0;
    offset_turns_[ch] = TurnsToFraction(angle / kTwoPi);
  }
  step_sample_ = c.step_at_s > 0 ? static_cast<std::int64_t>(std::llround(c.step_at_s * kSampleRate)) : -1;
  step_turns_ = TurnsToFraction(c.step_phase_deg / 360.0);
  return Status::Ok();
}

float SyntheticFrontEnd::scale(std::size_t channel) const {
  return channel < hal::kAnalogChannels ? scale_[channel] : 0.0f;
}

double SyntheticFrontEnd::FrequencyAt(double t) const {
  const WaveformConfig& c = config_;
  double ramp = 0;
  if (c.rocof_hz_s != 0 && t > c.ramp_start_s) {
    double end = t;
    if (c.ramp_stop_s > c.ramp_start_s && end > c.ramp_stop_s) end = c.ramp_stop_s;
    ramp = c.rocof_hz_s * (end - c.ramp_start_s);
  }
  return nominal_hz_ + static_cast<double>(c.freq_offset_hz) + ramp;
}

double SyntheticFrontEnd::DeviationTurns(double t) const {
  const WaveformConfig& c = config_;
  double turns = static_cast<double>(c.freq_offset_hz) * t;
  if (c.rocof_hz_s != 0 && t > c.ramp_start_s) {
    const double t0 = c.ramp_start_s;
    const bool stops = c.ramp_stop_s > c.ramp_start_s;
    if (!stops || t <= c.ramp_stop_s) {
      turns += 0.5 * c.rocof_hz_s * (t - t0) * (t - t0);
    } else {
      const double d = static_cast<double>(c.ramp_stop_s) - t0;
      turns += 0.5 * c.rocof_hz_s * d * d + c.rocof_hz_s * d * (t - c.ramp_stop_s);
    }
  }
  return turns;
}

Status SyntheticFrontEnd::Read(std::int64_t first, std::span<hal::AnalogSample> out) {
  const WaveformConfig& c = config_;
  const std::int64_t fs = kSampleRate;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const std::int64_t k = first + static_cast<std::int64_t>(i);
    const std::int64_t n = k - start_;
    const double t = static_cast<double>(n) / kSampleRate;
    // Nominal rotation from the UTC grid, exact: (f0 k mod fs) / fs turns.
    const double nominal = Positive(k * nominal_hz_ % fs, fs) / static_cast<double>(fs);
    double turns = nominal + DeviationTurns(t);
    double gain = 1.0;
    if (c.mod_hz > 0) {
      const double m = std::cos(kTwoPi * c.mod_hz * t);
      gain += c.mod_amplitude * m;
      turns += (c.mod_phase_deg / 360.0) * -m;  // ka cos(wt - pi)
    }
    if (step_sample_ >= 0 && n >= step_sample_) {
      gain *= 1.0 + c.step_magnitude;
      turns += c.step_phase_deg / 360.0;
    }
    const std::uint64_t base = TurnsToFraction(turns);
    hal::AnalogSample s;
    for (std::size_t ch = 0; ch < hal::kAnalogChannels; ++ch) {
      const std::uint64_t theta = base + offset_turns_[ch];
      double v = CosTurns(theta);
      for (std::size_t h = 0; h < c.harmonic_count; ++h) {
        v += c.harmonics[h].fraction * CosTurns(theta * c.harmonics[h].order);
      }
      double counts = amplitude_[ch] * gain * v;
      if (c.noise > 0) {
        counts += c.noise * (kFullScaleCounts / kHeadroom) / std::sqrt(2.0) * UnitNoise(c.seed, k, ch);
      }
      counts = std::nearbyint(counts);
      if (counts > 32767) counts = 32767;
      if (counts < -32768) counts = -32768;
      s.counts[ch] = static_cast<std::int16_t>(counts);
    }
    out[i] = s;
  }
  return Status::Ok();
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
  const bool ramping = c.rocof_hz_s != 0 && t > c.ramp_start_s &&
                       !(c.ramp_stop_s > c.ramp_start_s && t > c.ramp_stop_s);
  v.rocof = ramping ? c.rocof_hz_s : 0.0;
  if (c.mod_hz > 0) {
    const double w = kTwoPi * c.mod_hz;
    v.rocof += (c.mod_phase_deg / 360.0) * w * w * std::cos(w * t);
  }
  return v;
}

}  // namespace pmu::firmware
