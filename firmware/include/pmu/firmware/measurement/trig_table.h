// Cosine of a phase given as a 64-bit fraction of a turn: a 1024-entry Q30 table with
// linear interpolation (max error 4.7e-6). Built once, on first use (4 KiB of RAM).
#pragma once

#include <cstdint>

namespace pmu::firmware {

inline constexpr unsigned kTrigTableBits = 10;

// table[i] = round(cos(2 pi i / 1024) * 2^30), i = 0 .. 1024.
const std::int32_t* CosTableQ30();

// cos(2 pi turns / 2^64).
inline double CosTurns(std::uint64_t turns) {
  const std::int32_t* t = CosTableQ30();
  const std::uint32_t i = static_cast<std::uint32_t>(turns >> (64 - kTrigTableBits));
  const std::int64_t frac = static_cast<std::int64_t>((turns >> (64 - kTrigTableBits - 30)) & 0x3FFFFFFF);
  const std::int64_t a = t[i], b = t[i + 1];
  const std::int64_t v = a + (((b - a) * frac) >> 30);
  return static_cast<double>(v) * (1.0 / 1073741824.0);
}

}  // namespace pmu::firmware
