// HMAC-SHA256 and AES-128-CBC from mbedTLS (both targets: the messages are small,
// so the host's libcrypto would buy nothing here), for Fernet tokens.
#pragma once

#include <array>
#include <cstdint>

#include "pmu/base/bytes.h"
#include "pmu/base/status.h"

namespace pmu::crypto {

using HmacSha256Digest = std::array<std::uint8_t, 32>;

HmacSha256Digest HmacSha256(ByteSpan key, ByteSpan data);

// AES-128 in CBC mode without padding: `in` is a whole number of 16-byte blocks and
// `out` at least as long. kInvalidArgument otherwise.
Status Aes128CbcEncrypt(const std::uint8_t (&key)[16], const std::uint8_t (&iv)[16], ByteSpan in,
                        MutableByteSpan out);
Status Aes128CbcDecrypt(const std::uint8_t (&key)[16], const std::uint8_t (&iv)[16], ByteSpan in,
                        MutableByteSpan out);

// Compares in time independent of where the bytes differ (for MACs).
bool ConstantTimeEqual(ByteSpan a, ByteSpan b);

}  // namespace pmu::crypto
