#include "pmu/hal/lm3s6965/system_control.h"

#include "pmu/hal/cortex_m/cortex_m3.h"

namespace pmu::hal::lm3s6965 {
namespace {

using cortex_m::Mmio;

constexpr std::uintptr_t kSysCtl = 0x400FE000;
constexpr std::uintptr_t kRis = kSysCtl + 0x050;
constexpr std::uintptr_t kRcc = kSysCtl + 0x060;
constexpr std::uintptr_t kRcgc1 = kSysCtl + 0x104;
constexpr std::uintptr_t kRcgc2 = kSysCtl + 0x108;

constexpr std::uint32_t kRisPllLock = 1u << 6;
constexpr std::uint32_t kRccMoscDis = 1u << 0;
constexpr std::uint32_t kRccOscSrcMask = 3u << 4;  // 0: the main oscillator
constexpr std::uint32_t kRccXtalMask = 0xFu << 6;
constexpr std::uint32_t kRccXtal8MHz = 0xEu << 6;
constexpr std::uint32_t kRccBypass = 1u << 11;
constexpr std::uint32_t kRccPwrDn = 1u << 13;
constexpr std::uint32_t kRccUseSysDiv = 1u << 22;
constexpr std::uint32_t kRccSysDivMask = 0xFu << 23;
constexpr std::uint32_t kRccSysDiv4 = 3u << 23;  // 400 MHz / 2 / 4 = 50 MHz

constexpr std::uint32_t kRcgc1Uart0 = 1u << 0;
constexpr std::uint32_t kRcgc1Timer0 = 1u << 16;
constexpr std::uint32_t kRcgc2GpioA = 1u << 0;
constexpr std::uint32_t kRcgc2Emac = 1u << 28;
constexpr std::uint32_t kRcgc2Ephy = 1u << 30;

// GPIO port A (APB): the alternate function and digital enable of PA0 (U0Rx), PA1 (U0Tx).
constexpr std::uintptr_t kGpioA = 0x40004000;
constexpr std::uintptr_t kGpioAfsel = kGpioA + 0x420;
constexpr std::uintptr_t kGpioDen = kGpioA + 0x51C;
constexpr std::uint32_t kUart0Pins = 0x3;

// A few cycles for a gated clock to reach the peripheral before its first access.
void Settle() {
  for (int i = 0; i < 8; ++i) asm volatile("nop");
}

}  // namespace

bool StartClocks() {
  // The data sheet's order (section 6.3): run from the bypassed crystal while the PLL
  // is configured, power it up, set the divider, wait for lock, then leave bypass.
  std::uint32_t rcc = Mmio(kRcc);
  rcc = (rcc | kRccBypass) & ~kRccUseSysDiv;
  Mmio(kRcc) = rcc;
  rcc = (rcc & ~(kRccXtalMask | kRccOscSrcMask | kRccMoscDis | kRccPwrDn)) | kRccXtal8MHz;
  Mmio(kRcc) = rcc;
  rcc = (rcc & ~kRccSysDivMask) | kRccSysDiv4 | kRccUseSysDiv;
  Mmio(kRcc) = rcc;
  bool locked = false;
  for (int i = 0; i < 100'000 && !locked; ++i) locked = (Mmio(kRis) & kRisPllLock) != 0;
  if (locked) Mmio(kRcc) = rcc & ~kRccBypass;

  Mmio(kRcgc1) = Mmio(kRcgc1) | kRcgc1Uart0 | kRcgc1Timer0;
  Mmio(kRcgc2) = Mmio(kRcgc2) | kRcgc2GpioA | kRcgc2Emac | kRcgc2Ephy;
  Settle();
  Mmio(kGpioAfsel) = Mmio(kGpioAfsel) | kUart0Pins;
  Mmio(kGpioDen) = Mmio(kGpioDen) | kUart0Pins;
  return locked;
}

}  // namespace pmu::hal::lm3s6965
