// Writes the storage areas in the LM3S6965's flash through its flash controller
// (FMA, FMD, FMC at 0x400FD000; data sheet section 8): 1 KiB pages, erased to 0xFF
// as a whole, then programmed a 32-bit word at a time. A write that keeps the other
// bytes of a page reads the page into RAM first, erases it and programs it back
// merged; one that only clears bits of erased bytes programs without erasing.
//
// Every word is read back after programming (and every page after erasing): a write
// the flash did not take is an error naming the address, never a silent success. That
// is what happens under QEMU 7.2, which does not emulate the flash controller (its
// registers read 0, writes are ignored, and the flash is read-only): the launcher loads
// the areas with -device loader instead, and every save reports that it failed.
//
// The code runs from the same flash it programs: the controller stalls instruction
// fetches while it works (the data sheet allows this), and interrupts stay enabled.
#pragma once

#include "pmu/hal/cortex_m/region_storage.h"

namespace pmu::hal::lm3s6965 {

class FlashAreaWriter final : public cortex_m::AreaWriter {
 public:
  static constexpr std::size_t kPageSize = 1024;

  Status Write(std::byte* at, ByteSpan data) override;
  Status Erase(std::byte* at, std::size_t size) override;

  // Writes and erases that failed since boot (the console's stats).
  std::uint32_t failures() const { return failures_; }

 private:
  Status WritePage(std::uintptr_t page, std::size_t offset, ByteSpan data);
  Status Fail(Status s) {
    ++failures_;
    return s;
  }

  std::uint32_t failures_ = 0;
};

}  // namespace pmu::hal::lm3s6965
