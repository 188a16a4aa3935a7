// The AN385's noise source. It has no hardware random generator: the DRBG is seeded
// from the seed area (hal/cortex-m's SeedAreaStore) and this timer jitter;
// docs/BOARD.md says plainly what that means for keys.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "pmu/base/bytes.h"
#include "pmu/hal/entropy.h"

namespace pmu::hal::mps2 {

// Timer jitter: each output byte folds several samples of SysTick's counter and the
// LAN9118's 25 MHz free-running counter, taken around busy loops whose length depends
// on the previous sample. On real hardware both counters run from one crystal, so the
// jitter comes from interrupts and bus contention and is small and unmeasured; under
// QEMU it reflects host scheduling. It is mixed into the DRBG, never used alone.
class TimerNoise final : public Entropy {
 public:
  Status Fill(MutableByteSpan out) override;
};

}  // namespace pmu::hal::mps2
