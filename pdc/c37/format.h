// Text forms of decoded C37.118.2 frames for the PDC tools: a table for people, CSV
// and JSON lines for programs. One row (table, CSV) per PMU block of a data frame; one
// JSON object per frame. Angles in degrees, frequency in Hz, ROCOF in Hz/s.
//
// One scaling rule for every output, so that CFG-2 and CFG-3 show the same numbers for
// the same data: phasors and analogs are shown in engineering units wherever the
// configuration gives a factor (p::ScalePhasor, p::ScaleAnalog): CFG-1/2 PHUNIT and
// ANUNIT for integer formats (floats as sent); CFG-3 PHSCALE and ANSCALE for either
// format. JSON adds, for integer formats only, the integers as sent ("_raw" members).
#pragma once

#include <cstdint>
#include <string>

#include "pmu/proto/c37118.h"
#include "json_text.h"

namespace pmu::pdc::c37 {

enum class OutputFormat { kTable, kCsv, kJson, kNone };
OutputFormat ParseOutputFormat(const std::string& text);  // throws std::invalid_argument

// "2026-11-22T10:15:30.033333Z" (microseconds).
std::string FormatTime(std::uint32_t soc, std::uint32_t fraction, std::uint32_t time_base);
// Seconds since the epoch as a double.
double Seconds(std::uint32_t soc, std::uint32_t fraction, std::uint32_t time_base);

// Column titles (CSV line or table header) for the configuration's data.
std::string DataHeader(const proto::c37118::ConfigFrame& config, OutputFormat format);
// The rows or JSON object of one data frame, each line ending in '\n'.
void AppendData(std::string& out, const proto::c37118::ConfigFrame& config, const proto::c37118::DataFrame& frame,
                OutputFormat format);
// The JSON object of one PMU block (no line end): idcode, station, stat, freq, rocof,
// phasors {name: [magnitude, angle_deg]}, analogs {name: value}, digital [words]; for
// integer formats also freq_raw and rocof_raw, phasors_raw {name: [word, word]} and
// analogs_raw {name: integer}.
void AppendPmuJson(std::string& out, const proto::c37118::ConfigFrame& config, std::size_t pmu,
                   const proto::c37118::PmuData& data);
// A JSON object describing a configuration (type "config").
std::string ConfigJson(const proto::c37118::ConfigFrame& config);

using pdc::JsonString;

}  // namespace pmu::pdc::c37
