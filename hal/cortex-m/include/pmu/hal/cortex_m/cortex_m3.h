// Cortex-M3 core registers and instructions the board code uses (ARMv7-M
// Architecture Reference Manual, B3). For the boards' drivers (hal/<board>/), not for
// the firmware.
#pragma once

#include <cstdint>

namespace pmu::hal::cortex_m {

inline volatile std::uint32_t& Mmio(std::uintptr_t address) {
  return *reinterpret_cast<volatile std::uint32_t*>(address);
}
// A read whose value is not needed (a FIFO pop, a settling read). Discarding
// Mmio(...) itself would not guarantee the access: a call expression is not among the
// forms C++ reads from when their volatile result is discarded.
inline std::uint32_t MmioRead(std::uintptr_t address) { return Mmio(address); }

// System control block.
inline constexpr std::uintptr_t kScbIcsr = 0xE000ED04;   // interrupt control and state
inline constexpr std::uintptr_t kScbAircr = 0xE000ED0C;  // application interrupt and reset control
inline constexpr std::uintptr_t kScbShcsr = 0xE000ED24;  // system handler control and state
inline constexpr std::uintptr_t kScbCfsr = 0xE000ED28;   // configurable fault status
inline constexpr std::uintptr_t kScbHfsr = 0xE000ED2C;   // hard fault status
inline constexpr std::uintptr_t kScbDfsr = 0xE000ED30;   // debug fault status
inline constexpr std::uintptr_t kScbMmfar = 0xE000ED34;  // memory management fault address
inline constexpr std::uintptr_t kScbBfar = 0xE000ED38;   // bus fault address
inline constexpr std::uint32_t kIcsrPendStSet = 1u << 26;
inline constexpr std::uint32_t kHfsrDebugEvt = 1u << 31;
inline constexpr std::uint32_t kHfsrForced = 1u << 30;
inline constexpr std::uint32_t kDfsrBkpt = 1u << 1;

// SysTick.
inline constexpr std::uintptr_t kSysTickCsr = 0xE000E010;
inline constexpr std::uintptr_t kSysTickRvr = 0xE000E014;
inline constexpr std::uintptr_t kSysTickCvr = 0xE000E018;

// NVIC: one bit per external interrupt, 32 to a word (the AN385 has 32, the LM3S6965
// 43).
inline constexpr std::uintptr_t kNvicIser0 = 0xE000E100;
inline constexpr std::uintptr_t kNvicIcer0 = 0xE000E180;
inline constexpr std::uintptr_t kNvicIcpr0 = 0xE000E280;

inline void NvicEnable(unsigned irq) { Mmio(kNvicIser0 + 4 * (irq / 32)) = 1u << (irq % 32); }
inline void NvicDisable(unsigned irq) { Mmio(kNvicIcer0 + 4 * (irq / 32)) = 1u << (irq % 32); }
inline void NvicClearPending(unsigned irq) { Mmio(kNvicIcpr0 + 4 * (irq / 32)) = 1u << (irq % 32); }

inline void DisableIrq() { asm volatile("cpsid i" ::: "memory"); }
inline void EnableIrq() { asm volatile("cpsie i" ::: "memory"); }
inline std::uint32_t Primask() {
  std::uint32_t v;
  asm volatile("mrs %0, primask" : "=r"(v));
  return v;
}
inline void Dsb() { asm volatile("dsb" ::: "memory"); }
inline void Wfi() { asm volatile("wfi" ::: "memory"); }

// Masks interrupts for the lifetime of the object and restores the previous state.
class IrqLock {
 public:
  IrqLock() : was_masked_(Primask() != 0) { DisableIrq(); }
  ~IrqLock() {
    if (!was_masked_) EnableIrq();
  }
  IrqLock(const IrqLock&) = delete;
  IrqLock& operator=(const IrqLock&) = delete;

 private:
  bool was_masked_;
};

}  // namespace pmu::hal::cortex_m
