#include "pmu/firmware/device_clock.h"

namespace pmu::firmware {
namespace {

constexpr std::int64_t kNsPerS = 1'000'000'000;

// `elapsed_ns` * `ppt` / 1e12 without overflow for any run time and |ppt| < 1e9:
// whole seconds times ppt/1000 plus the rest.
std::int64_t Scale(std::uint64_t elapsed_ns, std::int64_t ppt) {
  const auto seconds = static_cast<std::int64_t>(elapsed_ns / kNsPerS);
  const auto rest = static_cast<std::int64_t>(elapsed_ns % kNsPerS);
  return seconds * ppt / 1000 + rest * (ppt / 1000) / kNsPerS + rest * (ppt % 1000) / (kNsPerS * 1000);
}

}  // namespace

const char* SyncStateName(SyncState s) {
  switch (s) {
    case SyncState::kUnsynchronised: return "unsynchronised";
    case SyncState::kLocked: return "locked";
    case SyncState::kHoldover: return "holdover";
  }
  return "?";
}

std::int64_t DeviceClock::CorrectionAt(std::uint64_t monotonic_ns) const {
  if (monotonic_ns >= anchor_ns_) return phase_ns_ + Scale(monotonic_ns - anchor_ns_, frequency_ppt_);
  return phase_ns_ - Scale(anchor_ns_ - monotonic_ns, frequency_ppt_);
}

void DeviceClock::SetFrequencyPpt(std::int64_t ppt) {
  const std::uint64_t now = platform_.MonotonicNs();
  phase_ns_ = CorrectionAt(now);
  anchor_ns_ = now;
  frequency_ppt_ = ppt;
}

void DeviceClock::Locked(std::uint64_t error_ns) {
  state_ = SyncState::kLocked;
  error_ns_ = error_ns;
  state_since_ns_ = platform_.MonotonicNs();
}

void DeviceClock::LostReference() {
  if (state_ != SyncState::kLocked) return;
  state_ = SyncState::kHoldover;
  state_since_ns_ = platform_.MonotonicNs();
}

TimeError DeviceClock::Error() const {
  TimeError e;
  e.state = state_;
  const std::uint64_t now = platform_.MonotonicNs();
  const std::uint64_t since = now - state_since_ns_;
  e.since_ms = state_ == SyncState::kLocked ? 0 : since / 1'000'000u;
  e.error_ns = error_ns_;
  if (state_ == SyncState::kHoldover) e.error_ns += static_cast<std::uint64_t>(Scale(since, drift_ppb_ * 1000ll));
  return e;
}

}  // namespace pmu::firmware
