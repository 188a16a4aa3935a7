#include "config_measurement.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "config_key.h"
#include "config_playback.h"
#include "pmu/firmware/measurement/phasor_estimator.h"

namespace pmu::firmware::config_detail {
namespace {

// A limit of the target's configuration in a help text ("1 to " PMU_LIMIT(...)).
#define PMU_LIMIT_TEXT(n) #n
#define PMU_LIMIT(n) PMU_LIMIT_TEXT(n)

// [-]digits[.digits]: at most 9 integer digits and `max_decimals` decimals.
bool ParseDecimal(std::string_view s, unsigned max_decimals, float* out) {
  bool negative = false;
  if (!s.empty() && (s.front() == '-' || s.front() == '+')) {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  double whole = 0, frac = 0, unit = 1;
  std::size_t i = 0, int_digits = 0, frac_digits = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
    if (++int_digits > 9) return false;
    whole = whole * 10 + (s[i++] - '0');
  }
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      if (++frac_digits > max_decimals) return false;
      unit /= 10;
      frac += (s[i++] - '0') * unit;
    }
  }
  if (i != s.size() || int_digits + frac_digits == 0) return false;
  const double v = whole + frac;
  *out = static_cast<float>(negative ? -v : v);
  return true;
}

// The shortest decimal text that parses back to the same float.
void FormatFloat(float v, ConfigValueText& out) {
  for (int digits = 6; digits <= 9; ++digits) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%.*g", digits, static_cast<double>(v));
    float back = 0;
    if (std::strchr(buf, 'e') == nullptr && ParseDecimal(buf, 9, &back) && back == v) {
      out.Append(buf);
      return;
    }
  }
  out.Format("%.6f", static_cast<double>(v));
}

using Key = ConfigKey<MeasurementConfig>;
using Setter = Key::Setter;
using Getter = Key::Getter;
template <typename T, std::uint64_t Min, std::uint64_t Max>
const char* SetU(T& field, std::string_view v) {
  std::uint64_t n = 0;
  if (const char* why = ParseConfigRange(v, Min, Max, &n)) return why;
  field = static_cast<T>(n);
  return nullptr;
}

const char* SetF(float& field, std::string_view v, float min, float max, unsigned decimals = 6) {
  float f = 0;
  if (!ParseDecimal(v, decimals, &f)) return "must be a decimal number like -1.25 (no exponent)";
  if (f < min || f > max) return "out of range";
  field = f;
  return nullptr;
}

bool IsStandardRate(unsigned nominal, unsigned rate) {
  if (nominal == 50) return rate == 10 || rate == 25 || rate == 50 || rate == 100;
  return rate == 10 || rate == 12 || rate == 15 || rate == 20 || rate == 30 || rate == 60 || rate == 120;
}

// Splits "A,B,C" calling fn(item) for each; false if fn refuses one or an item is empty.
template <typename Fn>
bool ForEachItem(std::string_view list, Fn&& fn) {
  while (true) {
    const std::size_t comma = list.find(',');
    std::string_view item = list.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item.empty() || !fn(item)) return false;
    if (comma == std::string_view::npos) return true;
    list.remove_prefix(comma + 1);
  }
}

#define C37_U(field, type, min, max)                                                        \
  [](MeasurementConfig& c, std::string_view v) -> const char* { return SetU<type, min, max>(c.field, v); }, \
      [](const MeasurementConfig& c, ConfigValueText& o) { o.Format("%llu", static_cast<unsigned long long>(c.field)); }
#define C37_F(field, min, max)                                                                     \
  [](MeasurementConfig& c, std::string_view v) -> const char* { return SetF(c.field, v, min, max); }, \
      [](const MeasurementConfig& c, ConfigValueText& o) { FormatFloat(c.field, o); }
#define C37_B(field)                                                                                   \
  [](MeasurementConfig& c, std::string_view v) -> const char* {                                           \
    return ParseConfigBool(v, &c.field) ? nullptr : "must be true or false";                                \
  },                                                                                                   \
      [](const MeasurementConfig& c, ConfigValueText& o) { o.Append(c.field ? "true" : "false"); }
