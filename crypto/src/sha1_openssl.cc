// SHA-1 from the host's libcrypto (host builds). Low-level SHA1_* calls keep the
// context in our own storage, as sha256_openssl.cc does.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#include <cstdlib>
#include <new>

#include "pmu/crypto/sha1.h"

namespace pmu::crypto {
namespace {

static_assert(sizeof(SHA_CTX) <= 128, "Sha1::context_ too small");

SHA_CTX* Ctx(unsigned char* storage) { return std::launder(reinterpret_cast<SHA_CTX*>(storage)); }

void Must(int ok) {
  if (ok != 1) std::abort();
}

}  // namespace

Sha1::Sha1() { Must(SHA1_Init(new (context_) SHA_CTX)); }

Sha1::~Sha1() = default;

void Sha1::Update(ByteSpan data) { Must(SHA1_Update(Ctx(context_), data.data(), data.size())); }

Sha1::Digest Sha1::Finish() {
  Digest d{};
  Must(SHA1_Final(d.data(), Ctx(context_)));
  Must(SHA1_Init(Ctx(context_)));
  return d;
}

const char* Sha1::Backend() { return "openssl"; }

}  // namespace pmu::crypto
