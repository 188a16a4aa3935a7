#include "pmu/port/drbg_entropy.h"

#include <new>

#include "mbedtls/ctr_drbg.h"

namespace pmu::port {
namespace {

static_assert(sizeof(mbedtls_ctr_drbg_context) <= 384, "DrbgEntropy::context_ too small");
static_assert(alignof(mbedtls_ctr_drbg_context) <= 8);
constexpr std::size_t kMaxSeedMaterial = 256;
// Noise drawn at each (re)seed: one and a half AES-256 keys, so that the seeding needs
// no separate nonce (SP 800-90A). mbedTLS's default follows its entropy collector's
// hash (32 bytes with SHA-256), but this noise source is the HAL's, and on the board
// it is timer jitter: more of it is better.
constexpr std::size_t kNoisePerSeed = 48;
static_assert(kNoisePerSeed + kMaxSeedMaterial <= MBEDTLS_CTR_DRBG_MAX_SEED_INPUT);

mbedtls_ctr_drbg_context* Ctx(unsigned char* storage) {
  return std::launder(static_cast<mbedtls_ctr_drbg_context*>(static_cast<void*>(storage)));
}

}  // namespace

DrbgEntropy::DrbgEntropy() { mbedtls_ctr_drbg_init(new (context_) mbedtls_ctr_drbg_context); }

DrbgEntropy::~DrbgEntropy() { mbedtls_ctr_drbg_free(Ctx(context_)); }

int DrbgEntropy::PullNoise(void* self, unsigned char* out, std::size_t length) {
  auto* d = static_cast<DrbgEntropy*>(self);
  return d->noise_->Fill(AsWritableBytes(out, length)).ok() ? 0 : MBEDTLS_ERR_CTR_DRBG_ENTROPY_SOURCE_FAILED;
}

Status DrbgEntropy::Start(hal::Entropy& noise, ByteSpan seed_material) {
  if (started_) return FailedPrecondition("DRBG already started");
  if (seed_material.size() > kMaxSeedMaterial) return InvalidArgument("seed material over 256 bytes");
  noise_ = &noise;
  mbedtls_ctr_drbg_context* ctx = Ctx(context_);
  mbedtls_ctr_drbg_set_reseed_interval(ctx, kReseedInterval);
  mbedtls_ctr_drbg_set_entropy_len(ctx, kNoisePerSeed);
  const int rc = mbedtls_ctr_drbg_seed(ctx, &DrbgEntropy::PullNoise, this,
                                       reinterpret_cast<const unsigned char*>(seed_material.data()),
                                       seed_material.size());
  if (rc != 0) return Unavailable("DRBG seeding failed: noise source");
  started_ = true;
  return Status::Ok();
}

Status DrbgEntropy::Fill(MutableByteSpan out) {
  if (!started_) return FailedPrecondition("DRBG not started");
  auto* p = reinterpret_cast<unsigned char*>(out.data());
  std::size_t left = out.size();
  while (left > 0) {
    const std::size_t n = left < MBEDTLS_CTR_DRBG_MAX_REQUEST ? left : MBEDTLS_CTR_DRBG_MAX_REQUEST;
    if (mbedtls_ctr_drbg_random(Ctx(context_), p, n) != 0) return Unavailable("DRBG reseed failed: noise source");
    p += n;
    left -= n;
  }
  return Status::Ok();
}

}  // namespace pmu::port
