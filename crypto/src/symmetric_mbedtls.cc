#include <cstdlib>
#include <cstring>

#include "mbedtls/aes.h"
#include "mbedtls/md.h"
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
Status Cbc(int mode, const std::uint8_t (&key)[16], const std::uint8_t (&iv)[16], ByteSpan in, MutableByteSpan out) {
  if (in.size() % 16 != 0 || out.size() < in.size()) return InvalidArgument("AES-CBC needs whole blocks");
  mbedtls_aes_context aes;
  mbedtls_aes_init(&aes);
  const int key_rc = mode == MBEDTLS_AES_ENCRYPT ? mbedtls_aes_setkey_enc(&aes, key, 128)
                                                 : mbedtls_aes_setkey_dec(&aes, key, 128);
  unsigned char chain[16];
  std::memcpy(chain, iv, 16);
  const int rc = key_rc != 0 ? key_rc
                             : mbedtls_aes_crypt_cbc(&aes, mode, in.size(), chain,
                                                     reinterpret_cast<const unsigned char*>(in.data()),
                                                     reinterpret_cast<unsigned char*>(out.data()));
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
