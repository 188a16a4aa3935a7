// A fleet scenario: one grid event over time and the buses that see it, so that every
// device of a fleet (each playing one bus, ScenarioFrontEnd) reports one coherent event
// to the PDCs. The file format is docs/SCENARIOS.md; an example is
// sim/scenarios/interarea-fault.scn.
//
//   # comments; blank lines
//   nominal_hz = 60
//   repeat_s = 30                       # the event repeats (0: it happens once)
//   frequency = 0:60, 5:59.95, 12:60    # time_s:Hz points, linear between, flat outside
//   oscillation_hz = 0.4                # the mode (0: none) ...
//   oscillation_damping = 0.05          # ... its damping ratio (decay e^(-zeta w t))
//   oscillation_start_s = 2
//   fault_start_s = 8                   # a fault (duration 0: none)
//   fault_duration_s = 0.1
//   step_at_s = 15                      # a step (0: none)
//
//   [bus north]                         # one section per bus, in order (bus 1, 2, ...)
//   voltage = 132790                    # phase-to-neutral V rms
//   angle_deg = 0
//   current = 500
//   current_angle_deg = -30
//   oscillation_deg = 5                 # the mode's shape at this bus: amplitude ...
//   oscillation_phase_deg = 0           # ... and phase
//   fault_dip = 0.6                     # relative voltage dip during the fault
//   fault_jump_deg = -12                # phase jump during the fault
//   step_magnitude = 0.02               # relative magnitude step at step_at_s
//   step_angle_deg = 1                  # angle step at step_at_s
//
// Parsed one line at a time (a board reads it from its playback area); errors name the
// line, the key and the reason. Pure code: no I/O, no heap.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "pmu/base/fixed_string.h"

namespace pmu::firmware {

inline constexpr std::size_t kMaxScenarioBuses = 32;
inline constexpr std::size_t kMaxFrequencyPoints = 16;

struct FrequencyPoint {
  double time_s = 0;
  double hz = 0;
};

// Zero-initialised (so a static Scenario costs no initialised data on a board); the
// parser gives each new bus the documented defaults (ScenarioBus::Defaults).
struct ScenarioBus {
  FixedString<32> name;
  double voltage = 0;       // V rms, phase to neutral (default 132790)
  double angle_deg = 0;
  double current = 0;       // A rms (default 500)
  double current_angle_deg = 0;  // (default -30)
  double oscillation_deg = 0;
  double oscillation_phase_deg = 0;
  double fault_dip = 0;
  double fault_jump_deg = 0;
  double step_magnitude = 0;
  double step_angle_deg = 0;

  static ScenarioBus Defaults() {
    ScenarioBus b;
    b.voltage = 132790;
    b.current = 500;
    b.current_angle_deg = -30;
    return b;
  }
};

struct Scenario {
  std::uint32_t nominal_hz = 0;  // the parser starts it at 60
  double repeat_s = 0;
  std::array<FrequencyPoint, kMaxFrequencyPoints> frequency{};
  std::size_t frequency_points = 0;  // 0: nominal throughout
  double oscillation_hz = 0;
  double oscillation_damping = 0;
  double oscillation_start_s = 0;
  double fault_start_s = 0;
  double fault_duration_s = 0;
  double step_at_s = 0;
  std::array<ScenarioBus, kMaxScenarioBuses> buses{};
  std::size_t bus_count = 0;

  // The bus named `name`, or at 1-based position `name`; kMaxScenarioBuses if none.
  std::size_t FindBus(std::string_view name) const;
};

struct ScenarioError {
  unsigned line = 0;
  const char* key = nullptr;  // nullptr: the line as a whole
  const char* reason = nullptr;
  bool ok() const { return reason == nullptr; }
};

// "scenario line 7, key fault_dip: must be 0 to 1".
FixedString<160> DescribeScenarioError(const ScenarioError& e);

class ScenarioParser {
 public:
  explicit ScenarioParser(Scenario& out) : s_(out) {
    s_ = Scenario{};
    s_.nominal_hz = 60;
  }
  ScenarioError Line(std::string_view text);  // without its line end
  ScenarioError Finish() const;               // rules between keys; at least one bus

 private:
  ScenarioError SetEvent(std::string_view key, std::string_view value);
  ScenarioError SetBus(ScenarioBus& bus, std::string_view key, std::string_view value);
  ScenarioError Fail(const char* key, const char* reason) const { return {line_, key, reason}; }
  // A decimal key of a table, checked against its range; `unknown` when none matches.
  struct ScenarioField {
    const char* key;
    double* into;
    double min, max;
    const char* reason;
  };
  ScenarioError SetField(std::span<const ScenarioField> fields, std::string_view key, std::string_view value,
                         const char* unknown) const;

  Scenario& s_;
  unsigned line_ = 0;
  bool in_bus_ = false;
};

ScenarioError ParseScenario(std::string_view text, Scenario& out);

}  // namespace pmu::firmware
