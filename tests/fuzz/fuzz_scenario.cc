// Fuzzes the fleet scenario parser: no crash; an accepted scenario has its values in
// their documented ranges, and its front end plays any bus without a non-finite sample.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "pmu/firmware/measurement/scenario.h"
#include "pmu/firmware/measurement/scenario_front_end.h"

namespace {

pmu::firmware::Scenario g_scenario;
pmu::firmware::ScenarioFrontEnd g_front_end;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace pmu::firmware;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (!ParseScenario(text, g_scenario).ok()) return 0;
  const Scenario& s = g_scenario;
  if (s.bus_count == 0 || s.bus_count > kMaxScenarioBuses || (s.nominal_hz != 50 && s.nominal_hz != 60)) std::abort();
  for (std::size_t i = 0; i < s.bus_count; ++i) {
    const ScenarioBus& b = s.buses[i];
    if (!(b.voltage >= 1) || !(b.current > 0) || b.fault_dip < 0 || b.fault_dip > 0.95) std::abort();
    if (s.FindBus(b.name.view()) >= s.bus_count) std::abort();
  }
  if (!g_front_end.Configure(s, s.bus_count - 1, 1'795'000'000LL * 2400).ok()) std::abort();
  pmu::hal::AnalogSample samples[16];
  if (!g_front_end.Read(1'795'000'000LL * 2400 + static_cast<std::int64_t>(size) * 997, samples).ok()) std::abort();
  const TrueValue v = g_front_end.Truth(6, static_cast<double>(size % 50));
  if (!std::isfinite(v.magnitude) || !std::isfinite(v.angle) || !std::isfinite(v.frequency)) std::abort();
  return 0;
}
