// Randomness for the device: TCP sequence numbers and ports, the loss emulation of the
// reset service, DRBG seeding for TLS. A backend says in its docs how good its source
// is (the simulator can be seeded for reproducible tests; the MPS2 board has no
// hardware generator).
#pragma once

#include "pmu/base/bytes.h"
#include "pmu/base/status.h"

namespace pmu::hal {

class Entropy {
 public:
  virtual ~Entropy() = default;
  // Fills `out` completely, or returns kUnavailable.
  virtual Status Fill(MutableByteSpan out) = 0;
};

}  // namespace pmu::hal
