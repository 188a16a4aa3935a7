// Fernet tokens (the format of Python's `cryptography` package, its specification at
// github.com/fernet/spec): URL-safe base64 of
//   0x80 | timestamp (8 bytes, big-endian seconds) | IV (16) | AES-128-CBC ciphertext
//   (PKCS#7 padded, a multiple of 16) | HMAC-SHA256 (32) of everything before it,
// under a 32-byte key: the first 16 bytes sign, the last 16 encrypt.
//
// ParseFernetToken only splits a token (no crypto: the part that is fuzzed); the
// encrypt and decrypt functions use HMAC and AES from port/.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "pmu/base/bytes.h"
#include "pmu/base/result.h"

namespace pmu::proto {

inline constexpr std::size_t kFernetMinBytes = 1 + 8 + 16 + 16 + 32;  // one cipher block
inline constexpr std::size_t kMaxFernetTokenText = 512;  // the reset service's limit
inline constexpr std::int64_t kFernetMaxClockSkewS = 60;  // as the specification

struct FernetKey {
  std::uint8_t signing[16];
  std::uint8_t encryption[16];
};

struct FernetToken {
  std::uint64_t timestamp = 0;
  std::array<std::uint8_t, 16> iv{};
  ByteSpan signed_part;  // version, timestamp, IV and ciphertext: what the HMAC covers
  ByteSpan ciphertext;
  ByteSpan hmac;         // 32 bytes
};

// The key as `Fernet.generate_key()` prints it (URL-safe base64 of 32 bytes).
Result<FernetKey> ParseFernetKey(std::string_view text);

// Decodes `text` into `buffer` (at least 3/4 of its length) and splits the fields;
// the views point into `buffer`. Errors say what is wrong with the token's shape.
Result<FernetToken> ParseFernetToken(std::string_view text, MutableByteSpan buffer);

// Verifies the HMAC, then the age (`now_s` - timestamp at most `ttl_s`, and the token
// not more than 60 s in the future; ttl_s 0 skips the age check), then decrypts and
// removes the padding. Returns the plaintext length, written into `out`. `work` holds
// the decoded token (at least 3/4 of the text's length).
Result<std::size_t> FernetDecrypt(const FernetKey& key, std::string_view text, std::int64_t now_s,
                                  std::uint32_t ttl_s, MutableByteSpan work, MutableByteSpan out);

// Makes a token of `plaintext` at `now_s` with `iv`; returns the text length written
// into `out`, or kResourceExhausted when it does not fit.
Result<std::size_t> FernetEncrypt(const FernetKey& key, ByteSpan plaintext, std::uint64_t now_s,
                                  const std::uint8_t (&iv)[16], std::span<char> out);

}  // namespace pmu::proto
