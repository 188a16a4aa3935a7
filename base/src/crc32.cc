#include "pmu/base/crc32.h"

namespace pmu {

std::uint32_t Crc32(ByteSpan data, std::uint32_t crc) {
  crc = ~crc;
  for (std::byte b : data) {
    crc ^= std::to_integer<std::uint32_t>(b);
    for (int i = 0; i < 8; ++i) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

}  // namespace pmu
