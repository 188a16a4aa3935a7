#include "pmu/firmware/storage_records.h"

#include <cstring>

#include "pmu/base/crc32.h"

namespace pmu::firmware {
namespace {

constexpr std::uint32_t kMagic = 0x524D5550;  // "PUMR"

struct Header {
  std::uint32_t magic;
  std::uint8_t kind;
  std::uint8_t reserved[3];
  std::uint32_t length;
  std::uint32_t crc;
};
static_assert(sizeof(Header) == 16);

struct Slot {
  std::size_t offset;
  std::size_t size;  // header included
};

Slot SlotOf(StorageRecord r) {
  switch (r) {
    case StorageRecord::kConfig: return {0x1000, 0x1000};
    case StorageRecord::kTrustAnchor: return {0x2000, 0x800};
    case StorageRecord::kDeviceCert: return {0x2800, 0x800};
    case StorageRecord::kDeviceKey: return {0x3000, 0x400};
    case StorageRecord::kPendingKey: return {0x3400, 0x400};
  }
  return {0, 0};
}

}  // namespace

const char* StorageRecordName(StorageRecord record) {
  switch (record) {
    case StorageRecord::kConfig: return "configuration";
    case StorageRecord::kTrustAnchor: return "trust anchor";
    case StorageRecord::kDeviceCert: return "device certificate";
    case StorageRecord::kDeviceKey: return "device key";
    case StorageRecord::kPendingKey: return "pending key";
  }
  return "?";
}

std::size_t StorageRecordCapacity(StorageRecord record) { return SlotOf(record).size - sizeof(Header); }

Status WriteRecord(hal::Storage& storage, StorageRecord record, ByteSpan data) {
  const Slot slot = SlotOf(record);
  if (slot.offset + slot.size > storage.size()) return OutOfRange("storage too small for this record");
  if (data.size() > slot.size - sizeof(Header)) return OutOfRange("record larger than its storage slot");
  // Data first, header last: a write torn in between leaves a header whose CRC does
  // not match, which reads as no record rather than as damaged data.
  PMU_TRY(storage.Write(slot.offset + sizeof(Header), data));
  Header h{kMagic, static_cast<std::uint8_t>(record), {}, static_cast<std::uint32_t>(data.size()), Crc32(data)};
  return storage.Write(slot.offset, AsBytes(&h, sizeof(h)));
}

Result<std::size_t> ReadRecord(hal::Storage& storage, StorageRecord record, MutableByteSpan out) {
  const Slot slot = SlotOf(record);
  if (slot.offset + slot.size > storage.size()) return NotFound("storage too small for this record");
  Header h{};
  PMU_TRY(storage.Read(slot.offset, AsWritableBytes(&h, sizeof(h))));
  if (h.magic != kMagic || h.kind != static_cast<std::uint8_t>(record) || h.length > slot.size - sizeof(Header)) {
    return NotFound("no record");
  }
  if (h.length > out.size()) return ResourceExhausted("record larger than the buffer");
  PMU_TRY(storage.Read(slot.offset + sizeof(Header), out.first(h.length)));
  if (Crc32(out.first(h.length)) != h.crc) return NotFound("record damaged (CRC mismatch)");
  return static_cast<std::size_t>(h.length);
}

Status EraseRecord(hal::Storage& storage, StorageRecord record) {
  const Slot slot = SlotOf(record);
  if (slot.offset + slot.size > storage.size()) return OutOfRange("storage too small for this record");
  const Header empty{0xFFFFFFFFu, 0xFF, {0xFF, 0xFF, 0xFF}, 0xFFFFFFFFu, 0xFFFFFFFFu};
  return storage.Write(slot.offset, AsBytes(&empty, sizeof(empty)));
}

}  // namespace pmu::firmware
