// Engineering values of C37.118.2 data, for the PDC. A file of its own so that the
// device, which never scales received data, does not link the maths library for it.
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
