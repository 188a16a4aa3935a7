#include "pmu/firmware/measurement/trig_table.h"

#include <bit>

namespace pmu::firmware {
namespace {

// a * b / 2^30, rounded to nearest.
std::int64_t MulQ30(std::int64_t a, std::int64_t b) { return (a * b + (std::int64_t{1} << 29)) >> 30; }

}  // namespace

CosSin CosSinQ30(std::uint64_t turns) {
  using trig_detail::CosPoint;
  const auto i = static_cast<std::uint32_t>(turns >> (64 - kTrigTableBits));
  // b: the remainder past point i, below one step (2 pi / 1024 rad), in Q30 radians.
  // The next 32 bits of the fraction times 2 pi 2^28 (Q28, below 2^31), over 2^40.
  const auto rest = static_cast<std::uint32_t>(turns >> (64 - kTrigTableBits - 32));
  constexpr std::uint64_t kTwoPiQ28 = 1686629713;  // round(2 pi 2^28)
  const auto b = static_cast<std::int64_t>((rest * kTwoPiQ28 + (std::uint64_t{1} << 39)) >> 40);
  // cos b = 1 - b^2/2 (+ b^4/24, under 2^-33), sin b = b - b^3/6 (+ b^5/120, under 2^-39).
  const std::int64_t b2 = MulQ30(b, b);
  const std::int64_t cos_b = kQ30One - (b2 + 1) / 2;
  const std::int64_t sin_b = b - (MulQ30(b2, b) + 3) / 6;
  const std::int64_t cos_a = CosPoint(i);
  const std::int64_t sin_a = CosPoint(i - trig_detail::kQuarter);  // cos(a - pi/2)
  return {static_cast<std::int32_t>(MulQ30(cos_a, cos_b) - MulQ30(sin_a, sin_b)),
          static_cast<std::int32_t>(MulQ30(sin_a, cos_b) + MulQ30(cos_a, sin_b))};
}

float SinRadians(float x) {
  // k = round(x / pi); r = x - k pi, with pi = kPiHigh + kPiLow and kPiHigh's 8
  // significant bits making k kPiHigh exact for |k| below 2^16.
  constexpr float kInvPi = 0.318309886183790672f;
  constexpr float kPiHigh = 3.140625f;
  constexpr float kPiLow = 9.67653589793116e-4f;
  const float q = x * kInvPi;
  const auto k = static_cast<std::int32_t>(q < 0 ? q - 0.5f : q + 0.5f);
  const auto kf = static_cast<float>(k);
  const float r = (x - kf * kPiHigh) - kf * kPiLow;
  const float r2 = r * r;
  // r - r^3/3! + ... + r^13/13!: the next term is under 7e-10 at pi/2.
  float p = 1.0f / 6227020800.0f;
  p = p * r2 - 1.0f / 39916800.0f;
  p = p * r2 + 1.0f / 362880.0f;
  p = p * r2 - 1.0f / 5040.0f;
  p = p * r2 + 1.0f / 120.0f;
  p = p * r2 - 1.0f / 6.0f;
  const float s = r + r * r2 * p;
  return (k & 1) != 0 ? -s : s;
}

std::uint64_t QuotientQ64(float value, std::uint32_t divisor) {
  const auto bits = std::bit_cast<std::uint32_t>(value);
  const auto biased = static_cast<int>((bits >> 23) & 0xFF);
  // Zero and subnormals (below 1.2e-38: nothing in 2^-64 units), infinities, NaN.
  if (biased == 0 || biased == 0xFF || divisor == 0) return 0;
  const std::uint64_t mantissa = (bits & 0x7FFFFF) | 0x800000;  // value = mantissa 2^(biased - 150)
  int shift = biased - 150 + 64;                                 // value 2^64 = mantissa 2^shift
  std::uint64_t q = 0;
  if (shift <= 0) {
    q = shift > -64 ? (mantissa >> -shift) / divisor : 0;
  } else {
    // Long division, 32 bits at a time: the remainder stays below the divisor, so
    // shifting it by 32 fits in 64 bits; bits above 2^64 (whole turns) fall off.
    q = mantissa / divisor;
    std::uint64_t r = mantissa % divisor;
    while (shift > 0) {
      const int step = shift < 32 ? shift : 32;
      q = (q << step) + (r << step) / divisor;
      r = (r << step) % divisor;
      shift -= step;
    }
  }
  return (bits >> 31) != 0 ? 0 - q : q;
}

}  // namespace pmu::firmware
