#include "playback_files.h"

#include <cctype>
#include <fstream>
#include <memory>
#include <sstream>

#include "pmu/proto/comtrade.h"

namespace pmu::sim {
namespace {

bool ReadWhole(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream s;
  s << in.rdbuf();
  *out = s.str();
  return true;
}

bool EndsWithNoCase(const std::string& s, const std::string& suffix) {
  if (s.size() < suffix.size()) return false;
  for (std::size_t i = 0; i < suffix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[s.size() - suffix.size() + i])) != suffix[i]) return false;
  }
  return true;
}

bool LoadComtrade(const std::string& path, std::string* bytes, std::string* error) {
  if (EndsWithNoCase(path, ".cff")) {
    if (!ReadWhole(path, bytes)) return *error = "comtrade.file: cannot read " + path, false;
    return true;
  }
  if (!EndsWithNoCase(path, ".cfg")) {
    *error = "comtrade.file = " + path + ": must name a .cfg (its .dat beside it) or a .cff";
    return false;
  }
  std::string cfg, dat;
  if (!ReadWhole(path, &cfg)) return *error = "comtrade.file: cannot read " + path, false;
  const std::string stem = path.substr(0, path.size() - 4);
  const bool upper = path[path.size() - 1] == 'G';
  if (!ReadWhole(stem + (upper ? ".DAT" : ".dat"), &dat) && !ReadWhole(stem + (upper ? ".dat" : ".DAT"), &dat)) {
    *error = "comtrade.file: cannot read " + stem + ".dat (a .cfg needs its .dat beside it)";
    return false;
  }
  // The .cfg's format names the DAT section; a .cfg that does not parse is reported
  // here, with its line and field, before the device starts.
  auto config = std::make_unique<proto::comtrade::Config>();
  if (const proto::comtrade::Error e = proto::comtrade::ParseConfig(cfg, *config); !e.ok()) {
    *error = path + ": " + std::string(proto::comtrade::Describe(e, "cfg").view());
    return false;
  }
  char header[80];
  const auto n = proto::comtrade::WriteCffDatHeader(*config, dat.size(), header);
  if (!n.ok()) return *error = "comtrade.file: internal error", false;
  if (!cfg.empty() && cfg.back() != '\n') cfg += "\r\n";
  *bytes = "--- file type: CFG ---\r\n" + cfg + std::string(header, *n) + dat;
  return true;
}

}  // namespace

bool LoadPlaybackArea(const firmware::PlaybackConfig& config, std::string* bytes, std::string* error) {
  switch (config.source) {
    case firmware::AnalogSource::kSynthetic:
      bytes->clear();
      return true;
    case firmware::AnalogSource::kComtrade:
      if (config.comtrade_file.empty()) return *error = "analog.source = comtrade needs comtrade.file", false;
      return LoadComtrade(std::string(config.comtrade_file.view()), bytes, error);
    case firmware::AnalogSource::kScenario: {
      if (config.scenario_file.empty()) return *error = "analog.source = scenario needs scenario.file", false;
      const std::string path(config.scenario_file.view());
      if (!ReadWhole(path, bytes)) return *error = "scenario.file: cannot read " + path, false;
      return true;
    }
  }
  return true;
}

}  // namespace pmu::sim
