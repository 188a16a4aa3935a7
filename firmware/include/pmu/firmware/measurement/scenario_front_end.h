// One bus of a fleet scenario (scenario.h) as an analog front end: the three-phase
// voltages and currents of that bus, a function of the device's UTC alone, so that
// every device of a fleet given the same scenario and time zero plays the same event
// at the same time stamps, each with its own bus's magnitudes and angles.
//
// At time t after the time zero (t mod repeat_s for the event when it repeats), phase p
// of the bus's voltage is
//   sqrt(2) V g(t) cos(2 pi f0 t_utc + 2 pi D(t) + a + o(t) + j(t) - p 120 deg)
// with D(t) the integral of (frequency trajectory - f0), a the bus angle, o(t) the
// mode's angle swing A e^(-zeta w u) sin(w u + psi) (u = t - oscillation_start_s,
// w = 2 pi oscillation_hz), j(t) the fault's phase jump while it lasts plus the step's
// angle after it, and g(t) the fault's dip (1 - dip) and the step's (1 + magnitude).
// The currents follow the same g and angles (a constant-impedance load) at their own
// magnitude and angle. Truth() is the analytic phasor, frequency and ROCOF.
//
// No cache: each sample is computed when read (a few microseconds on the host; the
// board's synthesiser is the cheaper choice there).
#pragma once

#include <cstdint>
#include <span>

#include "pmu/base/status.h"
#include "pmu/firmware/measurement/measurement_config.h"
#include "pmu/firmware/measurement/scenario.h"
#include "pmu/firmware/measurement/synthetic_front_end.h"
#include "pmu/hal/analog_front_end.h"

namespace pmu::firmware {

class ScenarioFrontEnd final : public hal::AnalogFrontEnd {
 public:
  // Plays bus `bus` (0-based) of `scenario`, whose time zero is sample `zero` of the
  // grid. InvalidArgument for a bus the scenario does not have.
  Status Configure(const Scenario& scenario, std::size_t bus, std::int64_t zero);

  std::uint32_t sample_rate() const override { return kSampleRate; }
  float scale(std::size_t channel) const override;
  Status Read(std::int64_t first, std::span<hal::AnalogSample> out) override;

  // The truth for `channel` (VA VB VC IA IB IC, then 6: V1, 7: I1) at `t_s` seconds
  // after the time zero.
  TrueValue Truth(std::size_t channel, double t_s) const;

 private:
  struct Shape {
    double gain = 1;
    double turns = 0;  // deviation from the nominal rotation, in turns
    double hz = 0;     // frequency deviation
    double rocof = 0;
  };
  Shape At(double t_s) const;
  double FrequencyIntegral(double t_s) const;  // of (f - f0) from 0, in turns
  double FrequencyAt(double t_s, double* slope) const;

  Scenario scenario_;
  std::size_t bus_ = 0;
  std::int64_t zero_ = 0;
  float scale_[hal::kAnalogChannels] = {};
  double period_turns_ = 0;  // the frequency integral over one repeat
};

}  // namespace pmu::firmware
