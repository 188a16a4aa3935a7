#include "pmu/hal/mps2/entropy_sources.h"

#include <cstring>

#include "pmu/hal/cortex_m/cortex_m3.h"
#include "pmu/hal/mps2/lan9118_link.h"
#include "pmu/hal/mps2/systick_clock.h"

namespace pmu::hal::mps2 {

using namespace cortex_m;
namespace {

constexpr std::uintptr_t kLanFreeRun = Lan9118Link::kBase + 0x9C;

}  // namespace

Status TimerNoise::Fill(MutableByteSpan out) {
  std::uint32_t previous = 0;
  for (std::byte& b : out) {
    std::uint32_t acc = 0;
    for (int sample = 0; sample < 8; ++sample) {
      // A loop whose length depends on the last sample, then both counters.
      const std::uint32_t spins = 16 + (previous & 0x3F);
      for (std::uint32_t i = 0; i < spins; ++i) asm volatile("");
      const std::uint32_t t = SysTickClock::CurrentValue() ^ (MmioRead(kLanFreeRun) << 7);
      acc = (acc << 5 | acc >> 27) ^ t;
      previous = t;
    }
    b = static_cast<std::byte>(acc ^ acc >> 8 ^ acc >> 16 ^ acc >> 24);
  }
  return Status::Ok();
}

}  // namespace pmu::hal::mps2
