// What the board has for randomness: no hardware generator, so a seed kept in storage
// and the jitter of its timers. The firmware's DRBG (port/drbg_entropy.h) is seeded
// from both; docs/BOARD.md says plainly what that means for keys.
//
// The seed area (board_memory.h, 4 KiB) holds:
//   offset  0: the provisioned seed, 32 bytes written from outside the firmware: the
//              launcher writes 32 bytes from the host's /dev/urandom at each QEMU
//              start; on a real board, a per-board file loaded by images.txt (or a
//              factory step). All zeros or all ones means "not provisioned".
//   offset 64: the boot seed record, renewed by the firmware at every boot from the
//              DRBG's output: magic, 32 bytes, a check word. It survives warm resets.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "pmu/base/bytes.h"
#include "pmu/hal/entropy.h"
#include "pmu/hal/seed_store.h"

namespace pmu::hal::mps2 {

// The seed area as the board's hal::SeedStore.
class SeedAreaStore final : public SeedStore {
 public:
  StoredSeeds Read() const override;
  void WriteBootSeed(const Seed& seed) override;
};

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
