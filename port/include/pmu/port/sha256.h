// SHA-256 from mbedTLS behind a small value type (mbedTLS return codes stay in port/).
#pragma once

#include <array>
#include <cstdint>

#include "mbedtls/sha256.h"
#include "pmu/base/bytes.h"
#include "pmu/base/fixed_string.h"

namespace pmu::port {

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

 private:
  mbedtls_sha256_context context_;
};

}  // namespace pmu::port
