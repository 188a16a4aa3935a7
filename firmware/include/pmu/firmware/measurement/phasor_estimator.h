// The synchrophasor estimator, in the spirit of IEEE C37.118.1 (see
// docs/ARCHITECTURE.md "Measurement chain" for the design and docs/BENCHMARKS.md for
// its accuracy and cost).
//
// Each channel is demodulated by a cosine at nominal frequency whose phase is taken
// from the sample number (so the phasor is referenced to UTC), then low-pass filtered
// by two cascaded boxcars centred on the reporting instant. The usual window is a
// triangle, two boxcars of L = C nominal cycles (2L-1 samples; P class C = 1, M class
// C chosen from the reporting rate so the filter's first null is at or below the
// report Nyquist frequency): it has double zeros at every multiple of f0/C, so the 2f0
// image of the demodulation and every harmonic vanish at nominal frequency.
//
// Frequency and ROCOF come from the positive-sequence voltage phasor evaluated at the
// instant and d = L/2 samples either side: first and second central differences of
// its angle. Off nominal, the window's gain at the estimated deviation is divided out
// of every magnitude.
//
// The triangle and the look-ahead put the report (L-1+d)/fs after its instant: 24.6 ms
// in P class at 60 Hz, beyond C37.118.1's P-class reporting latency of 2/Fs at 120
// frames/s (16.7 ms; 29.6 ms against 20 ms at 50 Hz and 100 frames/s). At a rate where
// that latency is too long the P class uses a short window instead: a one-cycle boxcar
// and a half-cycle one (a trapezoid of 1.5 cycles: still a double zero at 2f0 and a
// zero at every harmonic, 12.1 ms of look-ahead at 60 Hz, 14.6 ms at 50 Hz), and
// frequency and ROCOF from the instant and three more half a cycle apart before it (a
// least-squares parabola through the four angles: exact for a linear ramp as the
// central differences are; the half-cycle spacing keeps the off-nominal 2f ripple out
// of the differences).
//
// Arithmetic: samples are 16-bit counts, weights whole numbers, the demodulation
// table Q24; a channel's sum is an int64 multiply-accumulate (SMLAL on a Cortex-M3),
// and only the dozen results per report are converted to float. No heap, no double.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "pmu/base/status.h"
#include "pmu/firmware/measurement/measurement_config.h"
#include "pmu/hal/analog_front_end.h"
#include "pmu_target_config.h"

namespace pmu::firmware {

// The longest window the estimator accepts (and the measurement's scratch buffer, 12
// bytes a sample): the target's PMU_MAX_WINDOW_SAMPLES, 1024 when it says nothing.
// 1024 holds every class at every standard rate (the longest, M class at 10 reports/s,
// uses 1023 samples at 2400 samples/s); 512 holds P class at every rate and M class
// from 20 reports/s, 256 M class from 40. A configuration whose window does not fit is
// refused when the measurement starts ("window longer than the estimator's buffer").
#ifndef PMU_MAX_WINDOW_SAMPLES
#define PMU_MAX_WINDOW_SAMPLES 1024
#endif
inline constexpr std::size_t kMaxWindowSamples = PMU_MAX_WINDOW_SAMPLES;

struct PhasorValue {
  float re = 0;  // rms, primary volts or amperes
  float im = 0;
};

struct Estimate {
  std::int64_t sample = 0;  // the reporting instant (sample number on the UTC grid)
  std::array<PhasorValue, hal::kAnalogChannels> phases{};  // VA VB VC IA IB IC
  PhasorValue v1;  // positive sequence
  PhasorValue i1;
  float frequency = 0;  // Hz
  float rocof = 0;      // Hz/s
  // false: the front end had no values for this instant (a played record that stopped);
  // the report says "data invalid" and its values are zero.
  bool valid = true;
};

struct EstimatorSettings {
  std::uint32_t nominal_hz = 60;
  std::uint32_t rate = 30;  // reports per second
  MeasurementClass measurement_class = MeasurementClass::kP;
};

class PhasorEstimator {
 public:
  // InvalidArgument for a nominal frequency other than 50/60 Hz, a rate that does not
  // divide the sample rate, a window longer than kMaxWindowSamples, or a P-class rate
  // that needs the short window on a sampling whose cycle is not a multiple of 4
  // samples (the trapezoid would not be symmetric about its instant).
  Status Configure(const EstimatorSettings& settings, const hal::AnalogFrontEnd& front_end);

  // Samples needed around the instant: the report for sample k needs samples
  // k - samples_before() .. k + samples_after(); its earliest time (its latency) is
  // samples_after() samples after k.
  std::uint32_t samples_before() const { return half_ + (backward_differences() ? 3 * offset_ : offset_); }
  std::uint32_t samples_after() const { return half_ + (backward_differences() ? 0 : offset_); }
  std::size_t window_size() const { return std::size_t{samples_before()} + samples_after() + 1; }
  std::uint32_t cycles() const { return cycles_; }  // C
  std::uint32_t samples_per_cycle() const { return n_; }
  std::uint32_t frequency_offset() const { return offset_; }  // d
  // The filter: boxcars of long_boxcar() and short_boxcar() samples (equal: the
  // triangle; the short window: N and N/2), taps() = their sum - 1.
  std::uint32_t long_boxcar() const { return cycles_ * n_; }
  std::uint32_t short_boxcar() const { return l2_; }
  std::uint32_t taps() const { return long_boxcar() + l2_ - 1; }
  // Frequency from the instant and d, 2d and 3d samples before it (the short window),
  // or from d either side.
  bool backward_differences() const { return l2_ < long_boxcar(); }
  const EstimatorSettings& settings() const { return settings_; }

  // `window` holds window_size() samples, the first being instant - samples_before().
  void Run(std::int64_t instant, std::span<const hal::AnalogSample> window, Estimate& out) const;

 private:
  // Filtered, demodulated value of `channel` centred on window[centre], which is the
  // absolute sample `sample` (the demodulation's phase comes from it); in counts
  // times weights times Q24 (not scaled).
  PhasorValue Demodulate(std::span<const hal::AnalogSample> window, std::size_t centre, std::size_t channel,
                         std::int64_t sample) const;

  EstimatorSettings settings_;
  std::uint32_t n_ = 40;       // samples per nominal cycle
  std::uint32_t cycles_ = 1;   // C
  std::uint32_t l2_ = 40;      // the second boxcar's length (the first is C N)
  std::uint32_t half_ = 39;    // (taps - 1) / 2: the window's reach either side of its centre
  std::uint32_t offset_ = 20;  // d
  float norm_[hal::kAnalogChannels] = {};  // sqrt(2) * scale / (l1 l2) / 2^24
  std::array<std::int32_t, 64> cos_q24_{};  // e^{-j 2 pi i / N}, i < N (N <= 48)
  std::array<std::int32_t, 64> sin_q24_{};
};

}  // namespace pmu::firmware
