// The LM3S6965's system control block (0x400FE000; data sheet section 6): the clock
// tree and the peripherals' clock gates, and the pins UART0 uses. Everything here runs
// once, first thing in main().
#pragma once

#include <cstdint>

namespace pmu::hal::lm3s6965 {

// The core and peripheral clock after StartClocks(): the 8 MHz crystal of the
// EK-LM3S6965 through the PLL (400 MHz), divided by 2 and by SYSDIV 4. QEMU takes its
// clock period from RCC's SYSDIV the same way (5 ns x (SYSDIV + 1)), so both run at 50.
inline constexpr std::uint32_t kSystemClockHz = 50'000'000;

// Switches the system clock to the PLL at kSystemClockHz (bypassed while the PLL
// locks; at most ~1 ms), and gates on the clocks of UART0, timer 0, GPIO port A, the
// Ethernet MAC and PHY; routes PA0/PA1 to UART0. Returns false when the PLL did not
// report lock in time (the clock then stays on the crystal, and every rate is wrong).
bool StartClocks();

}  // namespace pmu::hal::lm3s6965
