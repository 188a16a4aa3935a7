// The device's pseudo-random generator for protocol decisions (the reset service's
// loss emulation and offsets): xoshiro256** seeded once from the HAL's entropy
// source. Seeding once keeps these decisions reproducible when the simulator's
// entropy is seeded (--seed), whatever else draws entropy later. Not for keys.
#pragma once

#include <cstdint>

#include "pmu/base/status.h"
#include "pmu/base/xoshiro.h"
#include "pmu/hal/entropy.h"

namespace pmu::firmware {

class DevicePrng {
 public:
  Status Seed(hal::Entropy& entropy);
  std::uint64_t Next() { return generator_.Next(); }
  // Uniform in [0, bound] inclusive, without modulo bias.
  std::uint64_t UniformInclusive(std::uint64_t bound);
  // True with probability ppm / 1'000'000.
  bool Chance(std::uint32_t ppm);

 private:
  Xoshiro256 generator_;
};

}  // namespace pmu::firmware
