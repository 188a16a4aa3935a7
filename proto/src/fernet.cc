#include "pmu/proto/fernet.h"

#include <cstring>

#include "pmu/base/base64.h"
#include "pmu/crypto/symmetric.h"

namespace pmu::proto {
namespace {

constexpr std::uint8_t kVersion = 0x80;
constexpr std::size_t kHeader = 1 + 8 + 16;

}  // namespace

Result<FernetKey> ParseFernetKey(std::string_view text) {
  std::byte raw[33];
  const Result<std::size_t> n = Base64Decode(text, raw, Base64Alphabet::kUrlSafe);
  if (!n.ok() || *n != 32) return InvalidArgument("a Fernet key is the URL-safe base64 of 32 bytes");
  FernetKey key;
  std::memcpy(key.signing, raw, 16);
  std::memcpy(key.encryption, raw + 16, 16);
  return key;
}

Result<FernetToken> ParseFernetToken(std::string_view text, MutableByteSpan buffer) {
  if (text.size() > kMaxFernetTokenText) return OutOfRange("token too long");
  const Result<std::size_t> n = Base64Decode(text, buffer, Base64Alphabet::kUrlSafe);
  if (!n.ok()) {
    return n.status().code() == StatusCode::kResourceExhausted ? n.status()
                                                                : InvalidArgument("token is not URL-safe base64");
  }
  const ByteSpan raw = ByteSpan(buffer).first(*n);
  if (raw.size() < kFernetMinBytes) return InvalidArgument("token too short");
  if (std::to_integer<std::uint8_t>(raw[0]) != kVersion) return InvalidArgument("not a version 0x80 Fernet token");
  const std::size_t cipher_len = raw.size() - kHeader - 32;
  if (cipher_len % 16 != 0) return InvalidArgument("ciphertext is not a whole number of AES blocks");
  FernetToken t;
  for (int i = 0; i < 8; ++i) t.timestamp = (t.timestamp << 8) | std::to_integer<std::uint8_t>(raw[1 + i]);
  std::memcpy(t.iv.data(), raw.data() + 9, 16);
  t.signed_part = raw.first(raw.size() - 32);
  t.ciphertext = raw.subspan(kHeader, cipher_len);
  t.hmac = raw.last(32);
  return t;
}

Result<std::size_t> FernetDecrypt(const FernetKey& key, std::string_view text, std::int64_t now_s,
                                  std::uint32_t ttl_s, MutableByteSpan work, MutableByteSpan out) {
  const Result<FernetToken> t = ParseFernetToken(text, work);
  if (!t.ok()) return t.status();
  const crypto::HmacSha256Digest mac = crypto::HmacSha256(AsBytes(key.signing, 16), t->signed_part);
  if (!crypto::ConstantTimeEqual(AsBytes(mac.data(), mac.size()), t->hmac)) {
    return Status(StatusCode::kPermissionDenied, "bad HMAC (wrong key or tampered token)");
  }
  if (ttl_s != 0) {
    const auto ts = static_cast<std::int64_t>(t->timestamp);
    if (ts > now_s + kFernetMaxClockSkewS) return Status(StatusCode::kPermissionDenied, "token from the future");
    if (now_s - ts > static_cast<std::int64_t>(ttl_s)) return Status(StatusCode::kPermissionDenied, "token expired");
  }
  if (out.size() < t->ciphertext.size()) return ResourceExhausted("plaintext buffer too small");
  std::uint8_t iv[16];
  std::memcpy(iv, t->iv.data(), 16);
  PMU_TRY(crypto::Aes128CbcDecrypt(key.encryption, iv, t->ciphertext, out));
  // PKCS#7: 1..16 bytes, each holding the pad length.
  const std::size_t len = t->ciphertext.size();
  const auto pad = std::to_integer<std::size_t>(out[len - 1]);
  if (pad == 0 || pad > 16) return InvalidArgument("bad padding");
  for (std::size_t i = len - pad; i < len; ++i) {
    if (std::to_integer<std::size_t>(out[i]) != pad) return InvalidArgument("bad padding");
  }
  return len - pad;
}

Result<std::size_t> FernetEncrypt(const FernetKey& key, ByteSpan plaintext, std::uint64_t now_s,
                                  const std::uint8_t (&iv)[16], std::span<char> out) {
  std::byte raw[kMaxFernetTokenText];
  const std::size_t padded = (plaintext.size() / 16 + 1) * 16;
  const std::size_t total = kHeader + padded + 32;
  if (total > sizeof(raw) || Base64EncodedSize(total) > out.size()) return ResourceExhausted("token too large");
  raw[0] = std::byte{kVersion};
  for (int i = 0; i < 8; ++i) raw[1 + i] = static_cast<std::byte>(now_s >> (56 - 8 * i));
  std::memcpy(raw + 9, iv, 16);
  std::byte block[kMaxFernetTokenText];
  std::memcpy(block, plaintext.data(), plaintext.size());
  const auto pad = static_cast<std::uint8_t>(padded - plaintext.size());
  std::memset(block + plaintext.size(), pad, pad);
  PMU_TRY(crypto::Aes128CbcEncrypt(key.encryption, iv, ByteSpan(block, padded), MutableByteSpan(raw + kHeader, padded)));
  const crypto::HmacSha256Digest mac = crypto::HmacSha256(AsBytes(key.signing, 16), ByteSpan(raw, kHeader + padded));
  std::memcpy(raw + kHeader + padded, mac.data(), 32);
  return Base64Encode(ByteSpan(raw, total), out, Base64Alphabet::kUrlSafe);
}

}  // namespace pmu::proto
