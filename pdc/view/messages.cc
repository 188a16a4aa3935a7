#include "messages.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "archive/record.h"

namespace pmu::pdc::view {
namespace {

constexpr double kRadToDeg = 57.29577951308232;

using archive::AppendJsonString;

std::string Upper(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '_' || c == ' ' || c == '-') continue;
    out += static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  }
  return out;
}

std::string ComponentFromName(std::string_view raw, char quantity) {
  std::string n = Upper(raw);
  if (n.empty() || n[0] != quantity) return "";
  n.erase(0, 1);
  if (n == "A" || n == "AN" || n == "AG" || n == "PHA") return "a";
  if (n == "B" || n == "BN" || n == "BG" || n == "PHB") return "b";
  if (n == "C" || n == "CN" || n == "CG" || n == "PHC") return "c";
  if (n == "1" || n == "+" || n == "POS" || n == "P" || n == "PS" || n == "SEQ+") return "pos";
  if (n == "2" || n == "NEG" || n == "N" || n == "NS") return "neg";
  if (n == "0" || n == "ZERO" || n == "Z" || n == "ZS") return "zero";
  return "";
}

template <typename T>
void AppendShortest(std::string& out, T v) {
  char buf[40];
  const auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out.append(buf, r.ptr);
}

void AppendFloat(std::string& out, float v) {
  if (std::isnan(v) || std::isinf(v)) {
    out += "null";
  } else {
    AppendShortest(out, v);
  }
}

void AppendFixed(std::string& out, const char* format, double v) {
  if (std::isnan(v) || std::isinf(v)) {
    out += "null";
    return;
  }
  char buf[48];
  std::snprintf(buf, sizeof(buf), format, v);
  out += buf;
}

void AppendPmuConfig(std::string& out, const p::ConfigFrame& c) {
  const p::PmuConfig& pmu = c.pmus[0];
  char buf[200];
  std::snprintf(buf, sizeof(buf),
                ", \"known\": true, \"idcode\": %u, \"cfgcnt\": %u, \"frame\": \"%s\", \"data_rate\": %d, "
                "\"fnom\": %d, \"blocks\": %u, \"station\": ",
                pmu.idcode, pmu.config_count, c.type == p::FrameType::kConfig3 ? "CFG-3" : "CFG-2", c.data_rate,
                pmu.nominal_frequency == p::NominalFrequency::k50Hz ? 50 : 60, c.pmu_count);
  out += buf;
  AppendJsonString(out, p::TrimName(pmu.station_name));
  out += ", \"phasors\": [";
  for (std::size_t k = 0; k < pmu.phasor_count; ++k) {
    const PhasorRole role = RolePhasor(c, 0, k);
    out += k ? ", {\"name\": " : "{\"name\": ";
    AppendJsonString(out, p::TrimName(pmu.phasor_names[k]));
    out += std::string(", \"unit\": \"") + (role.quantity == 'I' ? "A" : "V") + "\", \"role\": \"" + role.component + "\"}";
  }
  out += "], \"analogs\": [";
  for (std::size_t k = 0; k < pmu.analog_count; ++k) {
    if (k) out += ", ";
    AppendJsonString(out, p::TrimName(pmu.analog_names[k]));
  }
  out += "], \"digitals\": [";
  for (std::size_t k = 0; k < pmu.digital_count * p::kDigitalBitsPerWord; ++k) {
    if (k) out += ", ";
    AppendJsonString(out, p::TrimName(pmu.digital_names[k]));
  }
  out += "]";
}

}  // namespace

PhasorRole RolePhasor(const p::ConfigFrame& c, std::size_t i, std::size_t k) {
  const p::PmuConfig& pmu = c.pmus[i];
  PhasorRole role;
  if (c.type == p::FrameType::kConfig3) {
    const std::uint8_t type = pmu.phasor_scales[k].type;
    role.quantity = (type & 0x08) ? 'I' : 'V';
    switch (type & 0x07) {
      case 0: role.component = "zero"; break;
      case 1: role.component = "pos"; break;
      case 2: role.component = "neg"; break;
      case 4: role.component = "a"; break;
      case 5: role.component = "b"; break;
      case 6: role.component = "c"; break;
      default: break;
    }
    // Some PMUs leave the component 0; their names may still say more.
    if (role.component == "zero") {
      const std::string named = ComponentFromName(p::TrimName(pmu.phasor_names[k]), role.quantity);
      if (!named.empty()) role.component = named;
    }
    return role;
  }
  role.quantity = pmu.phasor_units[k].kind == p::PhasorKind::kCurrent ? 'I' : 'V';
  role.component = ComponentFromName(p::TrimName(pmu.phasor_names[k]), role.quantity);
  return role;
}

std::string ConfigMessage(std::span<const observe::Source> sources, std::span<const SourceConfig> configs, int rate) {
  std::string out = "{\"type\": \"config\", \"rate\": " + std::to_string(rate) + ", \"pmus\": [";
  for (std::size_t i = 0; i < sources.size(); ++i) {
    out += i ? ", {\"source\": " : "{\"source\": ";
    out += std::to_string(i) + ", \"label\": ";
    AppendJsonString(out, sources[i].label);
    if (i < configs.size() && configs[i].frame) {
      AppendPmuConfig(out, *configs[i].frame);
    } else {
      out += ", \"known\": false, \"idcode\": " + std::to_string(sources[i].idcode);
    }
    out += "}";
  }
  return out + "]}";
}

