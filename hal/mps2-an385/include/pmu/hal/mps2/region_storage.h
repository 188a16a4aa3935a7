// hal::Storage on a memory area. On the AN385 the area is in code SSRAM, outside the
// image: it survives a warm reset (the firmware's SYSRESETREQ, a fault), not a power
// cycle, and QEMU starts it zeroed. The first 16 bytes hold a header; an area without
// one is formatted (erased to 0xFF, as flash would read) so that the Storage contract
// holds. A board with flash would implement Write() as erase-and-program of a sector
// copy instead of a memcpy (docs/BOARD.md).
#pragma once

#include "pmu/hal/mps2/board_memory.h"
#include "pmu/hal/storage.h"

namespace pmu::hal::mps2 {

class RegionStorage final : public Storage {
 public:
  // Returns true when the area had to be formatted (first boot after power-up).
  bool Open(MemoryArea area);

  std::size_t size() const override { return size_; }
  Status Read(std::size_t offset, MutableByteSpan out) override;
  Status Write(std::size_t offset, ByteSpan data) override;

 private:
  std::byte* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace pmu::hal::mps2
