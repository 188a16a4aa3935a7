#include "pmu/hal/mps2/region_storage.h"

#include <cstring>

namespace pmu::hal::mps2 {
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

bool RegionStorage::Open(MemoryArea area) {
  data_ = area.base + kHeaderSize;
  size_ = area.size - kHeaderSize;
  Header h;
  std::memcpy(&h, area.base, sizeof(h));
  const auto size = static_cast<std::uint32_t>(size_);
  if (std::memcmp(h.magic, kMagic, sizeof(kMagic)) == 0 && h.size == size && h.size_check == ~size) return false;
  std::memset(data_, 0xFF, size_);
  std::memcpy(h.magic, kMagic, sizeof(kMagic));
  h.size = size;
  h.size_check = ~size;
  std::memcpy(area.base, &h, sizeof(h));
  return true;
}

Status RegionStorage::Read(std::size_t offset, MutableByteSpan out) {
  if (offset > size_ || out.size() > size_ - offset) return OutOfRange("read past the end of storage");
  std::memcpy(out.data(), data_ + offset, out.size());
  return Status::Ok();
}

Status RegionStorage::Write(std::size_t offset, ByteSpan data) {
  if (offset > size_ || data.size() > size_ - offset) return OutOfRange("write past the end of storage");
  std::memcpy(data_ + offset, data.data(), data.size());
  return Status::Ok();
}

}  // namespace pmu::hal::mps2
