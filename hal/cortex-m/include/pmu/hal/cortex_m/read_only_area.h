// A memory area read as it is, as hal::Storage: the playback area, which the launcher
// (QEMU -device loader) or the board's images.txt fills with a COMTRADE record or a
// scenario before the firmware starts. Unlike RegionStorage it has no header and is
// never formatted; bytes never loaded read as QEMU left them (zero), which the
// firmware's readers take as the end of the text. Writes are refused.
#pragma once

#include "pmu/hal/cortex_m/board_memory.h"
#include "pmu/hal/storage.h"

namespace pmu::hal::cortex_m {

class ReadOnlyArea final : public Storage {
 public:
  explicit ReadOnlyArea(MemoryArea area) : area_(area) {}
  std::size_t size() const override { return area_.size; }
  Status Read(std::size_t offset, MutableByteSpan out) override;
  Status Write(std::size_t offset, ByteSpan data) override;  // kPermissionDenied

 private:
  MemoryArea area_;
};

}  // namespace pmu::hal::cortex_m
