// Engineering values of C37.118.2 data, for the PDC. A file of its own so that the
// device, which never scales received data, does not link the maths library for it.
#include <algorithm>
#include <cmath>

#include "pmu/proto/c37118.h"

namespace pmu::proto::c37118 {
namespace {

constexpr Status kPmuIndex = OutOfRange("PMU index beyond the configuration");
constexpr Status kPhasorIndex = OutOfRange("phasor index beyond the configuration");
constexpr Status kAnalogIndex = OutOfRange("analog index beyond the configuration");

constexpr double kPhunitPerBit = 1e-5;     // PHUNIT: 1e-5 V or A per bit
constexpr double kIntAnglePerBit = 1e-4;   // polar integer angle: 1e-4 rad per bit
constexpr double kIntFreqPerBit = 1e-3;    // FREQ: mHz
constexpr double kIntRocofPerBit = 1e-2;   // DFREQ: ROCOF * 100

constexpr double kMaxPhunit = 0xFFFFFF;                         // unsigned 24 bits
constexpr double kMinAnunit = -0x800000, kMaxAnunit = 0x7FFFFF;  // signed 24 bits
constexpr std::uint8_t kPhasorTypeCurrent = 0x08;  // PHSCALE type bit 3

// `scale` (a float of CFG-3) is `whole` units of `unit` within a millionth: a float
// holds about 7 digits, so a PMU's own conversion of its integer factor stays inside.
bool OnGrid(double scale, double whole, double unit) {
  return std::fabs(whole * unit - scale) <= 1e-6 * std::fabs(scale);
}

const PmuConfig* FindPmu(const ConfigFrame& config, std::size_t pmu) {
  if (pmu >= config.pmu_count || pmu >= kMaxPmus) return nullptr;
  return &config.pmus[pmu];
}

}  // namespace

Result<PolarValue> ScalePhasor(const ConfigFrame& config, std::size_t pmu, std::size_t index,
                               const Phasor& value) {
  const PmuConfig* p = FindPmu(config, pmu);
  if (p == nullptr) return kPmuIndex;
  if (index >= p->phasor_count || index >= kMaxPhasors) return kPhasorIndex;
  const double a = value.first, b = value.second;
  PolarValue v;
  if (p->format.polar) {
    v.magnitude = a;
    v.angle = p->format.phasor_float ? b : b * kIntAnglePerBit;
  } else {
    v.magnitude = std::hypot(a, b);
    v.angle = std::atan2(b, a);
  }
  if (config.type == FrameType::kConfig3) {
    v.magnitude *= p->phasor_scales[index].magnitude_scale;
    v.angle += p->phasor_scales[index].angle_offset;
  } else if (!p->format.phasor_float) {
    v.magnitude *= p->phasor_units[index].scale * kPhunitPerBit;
  }
  return v;
}

Result<double> ScaleAnalog(const ConfigFrame& config, std::size_t pmu, std::size_t index, float value) {
  const PmuConfig* p = FindPmu(config, pmu);
  if (p == nullptr) return kPmuIndex;
  if (index >= p->analog_count || index >= kMaxAnalogs) return kAnalogIndex;
  if (config.type == FrameType::kConfig3) {
    return static_cast<double>(value) * p->analog_scales[index].scale + p->analog_scales[index].offset;
  }
  const std::int32_t factor = p->analog_units[index].scale;
  if (p->format.analog_float || factor == 0) return static_cast<double>(value);
  return static_cast<double>(value) * factor;
}

bool CompleteScales(PmuConfig& p, FrameType decoded_from) {
  if (decoded_from != FrameType::kConfig3) {
    for (std::size_t i = 0; i < p.phasor_count && i < kMaxPhasors; ++i) {
      const PhasorUnit& u = p.phasor_units[i];
      const bool current = u.kind == PhasorKind::kCurrent;
      const float scale = p.format.phasor_float ? 1.0f : static_cast<float>(u.scale * kPhunitPerBit);
      p.phasor_scales[i] = {0, current ? kPhasorTypeCurrent : std::uint8_t{0}, 0, scale, 0};
    }
    for (std::size_t i = 0; i < p.analog_count && i < kMaxAnalogs; ++i) {
      const std::int32_t factor = p.analog_units[i].scale;
      const bool none = p.format.analog_float || factor == 0;
      p.analog_scales[i] = {none ? 1.0f : static_cast<float>(factor), 0.0f};
    }
    return true;
  }
  bool exact = true;
  for (std::size_t i = 0; i < p.phasor_count && i < kMaxPhasors; ++i) {
    const PhasorScale& s = p.phasor_scales[i];
    const double whole = std::clamp(std::round(s.magnitude_scale / kPhunitPerBit), 0.0, kMaxPhunit);
    const auto kind = (s.type & kPhasorTypeCurrent) ? PhasorKind::kCurrent : PhasorKind::kVoltage;
    p.phasor_units[i] = {kind, p.format.phasor_float ? 0u : static_cast<std::uint32_t>(whole)};
    exact &= s.angle_offset == 0 && (p.format.phasor_float ? s.magnitude_scale == 1.0f
                                                           : OnGrid(s.magnitude_scale, whole, kPhunitPerBit));
  }
  for (std::size_t i = 0; i < p.analog_count && i < kMaxAnalogs; ++i) {
    const AnalogScale& s = p.analog_scales[i];
    const double whole = std::clamp(std::round(static_cast<double>(s.scale)), kMinAnunit, kMaxAnunit);
    p.analog_units[i] = {0, p.format.analog_float ? 1 : static_cast<std::int32_t>(whole)};
    exact &= s.offset == 0 && (p.format.analog_float ? s.scale == 1.0f : whole != 0 && OnGrid(s.scale, whole, 1.0));
  }
  return exact;
}

Result<double> FrequencyHz(const ConfigFrame& config, std::size_t pmu, const PmuData& data) {
  const PmuConfig* p = FindPmu(config, pmu);
  if (p == nullptr) return kPmuIndex;
  if (p->format.freq_float) return static_cast<double>(data.frequency);
  const double nominal = p->nominal_frequency == NominalFrequency::k50Hz ? 50.0 : 60.0;
  return nominal + data.frequency * kIntFreqPerBit;
}

Result<double> RocofHzPerSecond(const ConfigFrame& config, std::size_t pmu, const PmuData& data) {
  const PmuConfig* p = FindPmu(config, pmu);
  if (p == nullptr) return kPmuIndex;
  if (p->format.freq_float) return static_cast<double>(data.rocof);
  return data.rocof * kIntRocofPerBit;
}

}  // namespace pmu::proto::c37118
