#include "format.h"

#include <cmath>
#include <cstdio>
#include <ctime>
#include <stdexcept>

namespace pmu::pdc::c37 {
namespace {

namespace p = proto::c37118;
constexpr double kRadToDeg = 57.29577951308232;

void AppendF(std::string& out, const char* fmt, double v) {
  char buf[48];
  if (std::isnan(v)) {
    out += "null";
    return;
  }
  std::snprintf(buf, sizeof(buf), fmt, v);
  out += buf;
}

std::string TrimmedName(std::string_view raw) { return std::string(p::TrimName(raw)); }

// Analog `k` of PMU block `i` in engineering units (the one rule: p::ScaleAnalog).
double AnalogValue(const p::ConfigFrame& c, std::size_t i, std::size_t k, const p::PmuData& d) {
  return p::ScaleAnalog(c, i, k, d.analogs[k]).value_or(NAN);
}

// A 16-bit integer as sent (PmuData holds it in a float), for the JSON "_raw" members.
void AppendRaw(std::string& out, float v) {
  if (std::isnan(v)) {
    out += "null";
    return;
  }
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%ld", std::lround(v));
  out += buf;
}

// The integers of integer-format channels as sent, beside the scaled values, so that
// a program can check the scaling or apply its own: "phasors_raw" (the two words of
// each phasor), "analogs_raw", and "freq_raw"/"rocof_raw" (mHz from nominal, ROCOF
// times 100). Nothing for float formats: their values are already what is shown.
void AppendRawPhasorsJson(std::string& out, const p::PmuConfig& pmu, const p::PmuData& d) {
  if (pmu.format.phasor_float) return;
  out += ", \"phasors_raw\": {";
  for (std::size_t k = 0; k < pmu.phasor_count; ++k) {
    out += (k ? ", " : "") + JsonString(p::TrimName(pmu.phasor_names[k])) + ": [";
    AppendRaw(out, d.phasors[k].first);
    out += ", ";
    AppendRaw(out, d.phasors[k].second);
    out += "]";
  }
  out += "}";
}

void AppendRawAnalogsJson(std::string& out, const p::PmuConfig& pmu, const p::PmuData& d) {
  if (pmu.format.analog_float) return;
  out += ", \"analogs_raw\": {";
  for (std::size_t k = 0; k < pmu.analog_count; ++k) {
    out += (k ? ", " : "") + JsonString(p::TrimName(pmu.analog_names[k])) + ": ";
    AppendRaw(out, d.analogs[k]);
  }
  out += "}";
}

void AppendRawFrequencyJson(std::string& out, const p::PmuConfig& pmu, const p::PmuData& d) {
  if (pmu.format.freq_float) return;
  out += ", \"freq_raw\": ";
  AppendRaw(out, d.frequency);
  out += ", \"rocof_raw\": ";
  AppendRaw(out, d.rocof);
}

}  // namespace

OutputFormat ParseOutputFormat(const std::string& text) {
  if (text == "table") return OutputFormat::kTable;
  if (text == "csv") return OutputFormat::kCsv;
  if (text == "json") return OutputFormat::kJson;
  if (text == "none") return OutputFormat::kNone;
  throw std::invalid_argument("--format must be table, csv, json or none, not '" + text + "'");
}

double Seconds(std::uint32_t soc, std::uint32_t fraction, std::uint32_t time_base) {
  return soc + (time_base ? static_cast<double>(fraction) / time_base : 0.0);
}

std::string FormatTime(std::uint32_t soc, std::uint32_t fraction, std::uint32_t time_base) {
  const std::time_t t = soc;
  std::tm tm{};
  gmtime_r(&t, &tm);
  const auto us = time_base ? static_cast<unsigned long long>(std::llround(static_cast<double>(fraction) * 1e6 / time_base))
                            : 0ull;
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%06lluZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, us > 999999 ? 999999ull : us);
  return buf;
}

