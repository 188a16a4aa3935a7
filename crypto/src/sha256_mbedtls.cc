// SHA-256 from mbedTLS (the board's backend).
#include <cstdlib>
#include <new>

#include "mbedtls/sha256.h"
#include "pmu/crypto/sha256.h"

namespace pmu::crypto {
namespace {

static_assert(sizeof(mbedtls_sha256_context) <= 256, "Sha256::context_ too small");

mbedtls_sha256_context* Ctx(unsigned char* storage) {
  return std::launder(static_cast<mbedtls_sha256_context*>(static_cast<void*>(storage)));
}

// With the portable implementation these calls fail only on bad arguments, which
// would be a bug here: trap rather than return a wrong digest.
void Must(int rc) {
  if (rc != 0) std::abort();
}

}  // namespace

Sha256::Sha256() {
  auto* c = new (context_) mbedtls_sha256_context;
  mbedtls_sha256_init(c);
  Must(mbedtls_sha256_starts_ret(c, 0));
}

Sha256::~Sha256() { mbedtls_sha256_free(Ctx(context_)); }

void Sha256::Update(ByteSpan data) {
  Must(mbedtls_sha256_update_ret(Ctx(context_), reinterpret_cast<const unsigned char*>(data.data()), data.size()));
}

Sha256::Digest Sha256::Finish() {
  Digest d{};
  Must(mbedtls_sha256_finish_ret(Ctx(context_), d.data()));
  Must(mbedtls_sha256_starts_ret(Ctx(context_), 0));
  return d;
}

const char* Sha256::Backend() { return "mbedtls"; }

}  // namespace pmu::crypto