#define C37_FMT(field)                                                                              \
  [](MeasurementConfig& c, std::string_view v) -> const char* {                                        \
    if (v == "float") return c.field = true, nullptr;                                              \
    if (v == "int") return c.field = false, nullptr;                                               \
    return "must be float or int";                                                                 \
  },                                                                                                \
      [](const MeasurementConfig& c, ConfigValueText& o) { o.Append(c.field ? "float" : "int"); }

const Key kKeys[] = {
    {"c37.idcode", "IDCODE of the device's data stream and PMU, 1 to 65534", C37_U(c37.idcode, std::uint16_t, 1, 65534)},
    {"c37.station", "station name: 1 to 16 printable ASCII characters",
     [](MeasurementConfig& c, std::string_view v) -> const char* {
       if (v.empty() || v.size() > 16) return "must be 1 to 16 characters";
       for (char ch : v) {
         if (ch < 0x20 || ch > 0x7E) return "must be printable ASCII";
       }
       c.c37.station.clear();
       c.c37.station.Append(v);
       return nullptr;
     },
     [](const MeasurementConfig& c, ConfigValueText& o) { o.Append(c.c37.station.view()); }},
    {"c37.nominal_hz", "nominal frequency, 50 or 60",
     [](MeasurementConfig& c, std::string_view v) -> const char* {
       if (v == "50") return c.c37.nominal_hz = 50, nullptr;
       if (v == "60") return c.c37.nominal_hz = 60, nullptr;
       return "must be 50 or 60";
     },
     [](const MeasurementConfig& c, ConfigValueText& o) { o.Format("%u", c.c37.nominal_hz); }},
    {"c37.rate", "reports per second: 10, 25, 50, 100 at 50 Hz; 10, 12, 15, 20, 30, 60, 120 at 60 Hz",
     [](MeasurementConfig& c, std::string_view v) -> const char* {
       std::uint64_t n = 0;
       if (!ParseConfigUnsigned(v, 1000, &n)) return "must be a whole number";
       if (!IsStandardRate(50, static_cast<unsigned>(n)) && !IsStandardRate(60, static_cast<unsigned>(n))) {
         return "must be a standard reporting rate";
       }
       c.c37.rate = static_cast<std::uint8_t>(n);
       return nullptr;
     },
     [](const MeasurementConfig& c, ConfigValueText& o) { o.Format("%u", c.c37.rate); }},
    {"c37.version", "version of the frames the device emits: 1 (2005) or 2 (2011)", C37_U(c37.version, std::uint8_t, 1, 2)},
    {"c37.class", "measurement class: P (protection, short window) or M (measurement, filtered)",
     [](MeasurementConfig& c, std::string_view v) -> const char* {
       if (v == "P") return c.c37.measurement_class = MeasurementClass::kP, nullptr;
       if (v == "M") return c.c37.measurement_class = MeasurementClass::kM, nullptr;
       return "must be P or M";
     },
     [](const MeasurementConfig& c, ConfigValueText& o) {
       o.Append(c.c37.measurement_class == MeasurementClass::kP ? "P" : "M");
     }},
    {"c37.coordinates", "phasors as polar (magnitude, angle) or rectangular (real, imaginary)",
     [](MeasurementConfig& c, std::string_view v) -> const char* {
       if (v == "polar") return c.c37.polar = true, nullptr;
       if (v == "rectangular") return c.c37.polar = false, nullptr;
       return "must be polar or rectangular";
     },
     [](const MeasurementConfig& c, ConfigValueText& o) { o.Append(c.c37.polar ? "polar" : "rectangular"); }},
    {"c37.phasor_format", "phasors as float or int (16-bit, scaled by PHUNIT)", C37_FMT(c37.phasor_float)},
    {"c37.freq_format", "FREQ and DFREQ as float or int", C37_FMT(c37.freq_float)},
    {"c37.analog_format", "analog values as float or int", C37_FMT(c37.analog_float)},
    {"c37.phasors", "phasor channels in order: 1 to 8 of VA VB VC V1 IA IB IC I1, comma-separated",
     [](MeasurementConfig& c, std::string_view v) -> const char* {
       C37Config n = c.c37;
       n.phasor_count = 0;
       unsigned seen = 0;
       const bool ok = ForEachItem(v, [&](std::string_view item) {
         for (std::size_t k = 0; k < kPhasorChannelKinds; ++k) {
           const auto ch = static_cast<PhasorChannel>(k);
           if (item == PhasorChannelName(ch) && !(seen & (1u << k))) {
             seen |= 1u << k;
             n.phasors[n.phasor_count++] = ch;
             return true;
           }
         }
         return false;
       });
       if (!ok) return "must be distinct names from VA VB VC V1 IA IB IC I1, comma-separated";
       c.c37 = n;
       return nullptr;
     },
     [](const MeasurementConfig& c, ConfigValueText& o) {
       for (std::size_t i = 0; i < c.c37.phasor_count; ++i) {
         o.Format("%s%s", i ? "," : "", PhasorChannelName(c.c37.phasors[i]));
       }
     }},
    {"c37.analogs", "analog channels: none, or some of P Q S (three-phase W, var, VA), comma-separated",
     [](MeasurementConfig& c, std::string_view v) -> const char* {
       C37Config n = c.c37;
       n.analog_count = 0;
       if (v == "none") {
         c.c37 = n;
         return nullptr;
       }
       unsigned seen = 0;
       const bool ok = ForEachItem(v, [&](std::string_view item) {
         for (std::size_t k = 0; k < kAnalogChannelKinds; ++k) {
           const auto ch = static_cast<AnalogChannelKind>(k);
           if (item == AnalogChannelName(ch) && !(seen & (1u << k))) {
             seen |= 1u << k;
             n.analogs[n.analog_count++] = ch;
             return true;
           }
         }
         return false;
       });
       if (!ok) return "must be none or distinct names from P Q S, comma-separated";
       c.c37 = n;
       return nullptr;
     },
     [](const MeasurementConfig& c, ConfigValueText& o) {
       if (c.c37.analog_count == 0) o.Append("none");
       for (std::size_t i = 0; i < c.c37.analog_count; ++i) {
         o.Format("%s%s", i ? "," : "", AnalogChannelName(c.c37.analogs[i]));
       }
     }},
    {"c37.digital_words", "digital status words: 0 or 1 (16 channels DI0..DI15)", C37_U(c37.digital_words, std::uint8_t, 0, 1)},
    {"c37.digital_value", "the digital word's value, 0x0000 to 0xFFFF",
     [](MeasurementConfig& c, std::string_view v) -> const char* {
       if (v.size() < 3 || v.size() > 6 || v[0] != '0' || (v[1] != 'x' && v[1] != 'X')) {
         return "must be hexadecimal like 0x0001";
       }
       unsigned n = 0;
       for (char ch : v.substr(2)) {
         unsigned d;
         if (ch >= '0' && ch <= '9') d = static_cast<unsigned>(ch - '0');
         else if (ch >= 'a' && ch <= 'f') d = static_cast<unsigned>(ch - 'a' + 10);
         else if (ch >= 'A' && ch <= 'F') d = static_cast<unsigned>(ch - 'A' + 10);
         else return "must be hexadecimal like 0x0001";
         n = n * 16 + d;
       }
       c.c37.digital_value = static_cast<std::uint16_t>(n);
       return nullptr;
     },
     [](const MeasurementConfig& c, ConfigValueText& o) { o.Format("0x%04x", c.c37.digital_value); }},
    {"c37.time_base", "TIME_BASE: FRACSEC counts per second, 1 to 16777215", C37_U(c37.time_base, std::uint32_t, 1, 16777215)},
    {"c37.port", "TCP port of the C37.118.2 stream, 1 to 65535", C37_U(c37.port, std::uint16_t, 1, 65535)},
    {"c37.udp_port", "UDP port of the C37.118.2 stream, 1 to 65535", C37_U(c37.udp_port, std::uint16_t, 1, 65535)},
    {"c37.max_clients", "TCP PDC connections at once, 1 to " PMU_LIMIT(PMU_MAX_C37_SESSIONS),
     C37_U(c37.max_clients, std::uint8_t, 1, kMaxC37Sessions)},
    {"c37.udp_config_period_s", "seconds between CFG-2 frames re-sent to UDP subscribers, 1 to 3600",
     C37_U(c37.udp_config_period_s, std::uint32_t, 1, 3600)},
    {"c37.udp_lease_s", "seconds a UDP subscription lasts without a renewing command, 10 to 3600",
     C37_U(c37.udp_lease_s, std::uint32_t, 10, 3600)},
    {"c37.multicast", "true: also stream data spontaneously to c37.multicast_group4", C37_B(c37.multicast)},
    {"c37.multicast_group4", "IPv4 multicast group of the spontaneous stream",
     [](MeasurementConfig& c, std::string_view v) -> const char* {
       auto a = ParseIpv4(v);
       if (!a.ok() || !a->IsMulticast()) return "must be an IPv4 multicast address (224.0.0.0/4)";
       c.c37.multicast_group4 = *a;
       return nullptr;
     },
     [](const MeasurementConfig& c, ConfigValueText& o) { o.Append(FormatIpv4(c.c37.multicast_group4).view()); }},
    {"c37.multicast_port", "UDP destination port of the spontaneous stream, 1 to 65535",
     C37_U(c37.multicast_port, std::uint16_t, 1, 65535)},
    {"c37.emulated_delay_ms", "emulated path delay: each report leaves this much later, 0 to 300",
     C37_U(c37.emulated_delay_ms, std::uint32_t, 0, 300)},

    {"waveform.voltage_rms", "phase-to-neutral voltage, V rms, 1 to 1000000", C37_F(waveform.voltage_rms, 1.0f, 1e6f)},
    {"waveform.current_rms", "phase current, A rms, 0.001 to 100000", C37_F(waveform.current_rms, 0.001f, 1e5f)},
    {"waveform.current_angle_deg", "current angle relative to its voltage, -180 to 180 degrees",
     C37_F(waveform.current_angle_deg, -180.0f, 180.0f)},
    {"waveform.freq_offset_hz", "off-nominal frequency, -10 to 10 Hz", C37_F(waveform.freq_offset_hz, -10.0f, 10.0f)},
    {"waveform.rocof_hz_s", "frequency ramp, -10 to 10 Hz/s", C37_F(waveform.rocof_hz_s, -10.0f, 10.0f)},
    {"waveform.ramp_start_s", "when the ramp starts, 0 to 86400 s after the waveform's start",
     C37_F(waveform.ramp_start_s, 0.0f, 86400.0f)},
    {"waveform.ramp_stop_s", "when the ramp stops (0: never), 0 to 86400 s", C37_F(waveform.ramp_stop_s, 0.0f, 86400.0f)},
    {"waveform.step_at_s", "time of the amplitude and phase step (0: no step), 0 to 86400 s",
     C37_F(waveform.step_at_s, 0.0f, 86400.0f)},
    {"waveform.step_magnitude", "relative amplitude step, -0.9 to 1", C37_F(waveform.step_magnitude, -0.9f, 1.0f)},
    {"waveform.step_phase_deg", "phase step, -180 to 180 degrees", C37_F(waveform.step_phase_deg, -180.0f, 180.0f)},
    {"waveform.mod_hz", "modulation frequency (0: none), 0 to 10 Hz", C37_F(waveform.mod_hz, 0.0f, 10.0f)},
    {"waveform.mod_amplitude", "amplitude modulation depth kx, 0 to 0.5", C37_F(waveform.mod_amplitude, 0.0f, 0.5f)},
    {"waveform.mod_phase_deg", "phase modulation depth ka, 0 to 30 degrees", C37_F(waveform.mod_phase_deg, 0.0f, 30.0f)},
    {"waveform.harmonics", "none, or up to 6 ORDER:FRACTION pairs like 3:0.05,5:0.03 (order 2-50, fraction 0-0.5, 3 decimals)",
     [](MeasurementConfig& c, std::string_view v) -> const char* {
       WaveformConfig n = c.waveform;
       n.harmonic_count = 0;
       if (v != "none") {
         const bool ok = ForEachItem(v, [&](std::string_view item) {
           const std::size_t colon = item.find(':');
           std::uint64_t order = 0;
           float f = 0;
           if (colon == std::string_view::npos || n.harmonic_count >= kMaxHarmonics) return false;
           if (!ParseConfigUnsigned(item.substr(0, colon), 50, &order) || order < 2) return false;
           if (!ParseDecimal(item.substr(colon + 1), 3, &f) || f < 0 || f > 0.5f) return false;
           n.harmonics[n.harmonic_count++] = {static_cast<std::uint8_t>(order), f};
           return true;
         });
         if (!ok) return "must be none or up to 6 ORDER:FRACTION pairs (2-50 : 0-0.5, 3 decimals)";
       }
       c.waveform = n;
       return nullptr;
     },
     [](const MeasurementConfig& c, ConfigValueText& o) {
       if (c.waveform.harmonic_count == 0) o.Append("none");
       for (std::size_t i = 0; i < c.waveform.harmonic_count; ++i) {
         o.Format("%s%u:", i ? "," : "", c.waveform.harmonics[i].order);
         FormatFloat(c.waveform.harmonics[i].fraction, o);
       }
     }},
    {"waveform.noise", "white noise rms relative to the fundamental, 0 to 0.1", C37_F(waveform.noise, 0.0f, 0.1f)},
    {"waveform.unbalance", "negative-sequence fraction, 0 to 0.5", C37_F(waveform.unbalance, 0.0f, 0.5f)},
    {"waveform.seed", "seed of the noise generator, 0 to 4294967295", C37_U(waveform.seed, std::uint32_t, 0, 4294967295u)},
};

