// SHA-1 from mbedTLS (the board's backend).
#include <cstdlib>
#include <new>

#include "mbedtls/sha1.h"
#include "pmu/crypto/sha1.h"

namespace pmu::crypto {
namespace {

static_assert(sizeof(mbedtls_sha1_context) <= 128, "Sha1::context_ too small");

mbedtls_sha1_context* Ctx(unsigned char* storage) {
  return std::launder(static_cast<mbedtls_sha1_context*>(static_cast<void*>(storage)));
}

// With the portable implementation these calls fail only on bad arguments, which
// would be a bug here: trap rather than return a wrong digest.
void Must(int rc) {
  if (rc != 0) std::abort();
}

}  // namespace

Sha1::Sha1() {
  auto* c = new (context_) mbedtls_sha1_context;
  mbedtls_sha1_init(c);
  Must(mbedtls_sha1_starts_ret(c));
}

Sha1::~Sha1() { mbedtls_sha1_free(Ctx(context_)); }

void Sha1::Update(ByteSpan data) {
  Must(mbedtls_sha1_update_ret(Ctx(context_), reinterpret_cast<const unsigned char*>(data.data()), data.size()));
}

Sha1::Digest Sha1::Finish() {
  Digest d{};
  Must(mbedtls_sha1_finish_ret(Ctx(context_), d.data()));
  Must(mbedtls_sha1_starts_ret(Ctx(context_)));
  return d;
}

const char* Sha1::Backend() { return "mbedtls"; }

}  // namespace pmu::crypto
