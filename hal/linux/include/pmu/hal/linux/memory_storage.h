// Storage kept in RAM: what the simulator uses when no storage file is given (nothing
// survives the process).
#pragma once

#include <cstring>
#include <vector>

#include "pmu/hal/storage.h"

namespace pmu::hal::linux_host {

class MemoryStorage final : public Storage {
 public:
  explicit MemoryStorage(std::size_t size) : bytes_(size, std::byte{0xFF}) {}
  std::size_t size() const override { return bytes_.size(); }
  Status Read(std::size_t offset, MutableByteSpan out) override {
    if (offset > bytes_.size() || out.size() > bytes_.size() - offset) return OutOfRange("read past the end");
    if (!out.empty()) std::memcpy(out.data(), bytes_.data() + offset, out.size());
    return Status::Ok();
  }
  Status Write(std::size_t offset, ByteSpan data) override {
    if (offset > bytes_.size() || data.size() > bytes_.size() - offset) return OutOfRange("write past the end");
    if (!data.empty()) std::memcpy(bytes_.data() + offset, data.data(), data.size());
    return Status::Ok();
  }

 private:
  std::vector<std::byte> bytes_;
};

}  // namespace pmu::hal::linux_host
