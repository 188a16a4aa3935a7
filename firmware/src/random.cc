#include "pmu/firmware/random.h"

namespace pmu::firmware {
namespace {
std::uint64_t Rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
}  // namespace

Status DevicePrng::Seed(hal::Entropy& entropy) {
  PMU_TRY(entropy.Fill(AsWritableBytes(s_, sizeof(s_))));
  if ((s_[0] | s_[1] | s_[2] | s_[3]) == 0) s_[0] = 1;  // the all-zero state is a fixed point
  return Status::Ok();
}

std::uint64_t DevicePrng::Next() {
  const std::uint64_t result = Rotl(s_[1] * 5, 7) * 9;
  const std::uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = Rotl(s_[3], 45);
  return result;
}

std::uint64_t DevicePrng::UniformInclusive(std::uint64_t bound) {
  if (bound == UINT64_MAX) return Next();
  const std::uint64_t range = bound + 1;
  // Reject the top partial range so every value is equally likely.
  const std::uint64_t limit = UINT64_MAX - (UINT64_MAX % range + 1) % range;
  for (;;) {
    const std::uint64_t v = Next();
    if (v <= limit) return v % range;
  }
}

bool DevicePrng::Chance(std::uint32_t ppm) {
  if (ppm >= 1'000'000) return true;
  return UniformInclusive(999'999) < ppm;
}

}  // namespace pmu::firmware
