// The bare-metal runtime the Cortex-M3 boards share (src/runtime.cc): start-up, fault
// handlers, reset, the idle wait, semihosting, and the C/C++ library stubs (no heap:
// an accidental malloc or operator new is reported and reboots).
//
// A board supplies two things: its vector table (the initial stack pointer
// __stack_top, pmu_reset_handler, pmu_fault_handler for the faults and every
// interrupt it does not expect, and its own handlers), and ConsoleWritePolled(), the
// polled console output the fault report and stdio use.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

extern "C" {
// Copies .data, zeroes .bss, paints the stack, runs the constructors and main().
[[noreturn]] void pmu_reset_handler();
// Reports the fault (exception, registers, fault status) on the console and resets.
void pmu_fault_handler();
}

namespace pmu::hal::cortex_m {

// The board's console UART, by polling, with interrupts masked or not: defined by each
// board next to its UART driver.
void ConsoleWritePolled(std::string_view text);

// A vector table entry.
using Handler = void (*)();

enum class ResetCause : std::uint32_t {
  kPowerOn,    // nothing recorded: power-up, the reset button, or a new QEMU
  kRequested,  // Reboot() (the console's reboot command)
  kFault,      // a fault handler
  kAbort,      // abort(), a failed assertion, heap use
};
const char* ResetCauseName(ResetCause cause);

// Kept in RAM that start-up does not clear (.noinit), written just before a reset.
// All zero (kPowerOn) when nothing was recorded.
struct ResetRecord {
  ResetCause cause;
  std::uint32_t warm_resets;  // resets since power-up
  std::uint32_t exception;    // exception number of a fault
  std::uint32_t pc;
  std::uint32_t lr;
  std::uint32_t cfsr;
  std::uint32_t hfsr;
};

// Why this boot happened (the record the previous run left).
ResetRecord LastReset();

// Writes `why` on the UART (after everything queued), records kRequested and resets
// the system through SCB AIRCR.SYSRESETREQ.
[[noreturn]] void Reboot(const char* why);
// Writes "*** ABORT: what" on the UART, records kAbort and resets.
[[noreturn]] void Fatal(const char* what);

// The host's UTC in whole seconds through semihosting SYS_TIME, or nothing when no
// semihosting host answers (QEMU without -semihosting-config enable=on, or a real
// board without a debugger: the BKPT then faults, and the fault handler returns -1).
std::optional<std::int64_t> SemihostingTimeSeconds();

// The idle wait without the lost-wake-up race: masks interrupts, asks `ready`, and
// only if nothing is ready executes WFI (a pending interrupt still ends WFI while
// masked); then unmasks, so the handler runs. SysTick ends every wait within 1 ms.
void IdleUnless(bool (*ready)(void* context), void* context);

}  // namespace pmu::hal::cortex_m
