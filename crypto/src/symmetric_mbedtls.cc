#include <cstdlib>
#include <cstring>

#include "mbedtls/aes.h"
#include "mbedtls/md.h"
#include "mbedtls/platform_util.h"
#include "pmu/crypto/symmetric.h"

namespace pmu::crypto {

HmacSha256Digest HmacSha256(ByteSpan key, ByteSpan data) {
  HmacSha256Digest out{};
  const int rc = mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256),
                                 reinterpret_cast<const unsigned char*>(key.data()), key.size(),
                                 reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data());
  if (rc != 0) std::abort();  // only on bad arguments: a bug here, never a wire condition
  return out;
}

namespace {
// CBC by hand over AES's block function: mbedTLS's own CBC mode (MBEDTLS_CIPHER_MODE_CBC)
// would also bring TLS's CBC record code into the image and widen every TLS record
// buffer by 288 bytes of padding and MAC room, for suites the device never offers
// (port/mbedtls/include/pmu_mbedtls_config.h). `out` may be `in`.
Status Cbc(int mode, const std::uint8_t (&key)[16], const std::uint8_t (&iv)[16], ByteSpan in, MutableByteSpan out) {
  if (in.size() % 16 != 0 || out.size() < in.size()) return InvalidArgument("AES-CBC needs whole blocks");
  mbedtls_aes_context aes;
  mbedtls_aes_init(&aes);
  int rc = mode == MBEDTLS_AES_ENCRYPT ? mbedtls_aes_setkey_enc(&aes, key, 128) : mbedtls_aes_setkey_dec(&aes, key, 128);
  unsigned char chain[16];
  unsigned char block[16];
  std::memcpy(chain, iv, 16);
  const auto* src = reinterpret_cast<const unsigned char*>(in.data());
  auto* dst = reinterpret_cast<unsigned char*>(out.data());
  for (std::size_t at = 0; rc == 0 && at < in.size(); at += 16) {
    if (mode == MBEDTLS_AES_ENCRYPT) {
      for (std::size_t i = 0; i < 16; ++i) block[i] = static_cast<unsigned char>(src[at + i] ^ chain[i]);
      rc = mbedtls_aes_crypt_ecb(&aes, MBEDTLS_AES_ENCRYPT, block, dst + at);
      std::memcpy(chain, dst + at, 16);
    } else {
      rc = mbedtls_aes_crypt_ecb(&aes, MBEDTLS_AES_DECRYPT, src + at, block);
      for (std::size_t i = 0; i < 16; ++i) block[i] = static_cast<unsigned char>(block[i] ^ chain[i]);
      std::memcpy(chain, src + at, 16);  // before `dst` overwrites it
      std::memcpy(dst + at, block, 16);
    }
  }
  mbedtls_platform_zeroize(block, sizeof(block));
  mbedtls_aes_free(&aes);
  return rc == 0 ? Status::Ok() : Internal("AES-CBC failed");
}
}  // namespace

Status Aes128CbcEncrypt(const std::uint8_t (&key)[16], const std::uint8_t (&iv)[16], ByteSpan in,
                        MutableByteSpan out) {
  return Cbc(MBEDTLS_AES_ENCRYPT, key, iv, in, out);
}

Status Aes128CbcDecrypt(const std::uint8_t (&key)[16], const std::uint8_t (&iv)[16], ByteSpan in,
                        MutableByteSpan out) {
  return Cbc(MBEDTLS_AES_DECRYPT, key, iv, in, out);
}

bool ConstantTimeEqual(ByteSpan a, ByteSpan b) {
  if (a.size() != b.size()) return false;
  unsigned diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= std::to_integer<unsigned>(a[i] ^ b[i]);
  return diff == 0;
}

}  // namespace pmu::crypto
