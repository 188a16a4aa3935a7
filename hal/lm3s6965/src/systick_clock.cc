#include "pmu/hal/lm3s6965/systick_clock.h"

#include "pmu/hal/cortex_m/cortex_m3.h"
#include "pmu/hal/lm3s6965/system_control.h"

namespace pmu::hal::lm3s6965 {
namespace {

using namespace cortex_m;

constexpr std::uint32_t kSysTickPeriod = 1u << 24;  // reload 0xFFFFFF: the whole counter
constexpr std::uint32_t kCsrEnable = 1u << 0;
constexpr std::uint32_t kCsrTickInt = 1u << 1;
constexpr std::uint32_t kCsrProcessorClock = 1u << 2;
constexpr std::uint32_t kNsPerTick = 1'000'000'000u / kSystemClockHz;  // 20
static_assert(1'000'000'000u % kSystemClockHz == 0);

// General-purpose timer 0 (data sheet section 9): 32-bit periodic, time-out interrupt.
constexpr std::uintptr_t kTimer0 = 0x40030000;
constexpr std::uintptr_t kGptmCfg = kTimer0 + 0x000;
constexpr std::uintptr_t kGptmTamr = kTimer0 + 0x004;
constexpr std::uintptr_t kGptmCtl = kTimer0 + 0x00C;
constexpr std::uintptr_t kGptmImr = kTimer0 + 0x018;
constexpr std::uintptr_t kGptmIcr = kTimer0 + 0x024;
constexpr std::uintptr_t kGptmTailr = kTimer0 + 0x028;
constexpr std::uint32_t kCfg32Bit = 0;
constexpr std::uint32_t kTamrPeriodic = 2;
constexpr std::uint32_t kCtlTaEnable = 1u << 0;
constexpr std::uint32_t kTimeoutA = 1u << 0;

// Ticks since Start(), brought up to date (under IrqLock) from the counter's value at
// the last update; the modular difference is right across one wrap.
volatile std::uint64_t g_ticks = 0;
volatile std::uint32_t g_last_value = 0;

std::uint64_t Ticks() {
  IrqLock lock;
  const std::uint32_t value = Mmio(kSysTickCvr) & (kSysTickPeriod - 1);
  g_ticks = g_ticks + ((g_last_value - value) & (kSysTickPeriod - 1));
  g_last_value = value;
  return g_ticks;
}

}  // namespace

void SysTickClock::Start() {
  Mmio(kSysTickCsr) = 0;
  Mmio(kSysTickRvr) = kSysTickPeriod - 1;
  Mmio(kSysTickCvr) = 0;  // any write clears it; the first tick reloads
  g_last_value = 0;
  g_ticks = 0;
  Mmio(kSysTickCsr) = kCsrEnable | kCsrTickInt | kCsrProcessorClock;

  Mmio(kGptmCtl) = 0;
  Mmio(kGptmCfg) = kCfg32Bit;
  Mmio(kGptmTamr) = kTamrPeriodic;
  Mmio(kGptmTailr) = kSystemClockHz / 1000 - 1;
  Mmio(kGptmIcr) = kTimeoutA;
  Mmio(kGptmImr) = kTimeoutA;
  Mmio(kGptmCtl) = kCtlTaEnable;
  NvicEnable(kTimerIrq);
}

void SysTickClock::SysTickIsr() { Ticks(); }

void SysTickClock::TimerIsr() {
  Mmio(kGptmIcr) = kTimeoutA;
  Ticks();
}

std::uint32_t SysTickClock::CurrentValue() { return Mmio(kSysTickCvr); }

std::uint64_t SysTickClock::MonotonicNs() const { return Ticks() * kNsPerTick; }

std::int64_t SysTickClock::UtcNs() const {
  return utc_base_ns_ + static_cast<std::int64_t>(MonotonicNs() - mono_base_ns_);
}

void SysTickClock::SetUtcNs(std::int64_t utc_ns) {
  mono_base_ns_ = MonotonicNs();
  utc_base_ns_ = utc_ns;
}

}  // namespace pmu::hal::lm3s6965
