#include "pmu/firmware/measurement/scenario.h"

#include <cmath>

namespace pmu::firmware {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// [-]digits[.digits]: the scenario's numbers, without the C library.
bool ParseValue(std::string_view s, double* out) {
  bool negative = false;
  if (!s.empty() && (s.front() == '-' || s.front() == '+')) {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  double v = 0, unit = 1;
  std::size_t i = 0, digits = 0;
  for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, ++digits) {
    if (digits > 12) return false;
    v = v * 10 + (s[i] - '0');
  }
  if (i < s.size() && s[i] == '.') {
    for (++i; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, ++digits) {
      unit /= 10;
      v += (s[i] - '0') * unit;
    }
  }
  if (i != s.size() || digits == 0) return false;
  *out = negative ? -v : v;
  return true;
}

}  // namespace

std::size_t Scenario::FindBus(std::string_view name) const {
  for (std::size_t i = 0; i < bus_count; ++i) {
    if (buses[i].name.view() == name) return i;
  }
  std::size_t n = 0;
  for (char c : name) {
    if (c < '0' || c > '9' || n > kMaxScenarioBuses) return kMaxScenarioBuses;
    n = n * 10 + static_cast<std::size_t>(c - '0');
  }
  return n >= 1 && n <= bus_count ? n - 1 : kMaxScenarioBuses;
}

FixedString<160> DescribeScenarioError(const ScenarioError& e) {
  FixedString<160> t;
  t.Format("scenario line %u", e.line);
  if (e.key != nullptr) t.Format(", key %s", e.key);
  t.Format(": %s", e.reason != nullptr ? e.reason : "no error");
  return t;
}

ScenarioError ScenarioParser::Line(std::string_view text) {
  ++line_;
  if (const std::size_t hash = text.find('#'); hash != std::string_view::npos) text = text.substr(0, hash);
  text = Trim(text);
  if (text.empty()) return {};
  if (text.front() == '[') {
    if (text.back() != ']' || text.size() < 6 || text.substr(1, 4) != "bus ") {
      return Fail(nullptr, "a section is [bus NAME]");
    }
    const std::string_view name = Trim(text.substr(5, text.size() - 6));
    if (name.empty() || name.size() > 32) return Fail(nullptr, "a bus name is 1 to 32 characters");
    for (char c : name) {
      if (c <= 0x20 || c > 0x7E || c == ',' || c == '=') return Fail(nullptr, "a bus name is printable, without spaces");
    }
    if (s_.FindBus(name) != kMaxScenarioBuses && s_.buses[s_.FindBus(name)].name.view() == name) {
      return Fail(nullptr, "a bus of that name comes earlier");
    }
    if (s_.bus_count == kMaxScenarioBuses) return Fail(nullptr, "more buses than a scenario holds (32)");
    s_.buses[s_.bus_count] = ScenarioBus::Defaults();
    s_.buses[s_.bus_count++].name = FixedString<32>(name);
    in_bus_ = true;
    return {};
  }
  const std::size_t eq = text.find('=');
  if (eq == std::string_view::npos) return Fail(nullptr, "expected 'key = value' or [bus NAME]");
  const std::string_view key = Trim(text.substr(0, eq)), value = Trim(text.substr(eq + 1));
  return in_bus_ ? SetBus(s_.buses[s_.bus_count - 1], key, value) : SetEvent(key, value);
}

