// Hex text of the digests; the same for every backend.
#include "pmu/crypto/sha1.h"
#include "pmu/crypto/sha256.h"

namespace pmu::crypto {
namespace {

template <std::size_t N, std::size_t M>
FixedString<N> Hex(const std::array<std::uint8_t, M>& digest) {
  static_assert(N == 2 * M);
  FixedString<N> hex;
  for (std::uint8_t b : digest) hex.Format("%02x", b);
  return hex;
}

}  // namespace

FixedString<64> Sha256::ToHex(const Digest& digest) { return Hex<64>(digest); }
FixedString<40> Sha1::ToHex(const Digest& digest) { return Hex<40>(digest); }

}  // namespace pmu::crypto