const Key* Find(std::string_view name) {
  for (const Key& k : kKeys) {
    if (name == k.name) return &k;
  }
  return nullptr;
}

}  // namespace

bool SetMeasurementValue(MeasurementConfig& config, std::string_view key, std::string_view value, const char** error,
                         const char** key_name) {
  const Key* k = Find(key);
  // The playback's keys (config_playback.cc) come after these.
  if (k == nullptr) return SetPlaybackValue(config, key, value, error, key_name);
  *key_name = k->name;
  *error = k->set(config, value);
  return true;
}

const char* MeasurementKeyHelp(std::string_view key) {
  const Key* k = Find(key);
  return k ? k->help : PlaybackKeyHelp(key);
}

void ForEachMeasurementValue(const MeasurementConfig& config,
                             void (*fn)(void* context, const char* key, std::string_view value), void* context) {
  for (const Key& k : kKeys) {
    ConfigValueText text;
    k.get(config, text);
    fn(context, k.name, text.view());
  }
  for (std::size_t i = 0; i < PlaybackKeyCount(); ++i) {
    ConfigValueText text;
    PlaybackValueAt(config, i, text);
    fn(context, PlaybackKeyName(i), text.view());
  }
}

constexpr std::size_t kOwnKeyCount = sizeof(kKeys) / sizeof(kKeys[0]);

