// The seed area (board_memory.h's SeedArea) as the board's hal::SeedStore. Neither
// Cortex-M3 board has a hardware random generator, so the firmware's DRBG
// (port/drbg_entropy.h) is seeded from this and the board's timer jitter; docs/BOARD.md
// says plainly what that means for keys.
//
// The area holds:
//   offset  0: the provisioned seed, 32 bytes written from outside the firmware: the
//              launcher writes 32 bytes from the host's /dev/urandom at each QEMU
//              start; on a real board, a per-board file its loader (or a factory
//              step) puts there. All zeros or all ones means "not provisioned".
//   offset 64: the boot seed record, renewed by the firmware at every boot from the
//              DRBG's output: magic, 32 bytes, a check word. Written through the
//              board's AreaWriter (a copy on the AN385, the flash controller on the
//              LM3S6965, which fails under QEMU: then the next boot finds the old one).
#pragma once

#include "pmu/hal/cortex_m/region_storage.h"
#include "pmu/hal/seed_store.h"

namespace pmu::hal::cortex_m {

class SeedAreaStore final : public SeedStore {
 public:
  explicit SeedAreaStore(AreaWriter& writer) : writer_(writer) {}
  StoredSeeds Read() const override;
  Status WriteBootSeed(const Seed& seed) override;

 private:
  AreaWriter& writer_;
};

}  // namespace pmu::hal::cortex_m
