// The LM3S6965's noise source for the DRBG (with the seed area: hal/cortex-m's
// SeedAreaStore). The chip has no hardware random generator. Each output byte folds
// several samples of SysTick's counter taken around busy loops whose length depends on
// the previous sample. On a real chip the counter and the core run from one crystal,
// so the jitter comes only from interrupts (Ethernet, UART, timer) landing in the loop
// and is small and unmeasured; under QEMU it reflects host scheduling. It is mixed
// into the DRBG with the stored seeds, never used alone (docs/BOARD.md).
#pragma once

#include "pmu/hal/entropy.h"

namespace pmu::hal::lm3s6965 {

class TimerNoise final : public Entropy {
 public:
  Status Fill(MutableByteSpan out) override;
};

}  // namespace pmu::hal::lm3s6965