ScenarioError ScenarioParser::SetEvent(std::string_view key, std::string_view value) {
  if (key == "nominal_hz") {
    if (value != "50" && value != "60") return Fail("nominal_hz", "must be 50 or 60");
    s_.nominal_hz = value == "50" ? 50 : 60;
    return {};
  }
  if (key == "frequency") {
    s_.frequency_points = 0;
    while (!value.empty()) {
      const std::size_t comma = value.find(',');
      const std::string_view item = Trim(value.substr(0, comma));
      value = comma == std::string_view::npos ? std::string_view() : value.substr(comma + 1);
      const std::size_t colon = item.find(':');
      FrequencyPoint p;
      if (colon == std::string_view::npos || !ParseValue(Trim(item.substr(0, colon)), &p.time_s) ||
          !ParseValue(Trim(item.substr(colon + 1)), &p.hz)) {
        return Fail("frequency", "must be time_s:Hz points separated by commas, like 0:60, 5:59.95");
      }
      if (s_.frequency_points == kMaxFrequencyPoints) return Fail("frequency", "has more than 16 points");
      if (s_.frequency_points > 0 && p.time_s <= s_.frequency[s_.frequency_points - 1].time_s) {
        return Fail("frequency", "times must increase");
      }
      s_.frequency[s_.frequency_points++] = p;
    }
    if (s_.frequency_points == 0) return Fail("frequency", "needs at least one point");
    return {};
  }
  const ScenarioField fields[] = {
      {"repeat_s", &s_.repeat_s, 0, 86400, "must be 0 to 86400 s"},
      {"oscillation_hz", &s_.oscillation_hz, 0, 5, "must be 0 to 5 Hz"},
      {"oscillation_damping", &s_.oscillation_damping, 0, 1, "must be 0 to 1 (a damping ratio)"},
      {"oscillation_start_s", &s_.oscillation_start_s, 0, 86400, "must be 0 to 86400 s"},
      {"fault_start_s", &s_.fault_start_s, 0, 86400, "must be 0 to 86400 s"},
      {"fault_duration_s", &s_.fault_duration_s, 0, 10, "must be 0 to 10 s"},
      {"step_at_s", &s_.step_at_s, 0, 86400, "must be 0 to 86400 s"},
  };
  return SetField(fields, key, value, "unknown key before the first [bus NAME]");
}

ScenarioError ScenarioParser::SetField(std::span<const ScenarioField> fields, std::string_view key,
                                       std::string_view value, const char* unknown) const {
  for (const ScenarioField& f : fields) {
    if (key != f.key) continue;
    double v = 0;
    if (!ParseValue(value, &v)) return Fail(f.key, "must be a decimal number like -1.25");
    if (v < f.min || v > f.max) return Fail(f.key, f.reason);
    *f.into = v;
    return {};
  }
  return Fail(nullptr, unknown);
}

ScenarioError ScenarioParser::SetBus(ScenarioBus& b, std::string_view key, std::string_view value) {
  const ScenarioField fields[] = {
      {"voltage", &b.voltage, 1, 1e6, "must be 1 to 1000000 V"},
      {"angle_deg", &b.angle_deg, -180, 180, "must be -180 to 180 degrees"},
      {"current", &b.current, 0.001, 1e5, "must be 0.001 to 100000 A"},
      {"current_angle_deg", &b.current_angle_deg, -180, 180, "must be -180 to 180 degrees"},
      {"oscillation_deg", &b.oscillation_deg, 0, 90, "must be 0 to 90 degrees"},
      {"oscillation_phase_deg", &b.oscillation_phase_deg, -180, 180, "must be -180 to 180 degrees"},
      {"fault_dip", &b.fault_dip, 0, 0.95, "must be 0 to 0.95"},
      {"fault_jump_deg", &b.fault_jump_deg, -90, 90, "must be -90 to 90 degrees"},
      {"step_magnitude", &b.step_magnitude, -0.5, 0.5, "must be -0.5 to 0.5"},
      {"step_angle_deg", &b.step_angle_deg, -90, 90, "must be -90 to 90 degrees"},
  };
  return SetField(fields, key, value, "unknown key in a [bus] section");
}

ScenarioError ScenarioParser::Finish() const {
  if (s_.bus_count == 0) return {line_, nullptr, "the scenario has no [bus NAME] section"};
  for (std::size_t i = 0; i < s_.frequency_points; ++i) {
    if (std::fabs(s_.frequency[i].hz - s_.nominal_hz) >= s_.nominal_hz / 5.0) {
      return {line_, "frequency", "must stay within a fifth of nominal_hz"};
    }
  }
  if (s_.repeat_s > 0 && s_.frequency_points > 0 && s_.frequency[s_.frequency_points - 1].time_s > s_.repeat_s) {
    return {line_, "frequency", "has points after repeat_s"};
  }
  return {};
}

ScenarioError ParseScenario(std::string_view text, Scenario& out) {
  ScenarioParser parser(out);
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    if (const ScenarioError e = parser.Line(text.substr(0, nl)); !e.ok()) return e;
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
  }
  return parser.Finish();
}

}  // namespace pmu::firmware
