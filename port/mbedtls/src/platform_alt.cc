// mbedTLS platform hooks this project supplies (see pmu_mbedtls_config.h).
#include <cstring>
#include <ctime>

#include "mbedtls/platform_util.h"
#include "pmu/base/civil_time.h"

// MBEDTLS_PLATFORM_GMTIME_R_ALT: X.509 validity checks break the device's UTC into
// calendar fields. The C library's gmtime is not used: newlib's allocates on first use,
// and the board has no C heap.
extern "C" struct tm* mbedtls_platform_gmtime_r(const mbedtls_time_t* tt, struct tm* tm_buf) {
  if (tt == nullptr || tm_buf == nullptr) return nullptr;
  const std::int64_t seconds = static_cast<std::int64_t>(*tt);
  // CivilFromUnixNs covers 1677..2262, far more than a device clock needs.
  constexpr std::int64_t kLimit = INT64_MAX / 1'000'000'000;
  if (seconds > kLimit || seconds < -kLimit) return nullptr;
  const pmu::CivilTime c = pmu::CivilFromUnixNs(seconds * 1'000'000'000);
  std::memset(tm_buf, 0, sizeof(*tm_buf));
  tm_buf->tm_year = c.year - 1900;
  tm_buf->tm_mon = c.month - 1;
  tm_buf->tm_mday = c.day;
  tm_buf->tm_hour = c.hour;
  tm_buf->tm_min = c.minute;
  tm_buf->tm_sec = c.second;
  const std::int64_t jan1 = pmu::UnixSecondsFromCivil(c.year, 1, 1, 0, 0, 0);
  tm_buf->tm_yday = static_cast<int>((seconds - jan1) / 86400);
  const std::int64_t days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400;
  tm_buf->tm_wday = static_cast<int>(((days % 7) + 11) % 7);  // 1970-01-01 was a Thursday
  return tm_buf;
}
