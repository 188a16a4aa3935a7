#include "pmu/hal/mps2/systick_clock.h"

#include "cortex_m3.h"

namespace pmu::hal::mps2 {
namespace {

// Milliseconds since Start(); written only by the SysTick handler.
volatile std::uint64_t g_ms = 0;

constexpr std::uint32_t kCsrEnable = 1u << 0;
constexpr std::uint32_t kCsrTickInt = 1u << 1;
constexpr std::uint32_t kCsrProcessorClock = 1u << 2;
constexpr std::uint32_t kNsPerTick = 1'000'000'000u / SysTickClock::kCoreHz;  // 40
static_assert(SysTickClock::kCoreHz % 1000 == 0 && 1'000'000'000u % SysTickClock::kCoreHz == 0);

}  // namespace

void SysTickClock::Start() {
  Mmio(kSysTickCsr) = 0;
  Mmio(kSysTickRvr) = kTicksPerMs - 1;
  Mmio(kSysTickCvr) = 0;
  Mmio(kSysTickCsr) = kCsrEnable | kCsrTickInt | kCsrProcessorClock;
}

void SysTickClock::Isr() { g_ms = g_ms + 1; }

std::uint32_t SysTickClock::CurrentValue() { return Mmio(kSysTickCvr); }

std::uint64_t SysTickClock::MonotonicNs() const {
  std::uint64_t ms;
  std::uint32_t value;
  {
    IrqLock lock;
    ms = g_ms;
    value = Mmio(kSysTickCvr);
    // The counter may have wrapped with its interrupt still pending (we hold it off,
    // or it has not been taken yet): then the count is one millisecond ahead of g_ms.
    // Reading the value again after seeing the pending bit makes both agree.
    if ((Mmio(kScbIcsr) & kIcsrPendStSet) != 0) {
      value = Mmio(kSysTickCvr);
      ms += 1;
    }
  }
  const std::uint32_t elapsed_ticks = (kTicksPerMs - 1) - value;
  return ms * 1'000'000u + std::uint64_t{elapsed_ticks} * kNsPerTick;
}

std::int64_t SysTickClock::UtcNs() const {
  return utc_base_ns_ + static_cast<std::int64_t>(MonotonicNs() - mono_base_ns_);
}

void SysTickClock::SetUtcNs(std::int64_t utc_ns) {
  mono_base_ns_ = MonotonicNs();
  utc_base_ns_ = utc_ns;
}

}  // namespace pmu::hal::mps2
