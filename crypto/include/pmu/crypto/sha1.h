// SHA-1 behind the same facade as Sha256 (sha256.h), with the same build-time choice
// (PMU_CRYPTO_BACKEND): a compact loop of our own on the board
// (crypto/src/sha1_compact.cc), the host's libcrypto on host builds
// (crypto/src/sha1_openssl.cc).
//
// SHA-1 is broken for signatures; it is here only because RFC 6455 derives
// Sec-WebSocket-Accept from it, where no security rests on it.
#pragma once

#include <array>
#include <cstdint>

#include "pmu/base/bytes.h"
#include "pmu/base/fixed_string.h"

namespace pmu::crypto {

class Sha1 {
 public:
  using Digest = std::array<std::uint8_t, 20>;

  Sha1();
  ~Sha1();
  Sha1(const Sha1&) = delete;
  Sha1& operator=(const Sha1&) = delete;

  void Update(ByteSpan data);
  // Ends the hash; the object starts over afterwards.
  Digest Finish();

  static FixedString<40> ToHex(const Digest& digest);
  // Which implementation this build uses ("mbedtls" or "openssl").
  static const char* Backend();

 private:
  // Room for either backend's context (no heap on the device).
  alignas(16) unsigned char context_[128];
};

}  // namespace pmu::crypto
