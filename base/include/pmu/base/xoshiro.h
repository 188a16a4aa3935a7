// xoshiro256** (Blackman and Vigna, 2018): a small, fast, statistically strong
// pseudo-random generator for protocol decisions and reproducible test randomness.
// Not for keys. The state must not be all zero; SeedFrom and the SplitMix64 seeding
// make sure it is not.
#pragma once

#include <cstdint>

namespace pmu {

class Xoshiro256 {
 public:
  Xoshiro256() = default;
  // Expands one 64-bit seed with SplitMix64 (the generator's authors' advice).
  explicit Xoshiro256(std::uint64_t seed);
  // Takes the state as given (for example from an entropy source).
  void SetState(const std::uint64_t (&state)[4]);

  std::uint64_t Next();

 private:
  std::uint64_t s_[4] = {1, 2, 3, 4};
};

}  // namespace pmu
