// CRC-32 (ISO-HDLC: poly 0x04C11DB7 reflected, init and final XOR 0xFFFFFFFF; check
// value 0xCBF43926 for "123456789"), for the storage records.
#pragma once

#include <cstdint>

#include "pmu/base/bytes.h"

namespace pmu {

std::uint32_t Crc32(ByteSpan data, std::uint32_t crc = 0);  // pass the last result to continue

}  // namespace pmu
