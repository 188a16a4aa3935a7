#include "pmu/hal/cortex_m/region_storage.h"

#include <cstring>

namespace pmu::hal::cortex_m {
namespace {

constexpr char kMagic[8] = {'P', 'M', 'U', 'S', 'T', 'O', 'R', '1'};
constexpr std::size_t kHeaderSize = 16;

struct Header {
  char magic[8];
  std::uint32_t size;
  std::uint32_t size_check;  // ~size
};
static_assert(sizeof(Header) == kHeaderSize);

}  // namespace

Status RamAreaWriter::Write(std::byte* at, ByteSpan data) {
  std::memcpy(at, data.data(), data.size());
  return Status::Ok();
}

Status RamAreaWriter::Erase(std::byte* at, std::size_t size) {
  std::memset(at, 0xFF, size);
  return Status::Ok();
}

Result<bool> RegionStorage::Open(MemoryArea area) {
  data_ = area.base + kHeaderSize;
  size_ = area.size - kHeaderSize;
  Header h;
  std::memcpy(&h, area.base, sizeof(h));
  const auto size = static_cast<std::uint32_t>(size_);
  if (std::memcmp(h.magic, kMagic, sizeof(kMagic)) == 0 && h.size == size && h.size_check == ~size) return false;
  // Erased content first, the header last: a format cut short leaves no header.
  PMU_TRY(writer_.Erase(area.base, area.size));
  std::memcpy(h.magic, kMagic, sizeof(kMagic));
  h.size = size;
  h.size_check = ~size;
  PMU_TRY(writer_.Write(area.base, AsBytes(&h, sizeof(h))));
  return true;
}

Status RegionStorage::Read(std::size_t offset, MutableByteSpan out) {
  if (offset > size_ || out.size() > size_ - offset) return OutOfRange("read past the end of storage");
  std::memcpy(out.data(), data_ + offset, out.size());
  return Status::Ok();
}

Status RegionStorage::Write(std::size_t offset, ByteSpan data) {
  if (offset > size_ || data.size() > size_ - offset) return OutOfRange("write past the end of storage");
  return writer_.Write(data_ + offset, data);
}

}  // namespace pmu::hal::cortex_m
