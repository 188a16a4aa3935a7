#include "pmu/base/civil_time.h"

namespace pmu {
namespace {

constexpr std::int64_t kNsPerSecond = 1'000'000'000;

// Floor division that also works for times before 1970.
std::int64_t FloorDiv(std::int64_t a, std::int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

}  // namespace

CivilTime CivilFromUnixNs(std::int64_t unix_ns) {
  const std::int64_t secs = FloorDiv(unix_ns, kNsPerSecond);
  const std::int64_t ns = unix_ns - secs * kNsPerSecond;
  const std::int64_t days = FloorDiv(secs, 86400);
  const std::int64_t sod = secs - days * 86400;

  const std::int64_t z = days + 719468;
  const std::int64_t era = FloorDiv(z, 146097);
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const std::int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const std::int64_t m = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t y = yoe + era * 400 + (m <= 2 ? 1 : 0);

  CivilTime t{};
  t.year = static_cast<std::int32_t>(y);
  t.month = static_cast<std::uint8_t>(m);
  t.day = static_cast<std::uint8_t>(d);
  t.hour = static_cast<std::uint8_t>(sod / 3600);
  t.minute = static_cast<std::uint8_t>(sod / 60 % 60);
  t.second = static_cast<std::uint8_t>(sod % 60);
  t.nanosecond = static_cast<std::uint32_t>(ns);
  return t;
}

std::int64_t UnixSecondsFromCivil(std::int32_t year, unsigned month, unsigned day, unsigned hour,
                                  unsigned minute, unsigned second) {
  const std::int64_t y = static_cast<std::int64_t>(year) - (month <= 2 ? 1 : 0);
  const std::int64_t era = FloorDiv(y, 400);
  const std::int64_t yoe = y - era * 400;
  const std::int64_t mp = month > 2 ? month - 3 : month + 9;
  const std::int64_t doy = (153 * mp + 2) / 5 + day - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const std::int64_t days = era * 146097 + doe - 719468;
  return days * 86400 + hour * 3600 + minute * 60 + second;
}

FixedString<40> FormatIso8601(std::int64_t unix_ns, int fraction_digits) {
  const CivilTime t = CivilFromUnixNs(unix_ns);
  FixedString<40> s;
  s.Format("%04d-%02u-%02uT%02u:%02u:%02u", static_cast<int>(t.year), t.month, t.day, t.hour,
           t.minute, t.second);
  switch (fraction_digits) {
    case 3: s.Format(".%03u", static_cast<unsigned>(t.nanosecond / 1'000'000)); break;
    case 6: s.Format(".%06u", static_cast<unsigned>(t.nanosecond / 1'000)); break;
    case 9: s.Format(".%09u", static_cast<unsigned>(t.nanosecond)); break;
    default: break;
  }
  s.Append('Z');
  return s;
}

}  // namespace pmu
