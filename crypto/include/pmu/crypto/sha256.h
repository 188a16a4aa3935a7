// SHA-256 behind a small value type, with a backend chosen at build time by the
// PMU_CRYPTO_BACKEND cache variable (a facade, because it is a process-wide facility
// with no state a test would fake):
//   - mbedTLS's portable C code on the board (crypto/src/sha256_mbedtls.cc);
//   - on host builds, libcrypto (crypto/src/sha256_openssl.cc), which uses the CPU's SHA
//     instructions: the simulated board's "hash accelerator", as a real MCU port would
//     plug in its hash engine. See docs/BENCHMARKS.md for what this changes.
#pragma once

#include <array>
#include <cstdint>

#include "pmu/base/bytes.h"
#include "pmu/base/fixed_string.h"

namespace pmu::crypto {

class Sha256 {
 public:
  using Digest = std::array<std::uint8_t, 32>;

  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(ByteSpan data);
  // Ends the hash; the object starts over afterwards.
  Digest Finish();

  static FixedString<64> ToHex(const Digest& digest);
  // Which implementation this build uses ("mbedtls" or "openssl").
  static const char* Backend();

 private:
  // Room for either backend's context (static storage, no heap on the device).
  alignas(16) unsigned char context_[256];
};

}  // namespace pmu::crypto
