#include "pmu/hal/lm3s6965/timer_noise.h"

#include "pmu/hal/lm3s6965/systick_clock.h"

namespace pmu::hal::lm3s6965 {

Status TimerNoise::Fill(MutableByteSpan out) {
  std::uint32_t previous = 0;
  for (std::byte& b : out) {
    std::uint32_t acc = 0;
    for (int sample = 0; sample < 8; ++sample) {
      const std::uint32_t spins = 16 + (previous & 0x3F);
      for (std::uint32_t i = 0; i < spins; ++i) asm volatile("");
      const std::uint32_t t = SysTickClock::CurrentValue();
      acc = (acc << 5 | acc >> 27) ^ t;
      previous = t;
    }
    b = static_cast<std::byte>(acc ^ acc >> 8 ^ acc >> 16 ^ acc >> 24);
  }
  return Status::Ok();
}

}  // namespace pmu::hal::lm3s6965
