#include "pmu/firmware/storage_records.h"

#include <cstddef>
#include <cstring>

#include "pmu/base/crc32.h"

namespace pmu::firmware {
namespace {

constexpr std::uint32_t kRecordMagic = 0x32524D50;  // "PMR2"
constexpr std::uint32_t kCommitMagic = 0x32434D50;  // "PMC2"
constexpr std::size_t kCommitOffsets[2] = {0x0400, 0x0800};

struct Header {
  std::uint32_t magic;
  std::uint8_t kind;
  std::uint8_t erased;  // 1: the record is absent from this number on
  std::uint16_t reserved;
  std::uint32_t length;
  std::uint32_t sequence;
  std::uint32_t crc;  // of the fields above and the data: a torn header or data fails it
};
static_assert(sizeof(Header) == 20);

struct CommitRecord {
  std::uint32_t magic;
  std::uint32_t sequence;
  std::uint32_t crc;
};

struct Slot {
  std::size_t offset;  // of copy A; copy B follows it
  std::size_t size;    // of one copy, header included
};

Slot SlotOf(StorageRecord r) {
  switch (r) {
    case StorageRecord::kConfig: return {0x0C00, 0x1000};
    case StorageRecord::kTrustAnchor: return {0x2C00, 0x800};
    case StorageRecord::kDeviceCert: return {0x3C00, 0x800};
    case StorageRecord::kDeviceKey: return {0x4C00, 0x400};
    case StorageRecord::kPendingKey: return {0x5400, 0x400};
  }
  return {0, 0};
}

constexpr StorageRecord kAllRecords[] = {StorageRecord::kConfig, StorageRecord::kTrustAnchor,
                                         StorageRecord::kDeviceCert, StorageRecord::kDeviceKey,
                                         StorageRecord::kPendingKey};

std::size_t CopyOffset(const Slot& slot, unsigned copy) { return slot.offset + copy * slot.size; }

// Whether both copies of `record` fit `storage` (a board without TLS keeps a storage
// area for the configuration alone).
bool Fits(const hal::Storage& storage, StorageRecord record) {
  const Slot slot = SlotOf(record);
  return slot.offset + 2 * slot.size <= storage.size();
}

// Where the records begin: the boot record and the two commit records before them.
constexpr std::size_t kRecordsStart = 0x0C00;

std::uint32_t HeaderCrc(const Header& h, ByteSpan data) {
  return Crc32(data, Crc32(AsBytes(&h, offsetof(Header, crc))));
}

std::uint32_t CommitCrc(const CommitRecord& c) { return Crc32(AsBytes(&c, offsetof(CommitRecord, crc))); }

// The committed number: the higher of the two commit records that check; 0 when none.
std::uint32_t Committed(hal::Storage& storage, unsigned* copy) {
  std::uint32_t best = 0;
  *copy = 1;  // with none valid, the first commit goes to copy A (0)
  for (unsigned i = 0; i < 2; ++i) {
    CommitRecord c{};
    if (!storage.Read(kCommitOffsets[i], AsWritableBytes(&c, sizeof(c))).ok()) continue;
    if (c.magic != kCommitMagic || c.crc != CommitCrc(c) || c.sequence < best) continue;
    best = c.sequence;
    *copy = i;
  }
  return best;
}

// A copy's header, when it is one of `record`'s with a number not past `committed`.
bool CandidateHeader(hal::Storage& storage, StorageRecord record, unsigned copy, std::uint32_t committed,
                     Header* h) {
  const Slot slot = SlotOf(record);
  if (!storage.Read(CopyOffset(slot, copy), AsWritableBytes(h, sizeof(*h))).ok()) return false;
  return h->magic == kRecordMagic && h->kind == static_cast<std::uint8_t>(record) &&
         h->length <= slot.size - sizeof(Header) && h->sequence <= committed;
}

// Reads the current copy of `record` under `committed` into `out`: the candidate with
// the higher number whose data checks (the other, should that one be damaged).
Result<Header> ReadCurrent(hal::Storage& storage, StorageRecord record, std::uint32_t committed,
                           MutableByteSpan out) {
  Header h[2]{};
  const bool ok[2] = {CandidateHeader(storage, record, 0, committed, &h[0]),
                      CandidateHeader(storage, record, 1, committed, &h[1])};
  const unsigned first = ok[0] && (!ok[1] || h[0].sequence >= h[1].sequence) ? 0 : 1;
  for (unsigned copy : {first, 1 - first}) {
    if (!ok[copy]) continue;
    if (h[copy].length > out.size()) return ResourceExhausted("record larger than the buffer");
    PMU_TRY(storage.Read(CopyOffset(SlotOf(record), copy) + sizeof(Header), out.first(h[copy].length)));
    if (h[copy].crc == HeaderCrc(h[copy], out.first(h[copy].length))) return h[copy];
  }
  return NotFound("no record");
}

// The copy a new version of `record` goes into: not the candidate with the higher
// number, which ReadCurrent reads first.
unsigned SpareCopy(hal::Storage& storage, StorageRecord record, std::uint32_t committed) {
  Header h[2]{};
  const bool ok[2] = {CandidateHeader(storage, record, 0, committed, &h[0]),
                      CandidateHeader(storage, record, 1, committed, &h[1])};
  const bool current_is_a = ok[0] && (!ok[1] || h[0].sequence >= h[1].sequence);
  return current_is_a ? 1u : 0u;
}

Status WipeHeader(hal::Storage& storage, std::size_t offset) {
  static constexpr std::byte kErased[sizeof(Header)] = {
      std::byte{0xFF}, std::byte{0xFF}, std::byte{0xFF}, std::byte{0xFF}, std::byte{0xFF},
      std::byte{0xFF}, std::byte{0xFF}, std::byte{0xFF}, std::byte{0xFF}, std::byte{0xFF},
      std::byte{0xFF}, std::byte{0xFF}, std::byte{0xFF}, std::byte{0xFF}, std::byte{0xFF},
      std::byte{0xFF}, std::byte{0xFF}, std::byte{0xFF}, std::byte{0xFF}, std::byte{0xFF}};
  return storage.Write(offset, ByteSpan(kErased, sizeof(kErased)));
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

StorageTransaction::StorageTransaction(hal::Storage& storage) : storage_(storage) {
  if (storage.size() < kRecordsStart) {
    opened_ = OutOfRange("storage too small for the records");
    return;
  }
  unsigned copy = 0;
  committed_ = Committed(storage, &copy);
  // A cut transaction's copies carry numbers past the committed one: wiped, so that
  // this transaction's number (the same) cannot make them current.
  for (StorageRecord r : kAllRecords) {
    for (unsigned c = 0; c < 2 && opened_.ok() && Fits(storage, r); ++c) {
      Header h{};
      const std::size_t at = CopyOffset(SlotOf(r), c);
      opened_ = storage.Read(at, AsWritableBytes(&h, sizeof(h)));
      if (opened_.ok() && h.magic == kRecordMagic && h.sequence > committed_) opened_ = WipeHeader(storage, at);
    }
  }
}

Status StorageTransaction::Put(StorageRecord record, ByteSpan data, bool erased) {
  PMU_TRY(opened_);
  const Slot slot = SlotOf(record);
  if (!Fits(storage_, record)) return OutOfRange("storage too small for this record");
  if (data.size() > slot.size - sizeof(Header)) return OutOfRange("record larger than its storage slot");
  const std::size_t at = CopyOffset(slot, SpareCopy(storage_, record, committed_));
  Header h{kRecordMagic, static_cast<std::uint8_t>(record), static_cast<std::uint8_t>(erased ? 1 : 0), 0,
           static_cast<std::uint32_t>(data.size()), committed_ + 1, 0};
  h.crc = HeaderCrc(h, data);
  if (!data.empty()) PMU_TRY(storage_.Write(at + sizeof(Header), data));  // an erasure has none
  return storage_.Write(at, AsBytes(&h, sizeof(h)));
}

Status StorageTransaction::Write(StorageRecord record, ByteSpan data) { return Put(record, data, false); }

Status StorageTransaction::Erase(StorageRecord record) { return Put(record, ByteSpan(), true); }

Status StorageTransaction::Commit() {
  PMU_TRY(opened_);
  unsigned current = 0;
  const std::uint32_t committed = Committed(storage_, &current);
  if (committed != committed_) return FailedPrecondition("storage changed under the transaction");
  CommitRecord c{kCommitMagic, committed_ + 1, 0};
  c.crc = CommitCrc(c);
  PMU_TRY(storage_.Write(kCommitOffsets[current == 0 ? 1 : 0], AsBytes(&c, sizeof(c))));
  committed_ = c.sequence;
  return Status::Ok();
}

Status WriteRecord(hal::Storage& storage, StorageRecord record, ByteSpan data) {
  StorageTransaction t(storage);
  PMU_TRY(t.Write(record, data));
  return t.Commit();
}

Status EraseRecord(hal::Storage& storage, StorageRecord record) {
  StorageTransaction t(storage);
  PMU_TRY(t.Erase(record));
  return t.Commit();
}

Result<std::size_t> ReadRecord(hal::Storage& storage, StorageRecord record, MutableByteSpan out) {
  if (storage.size() < kRecordsStart || !Fits(storage, record)) return NotFound("storage too small for this record");
  unsigned copy = 0;
  const Result<Header> h = ReadCurrent(storage, record, Committed(storage, &copy), out);
  if (!h.ok()) return h.status();
  if (h->erased) return NotFound("no record");
  return static_cast<std::size_t>(h->length);
}

}  // namespace pmu::firmware
