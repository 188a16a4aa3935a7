// The c37.* and waveform.* configuration keys (internal to config.cc): kept in a file
// of their own so the measurement's keys grow without touching the device's others.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "pmu/firmware/config_value.h"
#include "pmu/firmware/measurement/measurement_config.h"

namespace pmu::firmware::config_detail {

// nullptr when `key` is not one of these; else sets it and returns the error (nullptr
// for none) through `error`.
bool SetMeasurementValue(MeasurementConfig& config, std::string_view key, std::string_view value, const char** error,
                         const char** key_name);
const char* MeasurementKeyHelp(std::string_view key);
void ForEachMeasurementValue(const MeasurementConfig& config,
                             void (*fn)(void* context, const char* key, std::string_view value), void* context);
ConfigError ValidateMeasurementConfig(const MeasurementConfig& config);
// These keys by index, in ForEachMeasurementValue's order (config.cc lists them after
// the device's others).
std::size_t MeasurementKeyCount();
const char* MeasurementKeyName(std::size_t index);  // nullptr past the end
void MeasurementValueAt(const MeasurementConfig& config, std::size_t index, ConfigValueText& out);

}  // namespace pmu::firmware::config_detail
