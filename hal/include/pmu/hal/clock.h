// Time sources. The firmware keeps its own UTC (firmware/time) on top of these: the
// clock reset service moves the device's UTC, never the platform's.
#pragma once

#include <cstdint>

namespace pmu::hal {

class Clock {
 public:
  virtual ~Clock() = default;
  // Nanoseconds since an arbitrary origin at or before boot; never goes backwards.
  virtual std::uint64_t MonotonicNs() const = 0;
  // The platform's best knowledge of UTC, in nanoseconds since 1970-01-01T00:00:00Z
  // (leap seconds not counted, as in POSIX time).
  virtual std::int64_t UtcNs() const = 0;
  // UTC at the instant the monotonic clock read `monotonic_ns` (a time stamp taken by
  // the link glue). A clock whose UTC is a function of its counter answers exactly; the
  // default reads both clocks now.
  virtual std::int64_t UtcAt(std::uint64_t monotonic_ns) const {
    return UtcNs() - static_cast<std::int64_t>(MonotonicNs() - monotonic_ns);
  }
};

}  // namespace pmu::hal
