// The archive's rows (docs/ARCHIVE.md has the schema) and their text forms, as pure
// functions: what a decoded C37.118.2 frame becomes, how arrays are written for each
// database, and how they are read back. No I/O.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pmu/proto/c37118.h"
#include "json_text.h"

namespace pmu::pdc::archive {

namespace p = proto::c37118;

// One PMU block's configuration (table pmu_config). Its id is a hash of everything but
// first_seen_us, so the same configuration read again, by any run, is the same row.
struct ConfigRow {
  std::int64_t config_id = 0;
  std::uint16_t idcode = 0;
  std::string station;
  std::uint16_t cfgcnt = 0;
  std::string frame;  // "CFG-2" or "CFG-3"
  std::uint32_t time_base = 0;
  std::int32_t data_rate = 0;
  std::int32_t nominal_hz = 60;
  std::vector<std::string> phasor_names, phasor_units;  // units "V" or "A"
  std::vector<std::string> analog_names;
  std::vector<std::string> digital_names;  // 16 per status word, bit 0 of the first word first
  std::int64_t first_seen_us = 0;          // host UTC when pdc first read it
};

// One PMU's report (table pmu_report): engineering units (the scaling rule of
// pdc c37's outputs: proto ScalePhasor, ScaleAnalog), NaN where the PMU sent none.
struct ReportRow {
  std::int64_t time_us = 0;  // the report's time stamp, UTC microseconds since 1970
  std::uint16_t idcode = 0;
  std::int64_t config_id = 0;
  std::uint16_t stat = 0;
  double freq_hz = 0, rocof_hz_s = 0;
  std::uint8_t phasor_count = 0, analog_count = 0, digital_count = 0;
  std::array<float, p::kMaxPhasors> magnitude{};
  std::array<float, p::kMaxPhasors> angle_deg{};
  std::array<float, p::kMaxAnalogs> analog{};
  std::array<std::uint16_t, p::kMaxDigitalWords> digital{};
};

// The concentrator's events (table pdc_event): a run of like events is one row.
struct EventRow {
  std::int64_t time_us = 0;   // first (UTC microseconds: report time stamps, or host time)
  std::int64_t until_us = 0;  // last
  std::int32_t idcode = -1;   // -1: not about one PMU
  std::string kind;           // late, missing, duplicate, corrupt, link_down, config, archive_dropped
  std::uint64_t count = 1;
  std::string detail;
};

// UTC microseconds of a time stamp (the fraction rounded to the microsecond).
std::int64_t TimeUs(const p::Timestamp& t, std::uint32_t time_base);
// UTC microseconds of a concentrator's set: key = SOC * rate + report within the
// second, the fraction rounded to the microsecond as the concentrator prints it.
std::int64_t SetTimeUs(std::int64_t key, int rate);
// Host UTC now, in microseconds.
std::int64_t NowUtcUs();

ConfigRow DescribeConfig(const p::ConfigFrame& config, std::size_t pmu, std::int64_t first_seen_us);
// The canonical text the configuration id is the hash of.
std::string CanonicalText(const ConfigRow& row);
std::int64_t ConfigId(const ConfigRow& row);

void FillReport(const p::ConfigFrame& config, std::size_t pmu, const p::DataFrame& frame, std::int64_t config_id,
                ReportRow& row);

// Text forms. Numbers in their shortest round-trip form; NaN as null (JSON) or NULL.
void AppendNumber(std::string& out, double v);
void AppendJsonArray(std::string& out, std::span<const float> values);
void AppendJsonArray(std::string& out, std::span<const std::uint16_t> values);
void AppendJsonArray(std::string& out, std::span<const std::string> values);
void AppendPgArray(std::string& out, std::span<const float> values);
void AppendPgArray(std::string& out, std::span<const std::uint16_t> values);
// A JSON string literal; bytes outside printable ASCII as \u00XX, as pdc's outputs do.
using pdc::AppendJsonString;

// Readers of the arrays stored as JSON text. Throw std::invalid_argument naming what
// is wrong and where.
std::vector<double> ParseNumberArray(std::string_view text);
std::vector<std::string> ParseStringArray(std::string_view text);

// Host UTC time for --from and --to: "2026-11-22T10:15:30Z", fractions and a
// numeric offset allowed ("2026-11-22T10:15:30.25+01:00"), a date alone (midnight
// UTC), or seconds since 1970 ("1795000000.5"). Microseconds; throws
// std::invalid_argument.
std::int64_t ParseTimeArg(std::string_view text);
// "2026-11-22T10:15:30.033333Z".
std::string FormatUtcUs(std::int64_t us);

}  // namespace pmu::pdc::archive
