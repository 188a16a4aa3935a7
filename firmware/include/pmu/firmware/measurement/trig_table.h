// Cosine and sine of a phase given as a 64-bit fraction of a turn, in integer
// arithmetic: a Cortex-M3 has no FPU, and the soft-float double library and double
// libm (argument reduction alone is 3 KiB) are what this replaces on the board.
//
// One quarter-wave Q30 table (257 entries, 1 KiB of constants) computed by the compiler,
// read two ways:
//   CosTurns   linear interpolation between the table's 1024 points per turn (max
//              error 4.7e-6): the synthesiser's per-sample cosine;
//   CosSinQ30  the nearest point turned by the remainder's angle, cos(a + b) from a
//              Taylor polynomial of b (|b| < pi/1024), error a few 2^-30: the
//              estimator's demodulation coefficients, rounded to Q24 from it (one
//              unit off only where the value is within 2^-30 of a Q24 tie).
#pragma once

#include <array>
#include <cstdint>

namespace pmu::firmware {

inline constexpr unsigned kTrigTableBits = 10;  // points per turn: 1024
inline constexpr std::int32_t kQ30One = 1 << 30;

namespace trig_detail {

inline constexpr std::uint32_t kPointsPerTurn = 1u << kTrigTableBits;
inline constexpr std::uint32_t kQuarter = kPointsPerTurn / 4;

// cos(2 pi j / 1024) for j = 0 .. 256, rounded to Q30. Evaluated at compile time only
// (consteval): the image holds the 257 integers, not the arithmetic that made them.
consteval std::array<std::int32_t, kQuarter + 1> MakeQuarterCos() {
  std::array<std::int32_t, kQuarter + 1> t{};
  constexpr double kPi = 3.14159265358979323846264338327950288;
  for (std::uint32_t j = 0; j <= kQuarter; ++j) {
    // Reduced to [0, pi/4] (cos directly, or sin of the complement) so the Taylor
    // series converges to double precision within 12 terms.
    const bool complement = 2 * j > kQuarter;
    const double x = (complement ? kQuarter - j : j) * (2 * kPi / kPointsPerTurn);
    double term = complement ? x : 1.0, sum = term;
    for (int n = complement ? 1 : 0; n < 24; n += 2) {
      term *= -x * x / ((n + 1) * (n + 2));
      sum += term;
    }
    const double q = sum * kQ30One;
    t[j] = static_cast<std::int32_t>(q + 0.5);
  }
  return t;
}

inline constexpr std::array<std::int32_t, kQuarter + 1> kQuarterCosQ30 = MakeQuarterCos();

// cos(2 pi i / 1024) in Q30, any i (taken modulo 1024).
constexpr std::int32_t CosPoint(std::uint32_t i) {
  const std::uint32_t j = i & (kQuarter - 1);
  switch ((i >> (kTrigTableBits - 2)) & 3u) {
    case 0: return kQuarterCosQ30[j];
    case 1: return -kQuarterCosQ30[kQuarter - j];
    case 2: return -kQuarterCosQ30[j];
    default: return kQuarterCosQ30[kQuarter - j];
  }
}

}  // namespace trig_detail

// cos(2 pi turns / 2^64) in Q30, linearly interpolated (max error 4.7e-6).
inline std::int32_t CosTurnsQ30(std::uint64_t turns) {
  const auto i = static_cast<std::uint32_t>(turns >> (64 - kTrigTableBits));
  const auto frac = static_cast<std::int64_t>((turns >> (64 - kTrigTableBits - 30)) & 0x3FFFFFFF);
  const std::int64_t a = trig_detail::CosPoint(i), b = trig_detail::CosPoint(i + 1);
  return static_cast<std::int32_t>(a + (((b - a) * frac) >> 30));
}

inline float CosTurns(std::uint64_t turns) {
  return static_cast<float>(CosTurnsQ30(turns)) * (1.0f / static_cast<float>(kQ30One));
}

struct CosSin {
  std::int32_t cos = kQ30One;  // Q30
  std::int32_t sin = 0;
};

// cos and sin of 2 pi turns / 2^64 in Q30, within a few units of 2^-30.
CosSin CosSinQ30(std::uint64_t turns);

// sin(x) in float for |x| up to 10^4 radians, within a few units in the last place
// of the result (relative, so small angles keep their precision): a reduction by pi
// in two parts (Cody-Waite) and the odd Taylor polynomial to x^13 on [-pi/2, pi/2].
// The estimator's gain correction needs nothing more; newlib's sinf carries a
// reduction for every float (3.7 KiB of flash with its helpers).
float SinRadians(float x);

// v mod m in [0, m) for m below 2^16 (a sample's place in the nominal cycle, say),
// from v's two 32-bit halves: a 64-bit division is a library call on a Cortex-M3,
// a 32-bit one an instruction.
inline std::uint32_t FloorMod64(std::int64_t v, std::uint32_t m) {
  const std::uint64_t u = v < 0 ? 0 - static_cast<std::uint64_t>(v) : static_cast<std::uint64_t>(v);
  const std::uint32_t two32 = (0xFFFFFFFFu % m + 1) % m;  // 2^32 mod m
  const std::uint32_t r = ((static_cast<std::uint32_t>(u >> 32) % m) * two32 + static_cast<std::uint32_t>(u) % m) % m;
  return v < 0 && r != 0 ? m - r : r;
}

// The nearest Q64 fraction of a turn at or below value / divisor, modulo one turn:
// exact integer arithmetic on the float's bits (no double). A negative value wraps
// (-0.25 turns is 0.75), so phases and per-sample phase increments add modulo 2^64.
// QuotientQ64(deg, 360) is an angle; QuotientQ64(hz, fs) the phase step per sample.
std::uint64_t QuotientQ64(float value, std::uint32_t divisor);

}  // namespace pmu::firmware
