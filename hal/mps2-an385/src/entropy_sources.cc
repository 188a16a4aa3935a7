#include "pmu/hal/mps2/entropy_sources.h"

#include <cstring>

#include "cortex_m3.h"
#include "pmu/hal/mps2/board_memory.h"
#include "pmu/hal/mps2/lan9118_link.h"
#include "pmu/hal/mps2/systick_clock.h"

namespace pmu::hal::mps2 {
namespace {

constexpr std::size_t kProvisionedOffset = 0;
constexpr std::size_t kBootRecordOffset = 64;
constexpr std::uint32_t kBootMagic = 0x44455353;  // "SSED"
constexpr std::uintptr_t kLanFreeRun = Lan9118Link::kBase + 0x9C;

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

void SeedAreaStore::WriteBootSeed(const Seed& seed) {
  BootRecord r;
  r.magic = kBootMagic;
  std::memcpy(r.seed, seed.data(), kSeedSize);
  r.check = Checksum(r.seed, kSeedSize);
  std::memcpy(SeedArea().base + kBootRecordOffset, &r, sizeof(r));
}

Status TimerNoise::Fill(MutableByteSpan out) {
  std::uint32_t previous = 0;
  for (std::byte& b : out) {
    std::uint32_t acc = 0;
    for (int sample = 0; sample < 8; ++sample) {
      // A loop whose length depends on the last sample, then both counters.
      const std::uint32_t spins = 16 + (previous & 0x3F);
      for (std::uint32_t i = 0; i < spins; ++i) asm volatile("");
      const std::uint32_t t = SysTickClock::CurrentValue() ^ (MmioRead(kLanFreeRun) << 7);
      acc = (acc << 5 | acc >> 27) ^ t;
      previous = t;
    }
    b = static_cast<std::byte>(acc ^ acc >> 8 ^ acc >> 16 ^ acc >> 24);
  }
  return Status::Ok();
}

}  // namespace pmu::hal::mps2
