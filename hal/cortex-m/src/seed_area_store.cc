#include "pmu/hal/cortex_m/seed_area_store.h"

#include <cstring>

#include "pmu/hal/cortex_m/board_memory.h"

namespace pmu::hal::cortex_m {
namespace {

constexpr std::size_t kProvisionedOffset = 0;
constexpr std::size_t kBootRecordOffset = 64;
constexpr std::uint32_t kBootMagic = 0x44455353;  // "SSED"

struct BootRecord {
  std::uint32_t magic;
  std::byte seed[kSeedSize];
  std::uint32_t check;
};

std::uint32_t Checksum(const std::byte* p, std::size_t n) {
  std::uint32_t h = 2166136261u;  // FNV-1a: detects a torn or blank record, nothing more
  for (std::size_t i = 0; i < n; ++i) h = (h ^ static_cast<std::uint8_t>(p[i])) * 16777619u;
  return h;
}

bool Blank(const Seed& s) {
  bool zeros = true, ones = true;
  for (std::byte b : s) {
    zeros = zeros && b == std::byte{0x00};
    ones = ones && b == std::byte{0xFF};
  }
  return zeros || ones;
}

}  // namespace

StoredSeeds SeedAreaStore::Read() const {
  const MemoryArea area = SeedArea();
  StoredSeeds s;
  std::memcpy(s.provisioned.data(), area.base + kProvisionedOffset, kSeedSize);
  s.provisioned_present = !Blank(s.provisioned);
  BootRecord r;
  std::memcpy(&r, area.base + kBootRecordOffset, sizeof(r));
  if (r.magic == kBootMagic && r.check == Checksum(r.seed, kSeedSize)) {
    std::memcpy(s.boot.data(), r.seed, kSeedSize);
    s.boot_present = true;
  }
  return s;
}

Status SeedAreaStore::WriteBootSeed(const Seed& seed) {
  BootRecord r;
  r.magic = kBootMagic;
  std::memcpy(r.seed, seed.data(), kSeedSize);
  r.check = Checksum(r.seed, kSeedSize);
  const Status s = writer_.Write(SeedArea().base + kBootRecordOffset, AsBytes(&r, sizeof(r)));
  std::memset(&r, 0, sizeof(r));
  return s;
}

}  // namespace pmu::hal::cortex_m
