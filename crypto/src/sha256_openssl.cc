// SHA-256 from the host's libcrypto (host builds): uses the CPU's SHA extensions where
// present. Low-level SHA256_* calls keep the context in our static storage.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#include <cstdlib>
#include <new>

#include "pmu/crypto/sha256.h"

namespace pmu::crypto {
namespace {

static_assert(sizeof(SHA256_CTX) <= 256, "Sha256::context_ too small");

SHA256_CTX* Ctx(unsigned char* storage) { return std::launder(reinterpret_cast<SHA256_CTX*>(storage)); }

void Must(int ok) {
  if (ok != 1) std::abort();
}

}  // namespace

Sha256::Sha256() { Must(SHA256_Init(new (context_) SHA256_CTX)); }

Sha256::~Sha256() = default;

void Sha256::Update(ByteSpan data) { Must(SHA256_Update(Ctx(context_), data.data(), data.size())); }

Sha256::Digest Sha256::Finish() {
  Digest d{};
  Must(SHA256_Final(d.data(), Ctx(context_)));
  Must(SHA256_Init(Ctx(context_)));
  return d;
}

const char* Sha256::Backend() { return "openssl"; }

}  // namespace pmu::crypto