std::int64_t StaleAfterMs(int rate) {
  const std::int64_t three_reports = rate > 0 ? 3000 / rate : 3000;
  return std::max<std::int64_t>(500, three_reports);
}

std::string StatusMessage(std::span<const SourceStatus> status, std::span<const SourceConfig> configs, int rate,
                          std::uint64_t sets, std::int64_t now_us) {
  std::string out = "{\"type\": \"status\", \"now_us\": " + std::to_string(now_us) + ", \"sets\": " +
                    std::to_string(sets) + ", \"stale_after_ms\": " + std::to_string(StaleAfterMs(rate)) +
                    ", \"pmus\": [";
  for (std::size_t i = 0; i < status.size(); ++i) {
    const SourceStatus& s = status[i];
    const bool configured = i < configs.size() && configs[i].frame;
    const char* state = s.link_down                          ? "down"
                        : !configured                        ? "connecting"
                        : s.age_ms < 0                       ? "waiting"
                        : s.age_ms > StaleAfterMs(rate)      ? "stale"
                                                             : "streaming";
    const observe::SourceCounters& c = s.counters;
    char buf[400];
    std::snprintf(buf, sizeof(buf),
                  "%s{\"state\": \"%s\", \"age_ms\": %lld, \"frames\": %llu, \"late\": %llu, \"missing\": %llu, "
                  "\"duplicate\": %llu, \"corrupt\": %llu, \"reconnects\": %llu, \"config_reads\": %llu, "
                  "\"unreadable\": %llu, \"error\": ",
                  i ? ", " : "", state, static_cast<long long>(s.age_ms), static_cast<unsigned long long>(c.frames),
                  static_cast<unsigned long long>(c.late), static_cast<unsigned long long>(c.missing),
                  static_cast<unsigned long long>(c.duplicate), static_cast<unsigned long long>(c.corrupt),
                  static_cast<unsigned long long>(c.reconnects), static_cast<unsigned long long>(c.config_reads),
                  static_cast<unsigned long long>(c.unreadable));
    out += buf;
    AppendJsonString(out, s.error);
    out += "}";
  }
  return out + "]}";
}

bool DecodeForView(std::uint16_t source, std::span<const std::byte> frame, const SourceConfig& config,
                   p::DataFrame& scratch, SetValues::Pmu& out) {
  if (!config.frame || !p::DecodeData(frame, *config.frame, scratch).ok()) return false;
  const p::ConfigFrame& c = *config.frame;
  const p::PmuConfig& pmu = c.pmus[0];
  const p::PmuData& d = scratch.pmus[0];
  out.source = source;
  out.stat = d.stat;
  out.freq = p::FrequencyHz(c, 0, d).value_or(NAN);
  out.rocof = p::RocofHzPerSecond(c, 0, d).value_or(NAN);
  out.phasors.clear();
  for (std::size_t k = 0; k < pmu.phasor_count; ++k) {
    const auto v = p::ScalePhasor(c, 0, k, d.phasors[k]);
    out.phasors.push_back(v.ok() ? static_cast<float>(v->magnitude) : NAN);
    out.phasors.push_back(v.ok() ? static_cast<float>(v->angle * kRadToDeg) : NAN);
  }
  out.analogs.clear();
  for (std::size_t k = 0; k < pmu.analog_count; ++k) {
    out.analogs.push_back(static_cast<float>(p::ScaleAnalog(c, 0, k, d.analogs[k]).value_or(NAN)));
  }
  out.digitals.assign(d.digitals.begin(), d.digitals.begin() + pmu.digital_count);
  return true;
}

std::string SetsMessage(std::span<const SetValues> sets, unsigned decimate) {
  std::string out = "{\"type\": \"sets\", \"sets\": [";
  bool first_set = true;
  for (const SetValues& s : sets) {
    if (decimate > 1 && s.key % decimate != 0) continue;
    out += first_set ? "{\"t\": " : ", {\"t\": ";
    first_set = false;
    out += std::to_string(s.time_us) + ", \"p\": [";
    for (std::size_t i = 0; i < s.pmus.size(); ++i) {
      const SetValues::Pmu& m = s.pmus[i];
      out += i ? ", [" : "[";
      out += std::to_string(m.source) + ", " + std::to_string(m.stat) + ", ";
      AppendFixed(out, "%.6f", m.freq);  // as pdc c37 stream prints it
      out += ", ";
      AppendFixed(out, "%.5f", m.rocof);
      out += ", [";
      for (std::size_t k = 0; k < m.phasors.size(); ++k) {
        if (k) out += ",";
        AppendFloat(out, m.phasors[k]);
      }
      out += "], [";
      for (std::size_t k = 0; k < m.analogs.size(); ++k) {
        if (k) out += ",";
        AppendFloat(out, m.analogs[k]);
      }
      out += "], [";
      for (std::size_t k = 0; k < m.digitals.size(); ++k) {
        if (k) out += ",";
        out += std::to_string(m.digitals[k]);
      }
      out += "]]";
    }
    out += "]}";
  }
  return out + "]}";
}

}  // namespace pmu::pdc::view
