// The LM3S6965's clocks. Monotonic time is SysTick's 24-bit counter running free on
// the 50 MHz core clock (20 ns steps), extended past its wrap in software, as the
// AN385 extends its CMSDK timer (hal/mps2-an385/src/systick_clock.cc): the count is
// read from the counter, not counted in interrupts, so a late or missed interrupt costs
// no time. The counter wraps every 335.5 ms; it is read at each wrap (SysTick's
// interrupt), every millisecond (timer 0's) and on every call, so time is lost only if
// all interrupts stay masked for longer than that, which nothing in the firmware does.
// The general-purpose timers would have had 32 bits, but QEMU 7.2 does not emulate
// reading their counter (GPTMTAR reads 0); SysTick it does.
//
// Timer 0 (GPTM0, interrupt 19) interrupts every millisecond to wake the idle loop.
// UTC is kept from a base set at start-up, as on the AN385.
#pragma once

#include <cstdint>

#include "pmu/hal/clock.h"

namespace pmu::hal::lm3s6965 {

class SysTickClock final : public Clock {
 public:
  static constexpr unsigned kTimerIrq = 19;

  // Starts SysTick (free-running, interrupt at each wrap) and timer 0 (1 ms periodic
  // interrupt). Call once, after StartClocks().
  void Start();

  std::uint64_t MonotonicNs() const override;
  std::int64_t UtcNs() const override;
  std::uint64_t MonotonicMs() const { return MonotonicNs() / 1'000'000u; }
  void SetUtcNs(std::int64_t utc_ns);

  // SysTick's counter: raw timing for the entropy noise source.
  static std::uint32_t CurrentValue();

  // SysTick's and timer 0's handlers (vector table).
  static void SysTickIsr();
  static void TimerIsr();

 private:
  std::int64_t utc_base_ns_ = 0;
  std::uint64_t mono_base_ns_ = 0;
};

}  // namespace pmu::hal::lm3s6965
