// One row of a configuration key table (internal to the configuration code): the key's
// name, its help text (with the range a refused value is told), and how it is set from
// text and written back. config.cc's device keys, config_measurement.cc's and
// config_playback.cc's are tables of these over their own configuration type.
#pragma once

#include <string_view>

#include "pmu/firmware/config_value.h"

namespace pmu::firmware::config_detail {

template <typename Config>
struct ConfigKey {
  using Setter = const char* (*)(Config&, std::string_view);  // nullptr, or why the value is refused
  using Getter = void (*)(const Config&, ConfigValueText&);
  const char* name;
  const char* help;
  Setter set;
  Getter get;
};

}  // namespace pmu::firmware::config_detail
