#include "pmu/firmware/measurement/scenario_front_end.h"

#include <cmath>

#include "pmu/firmware/measurement/trig_table.h"

namespace pmu::firmware {
namespace {

constexpr double kTwoPi = 6.283185307179586476925286766559;
constexpr double kTwo64 = 18446744073709551616.0;
constexpr double kHeadroom = 2.0;  // as the synthesiser: room for steps and swings
constexpr double kFullScale = 32767.0;

std::uint64_t TurnsToFraction(double turns) {
  const double f = (turns - std::floor(turns)) * kTwo64;
  return f < kTwo64 ? static_cast<std::uint64_t>(f) : 0;
}

}  // namespace

Status ScenarioFrontEnd::Configure(const Scenario& scenario, std::size_t bus, std::int64_t zero) {
  if (bus >= scenario.bus_count) return InvalidArgument("the scenario has no such bus");
  scenario_ = scenario;
  bus_ = bus;
  zero_ = zero;
  const ScenarioBus& b = scenario_.buses[bus_];
  for (std::size_t ch = 0; ch < hal::kAnalogChannels; ++ch) {
    const double rms = ch < 3 ? b.voltage : b.current;
    scale_[ch] = static_cast<float>(kHeadroom * std::sqrt(2.0) * rms / kFullScale);
  }
  period_turns_ = scenario_.repeat_s > 0 ? FrequencyIntegral(scenario_.repeat_s) : 0;
  return Status::Ok();
}

float ScenarioFrontEnd::scale(std::size_t channel) const {
  return channel < hal::kAnalogChannels ? scale_[channel] : 0.0f;
}

double ScenarioFrontEnd::FrequencyAt(double t, double* slope) const {
  *slope = 0;
  const std::size_t n = scenario_.frequency_points;
  if (n == 0) return scenario_.nominal_hz;
  const FrequencyPoint* p = scenario_.frequency.data();
  if (t <= p[0].time_s) return p[0].hz;
  for (std::size_t i = 1; i < n; ++i) {
    if (t <= p[i].time_s) {
      *slope = (p[i].hz - p[i - 1].hz) / (p[i].time_s - p[i - 1].time_s);
      return p[i - 1].hz + *slope * (t - p[i - 1].time_s);
    }
  }
  return p[n - 1].hz;
}

// The integral of (f - f0) from 0 to t over the piecewise-linear trajectory (flat
// before its first point and after its last): exact, so any sample is computed alone.
double ScenarioFrontEnd::FrequencyIntegral(double t) const {
  const double f0 = scenario_.nominal_hz;
  const std::size_t n = scenario_.frequency_points;
  if (n == 0) return 0;
  const FrequencyPoint* p = scenario_.frequency.data();
  // F(x): integral from the first point's time (or 0, whichever is earlier) to x.
  auto integral = [&](double x) {
    double sum = 0;
    const double at = p[0].time_s;  // the trajectory is flat before it: start there
    if (x <= p[0].time_s) return (x - at) * (p[0].hz - f0);
    sum += (p[0].time_s - at) * (p[0].hz - f0);
    for (std::size_t i = 1; i < n; ++i) {
      const double a = p[i - 1].time_s, b = p[i].time_s;
      const double end = x < b ? x : b;
      const double fa = p[i - 1].hz - f0;
      const double slope = (p[i].hz - p[i - 1].hz) / (b - a);
      sum += (end - a) * (fa + 0.5 * slope * (end - a));
      if (x <= b) return sum;
    }
    return sum + (x - p[n - 1].time_s) * (p[n - 1].hz - f0);
  };
  return integral(t) - integral(0);
}

ScenarioFrontEnd::Shape ScenarioFrontEnd::At(double t) const {
  const Scenario& s = scenario_;
  const ScenarioBus& b = s.buses[bus_];
  Shape shape;
  // The event's own time: within the current repeat.
  double u = t;
  double whole_turns = 0;
  if (s.repeat_s > 0) {
    const double n = std::floor(t / s.repeat_s);
    u = t - n * s.repeat_s;
    whole_turns = n * period_turns_;
  }
  shape.turns = whole_turns + FrequencyIntegral(u);
  double slope = 0;
  shape.hz = FrequencyAt(u, &slope) - s.nominal_hz;
  shape.rocof = slope;
  double degrees = b.angle_deg;
  if (s.oscillation_hz > 0 && u >= s.oscillation_start_s && b.oscillation_deg != 0) {
    const double w = kTwoPi * s.oscillation_hz;
    const double sigma = s.oscillation_damping * w;
    const double v = u - s.oscillation_start_s;
    // The swing's sine and cosine from the Q30 table and its decay in float: double
    // sin, cos and exp would bring double libm into the board's image for this alone.
    const CosSin cs = CosSinQ30(TurnsToFraction(s.oscillation_hz * v + b.oscillation_phase_deg / 360.0));
    const double sin_phase = cs.sin * (1.0 / kQ30One), cos_phase = cs.cos * (1.0 / kQ30One);
    const double e = b.oscillation_deg * std::exp(static_cast<float>(-sigma * v));
    degrees += e * sin_phase;
    shape.hz += e * (w * cos_phase - sigma * sin_phase) / 360.0;
    shape.rocof += e * ((sigma * sigma - w * w) * sin_phase - 2 * sigma * w * cos_phase) / 360.0;
  }
  if (s.fault_duration_s > 0 && u >= s.fault_start_s && u < s.fault_start_s + s.fault_duration_s) {
    shape.gain *= 1.0 - b.fault_dip;
    degrees += b.fault_jump_deg;
  }
  if (s.step_at_s > 0 && u >= s.step_at_s) {
    shape.gain *= 1.0 + b.step_magnitude;
    degrees += b.step_angle_deg;
  }
  shape.turns += degrees / 360.0;
  return shape;
}

Status ScenarioFrontEnd::Read(std::int64_t first, std::span<hal::AnalogSample> out) {
  const ScenarioBus& b = scenario_.buses[bus_];
  const std::int64_t fs = kSampleRate;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const std::int64_t k = first + static_cast<std::int64_t>(i);
    const Shape shape = At(static_cast<double>(k - zero_) / kSampleRate);
    std::int64_t r = (k * scenario_.nominal_hz) % fs;
    if (r < 0) r += fs;
    // Nominal rotation from the UTC grid (exact), then the deviation.
    const std::uint64_t base = TurnsToFraction(static_cast<double>(r) / fs + shape.turns);
    hal::AnalogSample& s = out[i];
    for (std::size_t ch = 0; ch < hal::kAnalogChannels; ++ch) {
      const bool current = ch >= 3;
      double turns = -static_cast<double>(ch % 3) / 3.0;
      if (current) turns += b.current_angle_deg / 360.0;
      const double peak = (kFullScale / kHeadroom) * shape.gain;
      double counts = std::nearbyint(peak * CosTurns(base + TurnsToFraction(turns)));
      if (counts > 32767) counts = 32767;
      if (counts < -32768) counts = -32768;
      s.counts[ch] = static_cast<std::int16_t>(counts);
    }
  }
  return Status::Ok();
}

TrueValue ScenarioFrontEnd::Truth(std::size_t channel, double t) const {
  const ScenarioBus& b = scenario_.buses[bus_];
  const Shape shape = At(t);
  const bool current = channel == 7 || (channel >= 3 && channel < 6);
  const double phase = channel < 6 ? static_cast<double>(channel % 3) : 0.0;
  TrueValue v;
  v.magnitude = (current ? b.current : b.voltage) * shape.gain;
  double turns = shape.turns - phase / 3.0 + (current ? b.current_angle_deg / 360.0 : 0.0);
  v.angle = std::remainder(turns * kTwoPi, kTwoPi);
  v.frequency = scenario_.nominal_hz + shape.hz;
  v.rocof = shape.rocof;
  return v;
}

}  // namespace pmu::firmware
