#include "pmu/firmware/random.h"

namespace pmu::firmware {

Status DevicePrng::Seed(hal::Entropy& entropy) {
  std::uint64_t state[4] = {};
  PMU_TRY(entropy.Fill(AsWritableBytes(state, sizeof(state))));
  generator_.SetState(state);
  return Status::Ok();
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