std::string DataHeader(const p::ConfigFrame& c, OutputFormat format) {
  std::string out = "time,soc,fracsec,idcode,station,stat,freq_hz,rocof_hz_s";
  std::size_t widest = 0;
  for (std::size_t i = 0; i < c.pmu_count; ++i) {
    const p::PmuConfig& pmu = c.pmus[i];
    widest = std::max<std::size_t>(widest, pmu.phasor_count + pmu.analog_count + pmu.digital_count);
  }
  // Columns follow the first PMU block's channels (blocks of other PMUs of a
  // concentrated stream fill the same columns in their own order).
  const p::PmuConfig& first = c.pmus[0];
  for (std::size_t i = 0; i < first.phasor_count; ++i) {
    const std::string n = TrimmedName(first.phasor_names[i]);
    out += "," + n + "_mag," + n + "_deg";
  }
  for (std::size_t i = 0; i < first.analog_count; ++i) out += "," + TrimmedName(first.analog_names[i]);
  for (std::size_t i = 0; i < first.digital_count; ++i) out += ",digital" + std::to_string(i);
  (void)widest;
  if (format == OutputFormat::kTable) {
    std::string t;
    for (char ch : out) t += ch == ',' ? ' ' : ch;
    return t + "\n";
  }
  return out + "\n";
}

void AppendPmuJson(std::string& out, const p::ConfigFrame& c, std::size_t i, const p::PmuData& d) {
  const p::PmuConfig& pmu = c.pmus[i];
  char buf[64];
  std::snprintf(buf, sizeof(buf), "{\"idcode\": %u, \"station\": ", pmu.idcode);
  out += buf;
  out += JsonString(p::TrimName(pmu.station_name));
  std::snprintf(buf, sizeof(buf), ", \"stat\": \"0x%04x\", \"freq\": ", d.stat);
  out += buf;
  AppendF(out, "%.6f", p::FrequencyHz(c, i, d).value_or(NAN));
  out += ", \"rocof\": ";
  AppendF(out, "%.5f", p::RocofHzPerSecond(c, i, d).value_or(NAN));
  AppendRawFrequencyJson(out, pmu, d);
  out += ", \"phasors\": {";
  for (std::size_t k = 0; k < pmu.phasor_count; ++k) {
    const auto v = p::ScalePhasor(c, i, k, d.phasors[k]);
    out += (k ? ", " : "") + JsonString(p::TrimName(pmu.phasor_names[k])) + ": [";
    AppendF(out, "%.9g", v.ok() ? v->magnitude : NAN);
    out += ", ";
    AppendF(out, "%.6f", v.ok() ? v->angle * kRadToDeg : NAN);
    out += "]";
  }
  out += "}";
  AppendRawPhasorsJson(out, pmu, d);
  out += ", \"analogs\": {";
  for (std::size_t k = 0; k < pmu.analog_count; ++k) {
    out += (k ? ", " : "") + JsonString(p::TrimName(pmu.analog_names[k])) + ": ";
    AppendF(out, "%.9g", AnalogValue(c, i, k, d));
  }
  out += "}";
  AppendRawAnalogsJson(out, pmu, d);
  out += ", \"digital\": [";
  for (std::size_t k = 0; k < pmu.digital_count; ++k) {
    out += (k ? ", " : "") + std::to_string(d.digitals[k]);
  }
  out += "]}";
}

