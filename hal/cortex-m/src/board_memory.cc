#include "pmu/hal/cortex_m/board_memory.h"

#include <cstdint>

extern "C" {
// Linker script symbols: only their addresses mean something.
extern std::byte __pmu_config_start[], __pmu_certs_start[], __pmu_storage_start[], __pmu_seed_start[];
extern std::byte __pmu_config_size[], __pmu_certs_size[], __pmu_storage_size[], __pmu_seed_size[];
extern std::byte __pmu_playback_start[], __pmu_playback_size[];
extern std::byte __image_start[], __image_end[], __ram_end[];
extern std::uint32_t __stack_bottom[], __stack_top[];
}

namespace pmu::hal::cortex_m {
namespace {

std::uintptr_t Address(const void* symbol) { return reinterpret_cast<std::uintptr_t>(symbol); }
MemoryArea Area(std::byte* start, const std::byte* size) { return {start, Address(size)}; }

}  // namespace

// Must match the fill in src/runtime.cc.
extern const std::uint32_t kStackFill;

MemoryArea ConfigArea() { return Area(__pmu_config_start, __pmu_config_size); }
MemoryArea CertsArea() { return Area(__pmu_certs_start, __pmu_certs_size); }
MemoryArea StorageArea() { return Area(__pmu_storage_start, __pmu_storage_size); }
MemoryArea SeedArea() { return Area(__pmu_seed_start, __pmu_seed_size); }
MemoryArea PlaybackArea() { return Area(__pmu_playback_start, __pmu_playback_size); }

ImageLayout Layout() {
  return {Address(__image_start), Address(__image_end), Address(__stack_bottom), Address(__ram_end),
          Address(__stack_bottom), Address(__stack_top)};
}

std::size_t StackHighWater() {
  const volatile std::uint32_t* p = __stack_bottom;
  while (p < __stack_top && *p == kStackFill) ++p;
  return static_cast<std::size_t>(Address(__stack_top) - Address(const_cast<const std::uint32_t*>(p)));
}

}  // namespace pmu::hal::cortex_m
