#include "config_playback.h"

#include "config_key.h"
#include "pmu/base/civil_time.h"
#include "pmu/firmware/profile.h"

namespace pmu::firmware::config_detail {
namespace {

using Key = ConfigKey<MeasurementConfig>;
using Setter = Key::Setter;
using Getter = Key::Getter;
constexpr const char* kChannelNames[6] = {"VA", "VB", "VC", "IA", "IB", "IC"};

bool ParseChannelNumber(std::string_view s, std::uint16_t* out) {
  std::uint64_t n = 0;
  if (!ParseConfigUnsigned(s, 65535, &n) || n == 0) return false;
  *out = static_cast<std::uint16_t>(n);
  return true;
}

// "auto", or NAME=N / NAME=N:M items (NAME one of VA VB VC IA IB IC), comma-separated.
const char* SetChannels(MeasurementConfig& c, std::string_view v) {
  ChannelMap map;
  if (v == "auto") {
    c.playback.channels = map;
    return nullptr;
  }
  map.automatic = false;
  bool seen[6] = {};
  std::size_t phasor_items = 0, items = 0;
  while (!v.empty()) {
    const std::size_t comma = v.find(',');
    std::string_view item = v.substr(0, comma);
    v = comma == std::string_view::npos ? std::string_view() : v.substr(comma + 1);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    const std::size_t eq = item.find('=');
    if (eq == std::string_view::npos) return "must be auto, or items like VA=1 or VA=1:2 separated by commas";
    std::size_t which = 6;
    for (std::size_t i = 0; i < 6; ++i) {
      if (item.substr(0, eq) == kChannelNames[i]) which = i;
    }
    if (which == 6) return "names a channel other than VA VB VC IA IB IC";
    if (seen[which]) return "names a channel twice";
    seen[which] = true;
    const std::string_view spec = item.substr(eq + 1);
    const std::size_t colon = spec.find(':');
    if (!ParseChannelNumber(spec.substr(0, colon), &map.value[which])) {
      return "must map to record channel numbers from 1";
    }
    if (colon != std::string_view::npos) {
      if (!ParseChannelNumber(spec.substr(colon + 1), &map.angle[which])) {
        return "must map to record channel numbers from 1";
      }
      ++phasor_items;
    }
    ++items;
  }
  if (items == 0) return "must map at least one channel";
  if (phasor_items != 0 && phasor_items != items) return "mixes samples (VA=1) and phasors (VA=1:2)";
  c.playback.channels = map;
  return nullptr;
}

void GetChannels(const MeasurementConfig& c, ConfigValueText& o) {
  const ChannelMap& m = c.playback.channels;
  if (m.automatic) {
    o.Append("auto");
    return;
  }
  bool first = true;
  for (std::size_t i = 0; i < 6; ++i) {
    if (m.value[i] == 0) continue;
    o.Format("%s%s=%u", first ? "" : ",", kChannelNames[i], m.value[i]);
    if (m.angle[i] != 0) o.Format(":%u", m.angle[i]);
    first = false;
  }
}

void GetUtc(std::int64_t ns, ConfigValueText& o) {
  const bool whole = ns % 1'000'000'000 == 0;
  o.Append(FormatIso8601(ns, whole ? 0 : 9).view());
}

const char* SetPath(FixedString<kMaxPathChars>& field, std::string_view v) {
  if (v == "none") {
    field.clear();
    return nullptr;
  }
  FixedString<kMaxPathChars> path(v);
  if (path.truncated()) return "is longer than 200 characters";
  for (char ch : v) {
    if (ch < 0x20 || ch == 0x7F) return "must be printable";
  }
  field = path;
  return nullptr;
}

const Key kKeys[] = {
    {"analog.source", "synthetic, comtrade or scenario",
     [](MeasurementConfig& c, std::string_view v) -> const char* {
       if (v == "synthetic") return c.playback.source = AnalogSource::kSynthetic, nullptr;
       if ((v == "comtrade" || v == "scenario") && !InImage(OptionalService::kPlayback)) {
         return LeftOutReason(OptionalService::kPlayback);
       }
       if (v == "comtrade") return c.playback.source = AnalogSource::kComtrade, nullptr;
       if (v == "scenario") return c.playback.source = AnalogSource::kScenario, nullptr;
       return "must be synthetic, comtrade or scenario";
     },
     [](const MeasurementConfig& c, ConfigValueText& o) { o.Append(AnalogSourceName(c.playback.source)); }},
    {"comtrade.file", "none, or the path of a .cfg (its .dat beside it) or a .cff, at most 200 characters",
     [](MeasurementConfig& c, std::string_view v) { return SetPath(c.playback.comtrade_file, v); },
     [](const MeasurementConfig& c, ConfigValueText& o) {
       o.Append(c.playback.comtrade_file.empty() ? std::string_view("none") : c.playback.comtrade_file.view());
     }},
    {"comtrade.channels", "auto, or VA=N,...,IC=N (samples) or VA=N:M,... (phasor magnitude:angle channels)",
     SetChannels, GetChannels},
    {"comtrade.start", "now, or a UTC time like 2026-12-07T06:00:00Z, or Unix seconds",
     [](MeasurementConfig& c, std::string_view v) -> const char* {
       if (v == "now") return c.playback.comtrade_start_ns = -1, nullptr;
       std::int64_t ns = 0;
       if (!ParseUtc(v, &ns)) return "must be now, a UTC time like 2026-12-07T06:00:00Z, or Unix seconds";
       c.playback.comtrade_start_ns = ns;
       return nullptr;
     },
     [](const MeasurementConfig& c, ConfigValueText& o) {
       if (c.playback.comtrade_start_ns < 0) {
         o.Append("now");
       } else {
         GetUtc(c.playback.comtrade_start_ns, o);
       }
     }},
    {"comtrade.end", "loop, hold or stop",
     [](MeasurementConfig& c, std::string_view v) -> const char* {
       if (v == "loop") return c.playback.comtrade_end = PlaybackEnd::kLoop, nullptr;
       if (v == "hold") return c.playback.comtrade_end = PlaybackEnd::kHold, nullptr;
       if (v == "stop") return c.playback.comtrade_end = PlaybackEnd::kStop, nullptr;
       return "must be loop, hold or stop";
     },
     [](const MeasurementConfig& c, ConfigValueText& o) { o.Append(PlaybackEndName(c.playback.comtrade_end)); }},
    {"scenario.file", "none, or the path of a scenario file (docs/SCENARIOS.md), at most 200 characters",
     [](MeasurementConfig& c, std::string_view v) { return SetPath(c.playback.scenario_file, v); },
     [](const MeasurementConfig& c, ConfigValueText& o) {
       o.Append(c.playback.scenario_file.empty() ? std::string_view("none") : c.playback.scenario_file.view());
     }},
    {"scenario.bus", "the bus this device is: its name in the scenario, or its position from 1",
     [](MeasurementConfig& c, std::string_view v) -> const char* {
       if (v.empty() || v.size() > 32) return "must be 1 to 32 characters";
       for (char ch : v) {
         if (ch <= 0x20 || ch > 0x7E || ch == ',' || ch == '=') return "must be printable ASCII without spaces";
       }
       c.playback.scenario_bus = FixedString<32>(v);
       return nullptr;
     },
     [](const MeasurementConfig& c, ConfigValueText& o) { o.Append(c.playback.scenario_bus.view()); }},
    {"scenario.start", "the UTC time of the scenario's time zero, like 2026-12-07T06:00:00Z, or Unix seconds",
     [](MeasurementConfig& c, std::string_view v) -> const char* {
       std::int64_t ns = 0;
       if (!ParseUtc(v, &ns)) return "must be a UTC time like 2026-12-07T06:00:00Z, or Unix seconds";
       c.playback.scenario_start_ns = ns;
       return nullptr;
     },
     [](const MeasurementConfig& c, ConfigValueText& o) { GetUtc(c.playback.scenario_start_ns, o); }},
};

const Key* Find(std::string_view name) {
  for (const Key& k : kKeys) {
    if (name == k.name) return &k;
  }
  return nullptr;
}

bool Digits(std::string_view s, std::size_t at, std::size_t n, unsigned* out) {
  if (at + n > s.size()) return false;
  unsigned v = 0;
  for (std::size_t i = at; i < at + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + static_cast<unsigned>(s[i] - '0');
  }
  *out = v;
  return true;
}

}  // namespace

bool ParseUtc(std::string_view s, std::int64_t* unix_ns) {
  std::uint64_t seconds = 0;
  if (ParseConfigUnsigned(s, 253402300799ull, &seconds)) {  // up to 9999-12-31
    *unix_ns = static_cast<std::int64_t>(seconds) * 1'000'000'000;
    return true;
  }
  // YYYY-MM-DDTHH:MM:SS[.fraction]Z
  unsigned year, month, day, hour, minute, second;
  if (s.size() < 20 || s.back() != 'Z' || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
      s[16] != ':') {
    return false;
  }
  if (!Digits(s, 0, 4, &year) || !Digits(s, 5, 2, &month) || !Digits(s, 8, 2, &day) || !Digits(s, 11, 2, &hour) ||
      !Digits(s, 14, 2, &minute) || !Digits(s, 17, 2, &second)) {
    return false;
  }
  if (year < 1970 || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) {
    return false;
  }
  std::int64_t ns = 0;
  std::string_view fraction = s.substr(19, s.size() - 20);
  if (!fraction.empty()) {
    if (fraction.front() != '.' || fraction.size() < 2 || fraction.size() > 10) return false;
    fraction.remove_prefix(1);
    for (std::size_t i = 0; i < 9; ++i) {
      const char ch = i < fraction.size() ? fraction[i] : '0';
      if (ch < '0' || ch > '9') return false;
      ns = ns * 10 + (ch - '0');
    }
  }
  *unix_ns = UnixSecondsFromCivil(static_cast<std::int32_t>(year), month, day, hour, minute, second) *
                 1'000'000'000 + ns;
  return true;
}

bool SetPlaybackValue(MeasurementConfig& config, std::string_view key, std::string_view value, const char** error,
                      const char** key_name) {
  const Key* k = Find(key);
  if (k == nullptr) return false;
  *key_name = k->name;
  *error = k->set(config, value);
  return true;
}

const char* PlaybackKeyHelp(std::string_view key) {
  const Key* k = Find(key);
  return k ? k->help : nullptr;
}

std::size_t PlaybackKeyCount() { return sizeof(kKeys) / sizeof(kKeys[0]); }

const char* PlaybackKeyName(std::size_t index) { return index < PlaybackKeyCount() ? kKeys[index].name : nullptr; }

void PlaybackValueAt(const MeasurementConfig& config, std::size_t index, ConfigValueText& out) {
  if (index < PlaybackKeyCount()) kKeys[index].get(config, out);
}

}  // namespace pmu::firmware::config_detail

namespace pmu::firmware {

const char* AnalogSourceName(AnalogSource s) {
  switch (s) {
    case AnalogSource::kSynthetic: return "synthetic";
    case AnalogSource::kComtrade: return "comtrade";
    case AnalogSource::kScenario: return "scenario";
  }
  return "?";
}

const char* PlaybackEndName(PlaybackEnd e) {
  switch (e) {
    case PlaybackEnd::kLoop: return "loop";
    case PlaybackEnd::kHold: return "hold";
    case PlaybackEnd::kStop: return "stop";
  }
  return "?";
}

}  // namespace pmu::firmware