std::size_t MeasurementKeyCount() { return kOwnKeyCount + PlaybackKeyCount(); }

const char* MeasurementKeyName(std::size_t index) {
  return index < kOwnKeyCount ? kKeys[index].name : PlaybackKeyName(index - kOwnKeyCount);
}

void MeasurementValueAt(const MeasurementConfig& config, std::size_t index, ConfigValueText& out) {
  if (index < kOwnKeyCount) {
    kKeys[index].get(config, out);
  } else {
    PlaybackValueAt(config, index - kOwnKeyCount, out);
  }
}

ConfigError ValidateMeasurementConfig(const MeasurementConfig& c) {
  if (!IsStandardRate(c.c37.nominal_hz, c.c37.rate)) {
    return {"c37.rate", c.c37.nominal_hz == 50 ? "is not a standard rate at 50 Hz (10, 25, 50, 100)"
                                               : "is not a standard rate at 60 Hz (10, 12, 15, 20, 30, 60, 120)",
            0};
  }
  if (c.c37.measurement_class == MeasurementClass::kM) {
    // The estimator's filter spans 2 x nominal / rate cycles (phasor_estimator.cc),
    // which must fit the image's window buffer.
    const std::uint32_t cycles = (2 * c.c37.nominal_hz + c.c37.rate - 1) / c.c37.rate;
    if (cycles * (kSampleRate / c.c37.nominal_hz) > (kMaxWindowSamples - 1) / 2) {
      return {"c37.class", "M at this c37.rate needs a longer window than this image's estimator holds (its "
                           "profile's PMU_MAX_WINDOW_SAMPLES): use P, or a higher rate", 0};
    }
  }
  if (c.waveform.ramp_stop_s != 0 && c.waveform.ramp_stop_s <= c.waveform.ramp_start_s) {
    return {"waveform.ramp_stop_s", "must be 0 or after waveform.ramp_start_s", 0};
  }
  if (std::fabs(c.waveform.freq_offset_hz) >= c.c37.nominal_hz / 5.0f) {
    return {"waveform.freq_offset_hz", "must be within a fifth of the nominal frequency", 0};
  }
  return {};
}

}  // namespace pmu::firmware::config_detail
