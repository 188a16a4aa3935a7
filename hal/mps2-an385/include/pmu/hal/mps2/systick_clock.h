// The board's clocks: monotonic time is the CMSDK APB Timer0 counting the 25 MHz
// peripheral clock (40 ns steps), extended past its 32-bit wrap in software, so a
// missed interrupt costs no time; SysTick interrupts every millisecond to wake the
// idle loop and to keep that extension current. UTC is kept from a base that the
// board sets at start-up (from the host through semihosting when one is attached, else
// a fixed fallback: see main.cc) and that SetUtcNs() may move later. The device's own
// clock reset service moves the firmware's DeviceClock, not this one
// (hal/include/pmu/hal/clock.h).
#pragma once

#include <cstdint>

#include "pmu/hal/clock.h"

namespace pmu::hal::mps2 {

class SysTickClock final : public Clock {
 public:
  static constexpr std::uint32_t kCoreHz = 25'000'000;
  static constexpr std::uint32_t kTicksPerMs = kCoreHz / 1000;

  // Starts SysTick on the processor clock with its interrupt. Call once.
  void Start();

  std::uint64_t MonotonicNs() const override;
  std::int64_t UtcNs() const override;
  std::uint64_t MonotonicMs() const { return MonotonicNs() / 1'000'000u; }

  // From now on UtcNs() counts from `utc_ns`.
  void SetUtcNs(std::int64_t utc_ns);

  // SysTick's counter (counts down from kTicksPerMs - 1): raw timing for the entropy
  // noise source.
  static std::uint32_t CurrentValue();

  // The SysTick handler (vector table).
  static void Isr();

 private:
  std::int64_t utc_base_ns_ = 0;       // UTC at monotonic time mono_base_ns_
  std::uint64_t mono_base_ns_ = 0;
};

}  // namespace pmu::hal::mps2
