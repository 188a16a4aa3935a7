// What the device keeps in its persistent storage (hal::Storage), in fixed slots, each
// record twice, so that a power cut while the device writes leaves the old content or
// the new, never a torn or empty one:
//
//   0x0000  boot record (boot counter; firmware/src/device.cc)     1 KiB
//   0x0400  commit record, copy A                                  1 KiB
//   0x0800  commit record, copy B                                  1 KiB
//   0x0C00  saved configuration, as text ("key = value" lines)   2 x 4 KiB
//   0x2C00  trust anchor: the CA certificate (PEM)                 2 x 2 KiB
//   0x3C00  the device's certificate (PEM)                         2 x 2 KiB
//   0x4C00  the device's private key (PEM)                         2 x 1 KiB
//   0x5400  a pending private key, made by `cert csr`, waiting     2 x 1 KiB
//           for its certificate (`cert install`)
// 0x5C00 bytes (23 KiB) in all; a board without TLS may give only the first 11 KiB
// (to 0x2C00: the configuration), and a record whose copies do not fit is absent.
// (P-256 certificates of the development PKI are under 1 KiB in PEM, keys 250 bytes.)
// Every copy and every commit record starts a flash page of its own (1 KiB pages on
// the smallest board), so erasing one never touches the other.
//
// Writes are transactions: a StorageTransaction writes each record into its spare copy
// under a sequence number one past the committed one, then commits by writing that
// number into the spare commit record. A copy is current when its header and data
// check (one CRC-32 over both) and its number is the highest not past the committed
// one; copies of a transaction that never committed are ignored, and wiped by the
// next. So the records a transaction changes (`cert install`: the certificate, the key
// and the pending key) change together or not at all.
#pragma once

#include <cstddef>
#include <cstdint>

#include "pmu/base/bytes.h"
#include "pmu/base/result.h"
#include "pmu/hal/storage.h"

namespace pmu::firmware {

enum class StorageRecord : std::uint8_t {
  kConfig = 1,
  kTrustAnchor = 2,
  kDeviceCert = 3,
  kDeviceKey = 4,
  kPendingKey = 5,
};

inline constexpr std::size_t kStorageBytesNeeded = 0x5C00;

const char* StorageRecordName(StorageRecord record);
// Largest data a slot holds.
std::size_t StorageRecordCapacity(StorageRecord record);

// Records changed together (all or none). Nothing is current until Commit().
class StorageTransaction {
 public:
  // Reads the committed number and wipes copies a cut transaction left.
  explicit StorageTransaction(hal::Storage& storage);

  // Writes the record into its spare copy. kOutOfRange when too large for its slot.
  Status Write(StorageRecord record, ByteSpan data);
  // Records that the record is absent once committed.
  Status Erase(StorageRecord record);
  // Makes every record written or erased current at once.
  Status Commit();

 private:
  Status Put(StorageRecord record, ByteSpan data, bool erased);

  hal::Storage& storage_;
  Status opened_;
  std::uint32_t committed_ = 0;
};

// A transaction of one record.
Status WriteRecord(hal::Storage& storage, StorageRecord record, ByteSpan data);
Status EraseRecord(hal::Storage& storage, StorageRecord record);

// Reads the record's current copy into `out`; returns its length. kNotFound when absent
// (never written, erased, or both copies damaged), kResourceExhausted when `out` is too
// small.
Result<std::size_t> ReadRecord(hal::Storage& storage, StorageRecord record, MutableByteSpan out);

}  // namespace pmu::firmware