void AppendData(std::string& out, const p::ConfigFrame& c, const p::DataFrame& f, OutputFormat format) {
  if (format == OutputFormat::kNone) return;
  const std::string time = FormatTime(f.time.soc, f.time.fraction(), c.time_base);
  if (format == OutputFormat::kJson) {
    char buf[96];
    std::snprintf(buf, sizeof(buf), "{\"type\": \"data\", \"idcode\": %u, \"soc\": %u, \"fracsec\": %u, \"tq\": %u, ",
                  f.idcode, f.time.soc, f.time.fraction(), f.time.fracsec >> 24);
    out += buf;
    out += "\"time\": \"" + time + "\", \"pmus\": [";
    for (std::size_t i = 0; i < f.pmu_count; ++i) {
      if (i) out += ", ";
      AppendPmuJson(out, c, i, f.pmus[i]);
    }
    out += "]}\n";
    return;
  }
  const char sep = format == OutputFormat::kCsv ? ',' : ' ';
  for (std::size_t i = 0; i < f.pmu_count; ++i) {
    const p::PmuConfig& pmu = c.pmus[i];
    const p::PmuData& d = f.pmus[i];
    std::string row = time;
    char buf[96];
    std::snprintf(buf, sizeof(buf), "%c%u%c%u%c%u%c", sep, f.time.soc, sep, f.time.fraction(), sep, pmu.idcode, sep);
    row += buf;
    std::string station = TrimmedName(pmu.station_name);
    for (char& ch : station) {
      if (ch == ',' || ch == ' ') ch = '_';
    }
    row += station;
    std::snprintf(buf, sizeof(buf), "%c0x%04x%c", sep, d.stat, sep);
    row += buf;
    AppendF(row, "%.6f", p::FrequencyHz(c, i, d).value_or(NAN));
    row += sep;
    AppendF(row, "%.4f", p::RocofHzPerSecond(c, i, d).value_or(NAN));
    for (std::size_t k = 0; k < pmu.phasor_count; ++k) {
      const auto v = p::ScalePhasor(c, i, k, d.phasors[k]);
      row += sep;
      AppendF(row, "%.6g", v.ok() ? v->magnitude : NAN);
      row += sep;
      AppendF(row, "%.4f", v.ok() ? v->angle * kRadToDeg : NAN);
    }
    for (std::size_t k = 0; k < pmu.analog_count; ++k) {
      row += sep;
      AppendF(row, "%.7g", AnalogValue(c, i, k, d));
    }
    for (std::size_t k = 0; k < pmu.digital_count; ++k) {
      std::snprintf(buf, sizeof(buf), "%c0x%04x", sep, d.digitals[k]);
      row += buf;
    }
    out += row + "\n";
  }
}

std::string ConfigJson(const p::ConfigFrame& c) {
  std::string out = "{\"type\": \"config\", \"frame\": ";
  out += c.type == p::FrameType::kConfig3 ? "\"CFG-3\"" : c.type == p::FrameType::kConfig1 ? "\"CFG-1\"" : "\"CFG-2\"";
  char buf[160];
  std::snprintf(buf, sizeof(buf), ", \"version\": %u, \"idcode\": %u, \"time_base\": %u, \"data_rate\": %d, \"pmus\": [",
                static_cast<unsigned>(c.version), c.idcode, c.time_base, c.data_rate);
  out += buf;
  for (std::size_t i = 0; i < c.pmu_count; ++i) {
    const p::PmuConfig& pmu = c.pmus[i];
    std::snprintf(buf, sizeof(buf), "%s{\"idcode\": %u, \"station\": ", i ? ", " : "", pmu.idcode);
    out += buf;
    out += JsonString(p::TrimName(pmu.station_name));
    std::snprintf(buf, sizeof(buf), ", \"cfgcnt\": %u, \"fnom\": %u, \"format\": %u, \"phasors\": [", pmu.config_count,
                  pmu.nominal_frequency == p::NominalFrequency::k50Hz ? 50u : 60u, pmu.format.ToWord());
    out += buf;
    for (std::size_t k = 0; k < pmu.phasor_count; ++k) out += (k ? ", " : "") + JsonString(p::TrimName(pmu.phasor_names[k]));
    out += "], \"analogs\": [";
    for (std::size_t k = 0; k < pmu.analog_count; ++k) out += (k ? ", " : "") + JsonString(p::TrimName(pmu.analog_names[k]));
    std::snprintf(buf, sizeof(buf), "], \"digital_words\": %u}", pmu.digital_count);
    out += buf;
  }
  return out + "]}";
}

}  // namespace pmu::pdc::c37
