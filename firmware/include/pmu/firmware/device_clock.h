// The device's own UTC and what it knows about its error.
//
// The time scale: the platform's clock (its oscillator and the UTC it was set to at
// boot) plus a correction that a time source (the PTP slave) disciplines, in frequency
// and phase, plus an offset that the clock reset service moves on top. Everything that
// time-stamps (the log, CMD_time, synchrophasor frames) reads UtcNs(), so a reset or a
// step shows everywhere at once. The PTP slave reads DisciplinedAt(): the time it
// disciplines, without the reset service's offset (a reset is a test of the PDCs, not
// an error the servo should undo).
//
// The error: a time source says when it is locked and with what error bound; when it
// loses its reference the bound grows by the stated drift (holdover).
#pragma once

#include <cstdint>

#include "pmu/hal/clock.h"

namespace pmu::firmware {

enum class SyncState : std::uint8_t {
  kUnsynchronised,  // no reference since boot
  kLocked,          // a time source vouches for the error bound
  kHoldover,        // the reference was lost; the bound grows with the drift
};
const char* SyncStateName(SyncState s);  // "unsynchronised", "locked", "holdover"

// The clock's state as the time-quality fields report it.
struct TimeError {
  SyncState state = SyncState::kUnsynchronised;
  std::uint64_t error_ns = 0;   // bound on |device UTC - UTC| (locked, holdover)
  std::uint64_t since_ms = 0;   // since boot (unsynchronised) or since the lock was lost
};

class DeviceClock {
 public:
  explicit DeviceClock(const hal::Clock& platform)
      : platform_(platform), state_since_ns_(platform.MonotonicNs()) {}

  std::int64_t UtcNs() const { return DisciplinedAt(platform_.MonotonicNs()) + offset_ns_; }
  // The disciplined time at monotonic instant `monotonic_ns`, without the reset offset.
  std::int64_t DisciplinedAt(std::uint64_t monotonic_ns) const {
    return platform_.UtcAt(monotonic_ns) + CorrectionAt(monotonic_ns);
  }
  // The disciplined time now, without the reset offset: the device's best knowledge of
  // the real time, for what the network must not be able to move (certificate
  // validity, the age of a Fernet token made by a PDC).
  std::int64_t RealUtcNs() const { return DisciplinedAt(platform_.MonotonicNs()); }
  std::uint64_t MonotonicNs() const { return platform_.MonotonicNs(); }
  std::uint64_t MonotonicMs() const { return platform_.MonotonicNs() / 1'000'000u; }

  // The clock reset service: moves the device's UTC, counted in offset_ns().
  void AdvanceNs(std::int64_t delta_ns) { offset_ns_ += delta_ns; }
  // Total reset adjustment since boot.
  std::int64_t offset_ns() const { return offset_ns_; }

  // The discipline: a phase step, and the frequency correction from now on, in parts
  // per trillion (1e-12) of the platform's rate.
  void StepNs(std::int64_t delta_ns) { phase_ns_ += delta_ns; }
  void SetFrequencyPpt(std::int64_t ppt);
  std::int64_t frequency_ppt() const { return frequency_ppt_; }

  // The time source's verdict. Locked(bound): within `error_ns` now. LostReference():
  // holdover from the last bound, growing by `drift_ppb` (the oscillator's stated
  // stability) per second.
  void Locked(std::uint64_t error_ns);
  void LostReference();
  void set_holdover_drift_ppb(std::uint32_t ppb) { drift_ppb_ = ppb; }
  TimeError Error() const;

 private:
  std::int64_t CorrectionAt(std::uint64_t monotonic_ns) const;

  const hal::Clock& platform_;
  std::uint64_t state_since_ns_;  // monotonic: boot, or when the reference was lost
  std::int64_t offset_ns_ = 0;
  // Correction = phase_ns_ + (monotonic - anchor_ns_) * frequency_ppt_ / 1e12.
  std::int64_t phase_ns_ = 0;
  std::uint64_t anchor_ns_ = 0;
  std::int64_t frequency_ppt_ = 0;
  SyncState state_ = SyncState::kUnsynchronised;
  std::uint64_t error_ns_ = 0;
  std::uint32_t drift_ppb_ = 1000;
};

}  // namespace pmu::firmware
