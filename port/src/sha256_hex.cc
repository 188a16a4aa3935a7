#include "pmu/port/sha256.h"

namespace pmu::port {

FixedString<64> Sha256::ToHex(const Digest& digest) {
  FixedString<64> hex;
  for (std::uint8_t b : digest) hex.Format("%02x", b);
  return hex;
}

}  // namespace pmu::port
