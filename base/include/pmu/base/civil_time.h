// UTC calendar conversions without the C library's time zone machinery (the board has
// none): days-from-civil after H. Hinnant's public-domain algorithms.
#pragma once

#include <cstdint>

#include "pmu/base/fixed_string.h"

namespace pmu {

struct CivilTime {
  std::int32_t year;
  std::uint8_t month;   // 1..12
  std::uint8_t day;     // 1..31
  std::uint8_t hour;    // 0..23
  std::uint8_t minute;  // 0..59
  std::uint8_t second;  // 0..59
  std::uint32_t nanosecond;
};

CivilTime CivilFromUnixNs(std::int64_t unix_ns);
std::int64_t UnixSecondsFromCivil(std::int32_t year, unsigned month, unsigned day, unsigned hour,
                                  unsigned minute, unsigned second);

// "2026-11-22T10:15:30.123456Z" with `fraction_digits` (0, 3, 6 or 9) decimals.
FixedString<40> FormatIso8601(std::int64_t unix_ns, int fraction_digits);

}  // namespace pmu
