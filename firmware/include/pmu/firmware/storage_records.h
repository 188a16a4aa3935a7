// What the device keeps in its persistent storage (hal::Storage), in fixed slots:
//
//   0x0000  boot record (boot counter; firmware/src/device.cc)
//   0x1000  saved configuration, as text ("key = value" lines)   4 KiB
//   0x2000  trust anchor: the CA certificate (PEM)                 2 KiB
//   0x2800  the device's certificate (PEM)                        2 KiB
//   0x3000  the device's private key (PEM)                        1 KiB
//   0x3400  a pending private key, made by `cert csr`, waiting     1 KiB
//           for its certificate (`cert install`)
// (P-256 certificates of the development PKI are under 1 KiB in PEM, keys 250 bytes.)
//
// Each slot starts with a 16-byte header (magic, kind, length, CRC-32 of the data);
// an erased, torn or corrupted slot reads as NotFound. 0x3800 bytes in all.
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

inline constexpr std::size_t kStorageBytesNeeded = 0x3800;

const char* StorageRecordName(StorageRecord record);
// Largest data a slot holds.
std::size_t StorageRecordCapacity(StorageRecord record);

// Writes the record (header and data). kOutOfRange when too large for its slot.
Status WriteRecord(hal::Storage& storage, StorageRecord record, ByteSpan data);
// Reads the record into `out`; returns its length. kNotFound when absent or damaged,
// kResourceExhausted when `out` is too small.
Result<std::size_t> ReadRecord(hal::Storage& storage, StorageRecord record, MutableByteSpan out);
// Marks the slot empty.
Status EraseRecord(hal::Storage& storage, StorageRecord record);

}  // namespace pmu::firmware
