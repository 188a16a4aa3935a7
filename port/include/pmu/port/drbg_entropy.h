// A deterministic random bit generator as a hal::Entropy: mbedTLS's CTR_DRBG (AES-256,
// with its derivation function) seeded from a weak noise source plus seed material
// kept by the board. For boards without a hardware generator (the MPS2 AN385): the
// DRBG turns a stored secret seed and a little jitter into output fit for protocol
// randomness and, when the seed was provisioned secretly, for keys. It is only as
// unpredictable as what seeded it (docs/BOARD.md says what that means on the AN385).
//
// No heap: the context lives in the object. Main loop only.
#pragma once

#include <cstddef>

#include "pmu/base/bytes.h"
#include "pmu/base/status.h"
#include "pmu/hal/entropy.h"

namespace pmu::port {

class DrbgEntropy final : public hal::Entropy {
 public:
  // Generate calls between two reseeds from the noise source.
  static constexpr int kReseedInterval = 1000;

  DrbgEntropy();
  ~DrbgEntropy() override;
  DrbgEntropy(const DrbgEntropy&) = delete;
  DrbgEntropy& operator=(const DrbgEntropy&) = delete;

  // Instantiates the DRBG: `noise` supplies the entropy input (now and at every
  // reseed; it must outlive this object), `seed_material` (the board's stored seeds,
  // a device identity; at most 256 bytes) enters as the personalisation string.
  // Errors: kFailedPrecondition when already started, kInvalidArgument for oversized
  // seed material, kUnavailable when the noise source fails.
  Status Start(hal::Entropy& noise, ByteSpan seed_material);

  // Fills `out` with DRBG output (any length). kFailedPrecondition before Start().
  Status Fill(MutableByteSpan out) override;

 private:
  static int PullNoise(void* self, unsigned char* out, std::size_t length);

  hal::Entropy* noise_ = nullptr;
  bool started_ = false;
  // mbedtls_ctr_drbg_context (checked in the .cc).
  alignas(8) unsigned char context_[384];
};

}  // namespace pmu::port
