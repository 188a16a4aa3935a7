// SHA-1 (FIPS 180-4, section 6.1) in one rolled loop: the board's backend. mbedTLS's
// unrolls the 80 rounds into 3.7 KiB of code; this is a few hundred bytes, and the
// WebSocket handshake, its only user, hashes 60 bytes once per connection, so the
// speed does not matter. Checked against the FIPS vectors and the host's libcrypto
// (tests/unit/crypto_test.cc).
#include <cstring>
#include <new>

#include "pmu/crypto/sha1.h"

namespace pmu::crypto {
namespace {

struct State {
  std::uint32_t h[5];
  std::uint64_t length;  // bytes hashed
  std::uint8_t block[64];
  std::size_t used;      // bytes waiting in `block`
};
static_assert(sizeof(State) <= 128, "Sha1::context_ too small");

State& St(unsigned char* storage) { return *std::launder(static_cast<State*>(static_cast<void*>(storage))); }

std::uint32_t Rotl(std::uint32_t x, unsigned n) { return (x << n) | (x >> (32 - n)); }

void Start(State& s) {
  static constexpr std::uint32_t kInitial[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
  std::memcpy(s.h, kInitial, sizeof(s.h));
  s.length = 0;
  s.used = 0;
}

void Compress(State& s) {
  std::uint32_t w[16];
  for (unsigned i = 0; i < 16; ++i) {
    w[i] = std::uint32_t{s.block[4 * i]} << 24 | std::uint32_t{s.block[4 * i + 1]} << 16 |
           std::uint32_t{s.block[4 * i + 2]} << 8 | s.block[4 * i + 3];
  }
  std::uint32_t a = s.h[0], b = s.h[1], c = s.h[2], d = s.h[3], e = s.h[4];
  for (unsigned t = 0; t < 80; ++t) {
    // The message schedule in a ring of 16 words.
    if (t >= 16) w[t & 15] = Rotl(w[(t - 3) & 15] ^ w[(t - 8) & 15] ^ w[(t - 14) & 15] ^ w[t & 15], 1);
    std::uint32_t f, k;
    if (t < 20) {
      f = (b & c) | (~b & d);
      k = 0x5A827999;
    } else if (t < 40) {
      f = b ^ c ^ d;
      k = 0x6ED9EBA1;
    } else if (t < 60) {
      f = (b & c) | (b & d) | (c & d);
      k = 0x8F1BBCDC;
    } else {
      f = b ^ c ^ d;
      k = 0xCA62C1D6;
    }
    const std::uint32_t next = Rotl(a, 5) + f + e + k + w[t & 15];
    e = d;
    d = c;
    c = Rotl(b, 30);
    b = a;
    a = next;
  }
  s.h[0] += a;
  s.h[1] += b;
  s.h[2] += c;
  s.h[3] += d;
  s.h[4] += e;
}

void Absorb(State& s, const std::uint8_t* data, std::size_t size) {
  while (size > 0) {
    const std::size_t n = size < 64 - s.used ? size : 64 - s.used;
    std::memcpy(s.block + s.used, data, n);
    s.used += n;
    data += n;
    size -= n;
    if (s.used == 64) {
      Compress(s);
      s.used = 0;
    }
  }
}

}  // namespace

Sha1::Sha1() { Start(*new (context_) State); }

Sha1::~Sha1() { std::memset(context_, 0, sizeof(context_)); }

void Sha1::Update(ByteSpan data) {
  State& s = St(context_);
  s.length += data.size();
  Absorb(s, reinterpret_cast<const std::uint8_t*>(data.data()), data.size());
}

Sha1::Digest Sha1::Finish() {
  State& s = St(context_);
  const std::uint64_t bits = s.length * 8;
  static constexpr std::uint8_t kPad[64] = {0x80};
  // 0x80, zeros up to 56 bytes into a block, then the length in bits, big-endian.
  Absorb(s, kPad, s.used < 56 ? 56 - s.used : 120 - s.used);
  std::uint8_t length[8];
  for (unsigned i = 0; i < 8; ++i) length[i] = static_cast<std::uint8_t>(bits >> (56 - 8 * i));
  Absorb(s, length, 8);
  Digest d{};
  for (unsigned i = 0; i < 20; ++i) d[i] = static_cast<std::uint8_t>(s.h[i / 4] >> (24 - 8 * (i % 4)));
  Start(s);
  return d;
}

const char* Sha1::Backend() { return "compact"; }

}  // namespace pmu::crypto
