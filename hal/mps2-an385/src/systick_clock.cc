#include "pmu/hal/mps2/systick_clock.h"

#include "pmu/hal/cortex_m/cortex_m3.h"

namespace pmu::hal::mps2 {

using namespace cortex_m;
namespace {

// The time base is the CMSDK APB timer 0 (AN385: 0x40000000; ARM DDI 0479), run
// free on the 25 MHz peripheral clock with no interrupt: its 32-bit down-counter
// wraps every 171.8 s and its value is the time whatever happened to interrupts. A
// count of SysTick interrupts is not: each one missed (interrupts masked for longer
// than a millisecond, a flash erase, or QEMU's vCPU thread descheduled on a busy host)
// loses a millisecond for good. Under QEMU on a loaded host that was a fifth of the
// time: the board's UTC fell behind the host's by seconds a minute, enough for a
// certificate signed a moment before to be "not yet valid".
constexpr std::uintptr_t kTimer0Ctrl = 0x40000000;
constexpr std::uintptr_t kTimer0Value = 0x40000004;
constexpr std::uintptr_t kTimer0Reload = 0x40000008;
constexpr std::uint32_t kTimerEnable = 1u << 0;

// Timer ticks since Start(), brought up to date by Ticks() (under IrqLock) from the
// counter's value at the last update. The SysTick handler updates it every
// millisecond, so the 171.8 s wrap is never missed while any interrupt gets through.
volatile std::uint64_t g_ticks = 0;
volatile std::uint32_t g_last_value = 0;

std::uint64_t Ticks() {
  IrqLock lock;
  const std::uint32_t value = Mmio(kTimer0Value);
  // A down-counter reloading 0xFFFFFFFF after 0: the period is 2^32 ticks, so the
  // modular difference is the elapsed count across a wrap too.
  g_ticks = g_ticks + static_cast<std::uint32_t>(g_last_value - value);
  g_last_value = value;
  return g_ticks;
}

constexpr std::uint32_t kCsrEnable = 1u << 0;
constexpr std::uint32_t kCsrTickInt = 1u << 1;
constexpr std::uint32_t kCsrProcessorClock = 1u << 2;
constexpr std::uint32_t kNsPerTick = 1'000'000'000u / SysTickClock::kCoreHz;  // 40
static_assert(SysTickClock::kCoreHz % 1000 == 0 && 1'000'000'000u % SysTickClock::kCoreHz == 0);

}  // namespace

void SysTickClock::Start() {
  Mmio(kTimer0Ctrl) = 0;
  Mmio(kTimer0Reload) = 0xFFFFFFFFu;
  Mmio(kTimer0Value) = 0xFFFFFFFFu;
  g_last_value = 0xFFFFFFFFu;
  g_ticks = 0;
  Mmio(kTimer0Ctrl) = kTimerEnable;
  // SysTick stays for its interrupt: it wakes the idle loop every millisecond.
  Mmio(kSysTickCsr) = 0;
  Mmio(kSysTickRvr) = kTicksPerMs - 1;
  Mmio(kSysTickCvr) = 0;
  Mmio(kSysTickCsr) = kCsrEnable | kCsrTickInt | kCsrProcessorClock;
}

void SysTickClock::Isr() { Ticks(); }

std::uint32_t SysTickClock::CurrentValue() { return Mmio(kSysTickCvr); }

std::uint64_t SysTickClock::MonotonicNs() const { return Ticks() * kNsPerTick; }

std::int64_t SysTickClock::UtcNs() const {
  return utc_base_ns_ + static_cast<std::int64_t>(MonotonicNs() - mono_base_ns_);
}

void SysTickClock::SetUtcNs(std::int64_t utc_ns) {
  mono_base_ns_ = MonotonicNs();
  utc_base_ns_ = utc_ns;
}

}  // namespace pmu::hal::mps2
