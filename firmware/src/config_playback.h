// The analog.source, comtrade.* and scenario.* configuration keys (internal to the
// configuration code): config_measurement.cc lists them after its own, so the
// playback's keys grow without touching the device's others.
#pragma once

#include <cstddef>
#include <string_view>

#include "pmu/firmware/config_value.h"
#include "pmu/firmware/measurement/measurement_config.h"

namespace pmu::firmware::config_detail {

// false when `key` is not one of these; else sets it and returns the error (nullptr
// for none) through `error`.
bool SetPlaybackValue(MeasurementConfig& config, std::string_view key, std::string_view value, const char** error,
                      const char** key_name);
const char* PlaybackKeyHelp(std::string_view key);
std::size_t PlaybackKeyCount();
const char* PlaybackKeyName(std::size_t index);  // nullptr past the end
void PlaybackValueAt(const MeasurementConfig& config, std::size_t index, ConfigValueText& out);

// "2026-12-07T06:00:00Z", with up to 9 decimals of the second, or whole Unix seconds.
bool ParseUtc(std::string_view s, std::int64_t* unix_ns);

}  // namespace pmu::firmware::config_detail
