// A simulated device oscillator for the time sources' tests (PTP, SNTP).
#pragma once

#include <cstdint>

#include "pmu/hal/clock.h"

namespace pmu::firmware {

// A device oscillator `drift_ppb` off, its UTC `offset_ns` off at true time 0 (plus
// epoch): the simulator's SimulatedClock, driven by a simulated true time.
class TestOscillator : public hal::Clock {
 public:
  static constexpr std::int64_t kEpoch = 1'796'655'643'000'000'000;
  TestOscillator(std::int64_t offset_ns, std::int64_t drift_ppb) : offset_ns_(offset_ns), drift_ppb_(drift_ppb) {}
  std::uint64_t MonotonicNs() const override { return MonoAt(true_ns); }
  std::int64_t UtcNs() const override { return UtcAt(MonotonicNs()); }
  std::int64_t UtcAt(std::uint64_t mono) const override {
    return kEpoch + offset_ns_ + static_cast<std::int64_t>(mono);
  }
  std::uint64_t MonoAt(std::int64_t t) const {
    return static_cast<std::uint64_t>(t + (t / 1'000'000'000) * drift_ppb_ +
                                      (t % 1'000'000'000) * drift_ppb_ / 1'000'000'000);
  }
  std::int64_t true_ns = 1'000'000;  // since the epoch

 private:
  std::int64_t offset_ns_;
  std::int64_t drift_ppb_;
};

}  // namespace pmu::firmware
