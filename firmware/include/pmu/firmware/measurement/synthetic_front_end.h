// The built-in analog front end: three-phase voltages and currents synthesised sample
// by sample from a WaveformConfig, as a 16-bit ADC would deliver them. It keeps no
// history: any sample number can be read at any time (the value is a function of the
// sample number), so the measurement can ask for a window at report time.
//
// Phases are 64-bit fractions of a turn, a polynomial in the sample number with integer
// coefficients (frequency offset, ramp, modulation: exact wrap-around however long the
// device runs, harmonics by integer multiplication); the cosine comes from a Q30 table
// with linear interpolation (error below 5e-6 of full scale); each sample's counts are
// fixed point (amplitudes Q16, gains Q28, the waveform Q30, in int64). Float only
// configures it. On a Cortex-M3 without FPU every float or double operation is a
// library call: the double synthesiser took 18,000 instructions a sample, this one
// about 2,000 (docs/BENCHMARKS.md, "Estimator cost on the board"). Each sample is
// synthesised when it is read (the measurement keeps the samples that overlapping
// windows share, so it reads each once). The waveform is deterministic given the
// configuration, its start sample and the noise seed, so the accuracy tests can
// compare with the analytic truth (Truth), which is computed independently, in
// double, from the configuration.
#pragma once

#include <cstdint>
#include <span>

#include "pmu/base/status.h"
#include "pmu/firmware/measurement/measurement_config.h"
#include "pmu/hal/analog_front_end.h"

namespace pmu::firmware {

// The analytic fundamental of one channel at one instant: rms magnitude and angle
// (radians) relative to a cosine at nominal frequency synchronised to UTC (IEEE
// C37.118.1 phasor convention), and the instantaneous frequency and ROCOF.
struct TrueValue {
  double magnitude = 0;
  double angle = 0;
  double frequency = 0;
  double rocof = 0;
};

class SyntheticFrontEnd : public hal::AnalogFrontEnd {
 public:
  SyntheticFrontEnd() = default;

  // Starts the waveform at sample `start` (its time zero) with nominal frequency
  // `nominal_hz`. Checks the configuration's ranges (InvalidArgument).
  Status Configure(const WaveformConfig& config, std::uint32_t nominal_hz, std::int64_t start);

  std::uint32_t sample_rate() const override { return kSampleRate; }
  float scale(std::size_t channel) const override;
  Status Read(std::int64_t first, std::span<hal::AnalogSample> out) override;

  // The truth for `channel` (hal::AnalogChannel order) at time `t_s` seconds after the
  // start; also the positive sequence of the voltages (channel 6) and currents (7).
  // The tests' oracle, in double; nothing on the device calls it. The ramp and the
  // step start on the sample nearest their configured times, here as in the samples.
  TrueValue Truth(std::size_t channel, double t_s) const;

  // The grid keeps true time: `shift(context)` says by how many ns true time is ahead
  // of the device's clock now, and the waveform is read that much later, so that a
  // clock error becomes a phase error (2 pi f error) as on a real PMU. The shift moves
  // the phase at the waveform's nominal-plus-offset frequency; ramps, modulation and
  // steps stay on the sample grid (their timing error is the clock error, below a
  // sample once synchronised). Without a shift the device's clock is the grid's.
  using TimeShift = std::int64_t (*)(void* context);
  void SetTimeShift(TimeShift shift, void* context) {
    time_shift_ = shift;
    time_shift_context_ = context;
  }

  std::int64_t start() const { return start_; }
  const WaveformConfig& config() const { return config_; }

 private:
  // Deviation of the fundamental's phase from the nominal rotation (offset and ramp)
  // at sample `n` after the start, in 2^-64 turns: a closed form, so any sample can be
  // computed alone.
  std::uint64_t DeviationQ64(std::int64_t n) const;
  // The same, and the frequency, in double for the truth.
  double DeviationTurns(double t) const;
  double FrequencyAt(double t_s) const;

  WaveformConfig config_;
  std::uint32_t nominal_hz_ = 60;
  std::int64_t start_ = 0;
  std::int32_t amplitude_q16_[hal::kAnalogChannels] = {};  // peak counts of the fundamental
  std::uint64_t offset_turns_[hal::kAnalogChannels] = {};  // angle, turns * 2^64
  float scale_[hal::kAnalogChannels] = {};
  // Phase coefficients in 2^-64 turns (two's complement when negative).
  std::uint64_t offset_step_ = 0;     // freq_offset_hz / fs per sample
  std::uint64_t ramp_half_step_ = 0;  // rocof / (2 fs^2) per sample squared
  std::int64_t ramp_start_ = 0;       // samples after the start
  std::int64_t ramp_stop_ = -1;       // -1: the ramp never stops
  std::uint64_t mod_step_ = 0;        // mod_hz / fs per sample; 0: no modulation
  std::int64_t mod_depth_q32_ = 0;    // ka in 2^-32 turns
  std::int32_t mod_gain_q28_ = 0;     // kx
  std::int32_t harmonic_q30_[kMaxHarmonics] = {};  // fractions of the fundamental (at most 0.5)
  std::int64_t noise_q38_ = 0;        // counts per unit of the noise hash's sum
  std::int64_t step_sample_ = -1;     // relative to the start; -1: no step
  std::uint64_t step_turns_ = 0;
  std::int32_t step_gain_q28_ = 1 << 28;
  std::uint32_t cycle_ = 40;          // samples per nominal cycle
  std::uint64_t shift_per_ns_ = 0;    // (nominal + offset) / 1e9 in 2^-64 turns
  TimeShift time_shift_ = nullptr;
  void* time_shift_context_ = nullptr;
};

}  // namespace pmu::firmware
