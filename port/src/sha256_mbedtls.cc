#include "pmu/port/sha256.h"

#include <cstdlib>

namespace pmu::port {

// With the hardware-independent implementation these calls only fail on bad
// arguments, which would be a bug here: trap rather than return a wrong digest.
#define PMU_MBEDTLS_MUST(call) \
  do {                         \
    if ((call) != 0) std::abort(); \
  } while (0)

Sha256::Sha256() {
  mbedtls_sha256_init(&context_);
  PMU_MBEDTLS_MUST(mbedtls_sha256_starts_ret(&context_, 0));
}

Sha256::~Sha256() { mbedtls_sha256_free(&context_); }

void Sha256::Update(ByteSpan data) {
  PMU_MBEDTLS_MUST(mbedtls_sha256_update_ret(
      &context_, reinterpret_cast<const unsigned char*>(data.data()), data.size()));
}

Sha256::Digest Sha256::Finish() {
  Digest d{};
  PMU_MBEDTLS_MUST(mbedtls_sha256_finish_ret(&context_, d.data()));
  PMU_MBEDTLS_MUST(mbedtls_sha256_starts_ret(&context_, 0));
  return d;
}

FixedString<64> Sha256::ToHex(const Digest& digest) {
  FixedString<64> hex;
  for (std::uint8_t b : digest) hex.Format("%02x", b);
  return hex;
}

}  // namespace pmu::port
