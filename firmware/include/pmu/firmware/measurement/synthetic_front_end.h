// The built-in analog front end: three-phase voltages and currents synthesised sample
// by sample from a WaveformConfig, as a 16-bit ADC would deliver them. It keeps no
// history: any sample number can be read at any time (the value is a function of the
// sample number), so the measurement can ask for a window at report time.
//
// Phases are 64-bit fractions of a turn (exact wrap-around, harmonics by integer
// multiplication); the cosine comes from a 1024-entry Q30 table with linear
// interpolation (error below 5e-6 of full scale). Each sample is synthesised when it
// is read (the measurement keeps the samples that overlapping windows share, so it
// reads each once); its deviation phase and modulation are computed in double, which on a Cortex-M3 costs tens of microseconds
// per sample: acceptable for a simulation stand-in, replaced there by the ADC driver. The waveform is
// deterministic given the configuration, its start sample and the noise seed, so the
// accuracy tests can compare with the analytic truth (TruePhasor).
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
  TrueValue Truth(std::size_t channel, double t_s) const;

  std::int64_t start() const { return start_; }
  const WaveformConfig& config() const { return config_; }

 private:
  // Deviation of the fundamental's phase from the nominal rotation (offset and ramp),
  // in turns, `t` seconds after the start: a closed form, so any sample can be
  // computed alone, and the samples and the truth use the same one.
  double DeviationTurns(double t) const;
  double FrequencyAt(double t_s) const;

  WaveformConfig config_;
  std::uint32_t nominal_hz_ = 60;
  std::int64_t start_ = 0;
  double amplitude_[hal::kAnalogChannels] = {};         // peak counts of the fundamental
  std::uint64_t offset_turns_[hal::kAnalogChannels] = {};  // angle, turns * 2^64
  float scale_[hal::kAnalogChannels] = {};
  std::int64_t step_sample_ = -1;  // relative to the start; -1: no step
  std::uint64_t step_turns_ = 0;
};

}  // namespace pmu::firmware
