// The c37.* and waveform.* configuration keys (internal to config.cc): kept in a file
// of their own so the measurement's keys grow without touching the device's others.
#pragma once

#include <cstddef>
#include <string_view>

#include "pmu/firmware/config.h"

namespace pmu::firmware::config_detail {

// nullptr when `key` is not one of these; else sets it and returns the error (nullptr
// for none) through `error`.
bool SetMeasurementValue(DeviceConfig& config, std::string_view key, std::string_view value, const char** error,
                         const char** key_name);
const char* MeasurementKeyHelp(std::string_view key);
void ForEachMeasurementValue(const DeviceConfig& config,
                             void (*fn)(void* context, const char* key, std::string_view value), void* context);
ConfigError ValidateMeasurementConfig(const DeviceConfig& config);
// These keys by index, in ForEachMeasurementValue's order (config.cc lists them after
// the device's others).
std::size_t MeasurementKeyCount();
const char* MeasurementKeyName(std::size_t index);  // nullptr past the end
void MeasurementValueAt(const DeviceConfig& config, std::size_t index, ConfigValueText& out);

}  // namespace pmu::firmware::config_detail
