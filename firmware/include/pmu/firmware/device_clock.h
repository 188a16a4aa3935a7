// The device's own UTC: the platform's UTC plus an offset that the clock reset service
// moves. Everything that time-stamps (the log, CMD_time, synchrophasor frames) reads
// this clock, so a reset shows everywhere at once.
#pragma once

#include <cstdint>

#include "pmu/hal/clock.h"

namespace pmu::firmware {

class DeviceClock {
 public:
  explicit DeviceClock(const hal::Clock& platform) : platform_(platform) {}

  std::int64_t UtcNs() const { return platform_.UtcNs() + offset_ns_; }
  // The platform's UTC, without the resets (for checks against the real time, such as
  // the age of a Fernet token made by a PDC).
  std::int64_t PlatformUtcNs() const { return platform_.UtcNs(); }
  std::uint64_t MonotonicNs() const { return platform_.MonotonicNs(); }
  std::uint64_t MonotonicMs() const { return platform_.MonotonicNs() / 1'000'000u; }

  void AdvanceNs(std::int64_t delta_ns) { offset_ns_ += delta_ns; }
  // Total adjustment since boot.
  std::int64_t offset_ns() const { return offset_ns_; }

 private:
  const hal::Clock& platform_;
  std::int64_t offset_ns_ = 0;
};

}  // namespace pmu::firmware
