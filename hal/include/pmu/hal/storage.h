// Persistent storage: one byte-addressed region that survives a reboot (a file in the
// simulator, a flash region on a board). The firmware lays out records on top.
#pragma once

#include <cstddef>

#include "pmu/base/bytes.h"
#include "pmu/base/status.h"

namespace pmu::hal {

class Storage {
 public:
  virtual ~Storage() = default;
  virtual std::size_t size() const = 0;
  // Reads out.size() bytes at `offset`. Never-written bytes read as 0xFF (erased
  // flash). kOutOfRange past the end.
  virtual Status Read(std::size_t offset, MutableByteSpan out) = 0;
  // Writes and makes durable before returning. kOutOfRange past the end.
  virtual Status Write(std::size_t offset, ByteSpan data) = 0;
};

}  // namespace pmu::hal
