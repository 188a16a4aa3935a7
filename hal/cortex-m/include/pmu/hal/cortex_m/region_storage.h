// hal::Storage on a memory area of the board (board_memory.h's StorageArea). The first
// 16 bytes hold a header; an area without one is formatted (erased to 0xFF, as flash
// reads) so that the Storage contract holds. How bytes get into the area is the
// board's: an AreaWriter. On the AN385 the area is code SSRAM, written with a copy (it
// survives a warm reset, not a power cycle); on the LM3S6965 it is flash, erased and
// programmed through the flash controller and read back (docs/BOARD.md).
#pragma once

#include "pmu/base/result.h"
#include "pmu/hal/cortex_m/board_memory.h"
#include "pmu/hal/storage.h"

namespace pmu::hal::cortex_m {

// Puts bytes into a storage area and makes them durable, or says why not.
class AreaWriter {
 public:
  virtual Status Write(std::byte* at, ByteSpan data) = 0;
  // Sets `size` bytes from `at` to 0xFF (what erased flash reads).
  virtual Status Erase(std::byte* at, std::size_t size) = 0;

 protected:
  ~AreaWriter() = default;
};

// The area is ordinary RAM: a copy.
class RamAreaWriter final : public AreaWriter {
 public:
  Status Write(std::byte* at, ByteSpan data) override;
  Status Erase(std::byte* at, std::size_t size) override;
};

class RegionStorage final : public Storage {
 public:
  explicit RegionStorage(AreaWriter& writer) : writer_(writer) {}

  // True when the area had to be formatted (no header: the first boot after power-up
  // on the AN385, a blank or never-loaded area on a flash board); the writer's error
  // when formatting failed (the area then stays as it was, and reads may not be 0xFF).
  Result<bool> Open(MemoryArea area);

  std::size_t size() const override { return size_; }
  Status Read(std::size_t offset, MutableByteSpan out) override;
  Status Write(std::size_t offset, ByteSpan data) override;

 private:
  AreaWriter& writer_;
  std::byte* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace pmu::hal::cortex_m
