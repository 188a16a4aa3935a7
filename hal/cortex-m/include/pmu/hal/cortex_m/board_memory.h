// A board image's memory map, from its linker script (targets/<board>/<board>.ld, which
// defines the symbols): where the code and RAM the image uses lie, and the storage
// areas at the top of code memory. The addresses of the areas are the board's ABI (the
// launcher and the board's loader put the configuration there); docs/BOARD.md
// describes them. A board without an area gives it size 0.
#pragma once

#include <cstddef>
#include <cstdint>

namespace pmu::hal::cortex_m {

struct MemoryArea {
  std::byte* base = nullptr;
  std::size_t size = 0;
  std::uintptr_t address() const { return reinterpret_cast<std::uintptr_t>(base); }
};

// Sizes are the board's (docs/BOARD.md); the AN385's in brackets.
MemoryArea ConfigArea();   // configuration text (16 KiB), loaded from outside
MemoryArea CertsArea();    // certificates and keys (16 KiB), for the TLS services
MemoryArea StorageArea();  // hal::Storage for the firmware (16 KiB)
MemoryArea SeedArea();     // the entropy seeds (4 KiB): see the board's entropy_sources.h
MemoryArea PlaybackArea(); // what analog.source plays (512 KiB), loaded from outside

struct ImageLayout {
  std::uintptr_t code_start;  // vector table
  std::uintptr_t code_end;    // end of the image in code memory (incl. .data's copy)
  std::uintptr_t ram_start;
  std::uintptr_t ram_end;     // end of the RAM the image uses (stack, data, bss, noinit)
  std::uintptr_t stack_bottom;
  std::uintptr_t stack_top;
};
ImageLayout Layout();

// Bytes of the main stack ever used (the start-up code fills the stack with a pattern;
// this finds the deepest overwritten word).
std::size_t StackHighWater();

}  // namespace pmu::hal::cortex_m
