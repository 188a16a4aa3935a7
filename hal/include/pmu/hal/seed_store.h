// Where a board without a hardware random generator keeps the secrets its DRBG is
// seeded from (port/drbg_entropy.h): a seed provisioned from outside the firmware, and
// a boot seed the firmware renews at every boot from the DRBG's output, so that no two
// boots start from the same state. A board with a real generator has no SeedStore.
#pragma once

#include <array>
#include <cstddef>

#include "pmu/base/status.h"

namespace pmu::hal {

inline constexpr std::size_t kSeedSize = 32;
using Seed = std::array<std::byte, kSeedSize>;

struct StoredSeeds {
  Seed provisioned{};
  bool provisioned_present = false;  // all zeros or all ones means "not provisioned"
  Seed boot{};
  bool boot_present = false;         // false on the first boot after power-up
};

class SeedStore {
 public:
  virtual StoredSeeds Read() const = 0;
  // Replaces the boot seed. An error when it could not be stored (flash that does not
  // take the write): the next boot then starts without it.
  virtual Status WriteBootSeed(const Seed& seed) = 0;

 protected:
  ~SeedStore() = default;
};

}  // namespace pmu::hal
