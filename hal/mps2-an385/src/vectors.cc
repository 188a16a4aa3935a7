// The AN385's vector table: the Cortex-M3 exceptions to the shared runtime
// (hal/cortex-m), and its interrupts UART0 RX 0 and TX 1 and Ethernet 13 (QEMU's
// hw/arm/mps2.c and the application note agree) to the drivers. Every other vector
// reports itself as unexpected.
#include <cstdint>

#include "pmu/hal/cortex_m/runtime.h"
#include "pmu/hal/mps2/lan9118_link.h"
#include "pmu/hal/mps2/systick_clock.h"
#include "pmu/hal/mps2/uart.h"

extern "C" std::uint32_t __stack_top[];

namespace pmu::hal::mps2 {
namespace {

using cortex_m::Handler;

struct VectorTable {
  const void* initial_sp;
  Handler reset;
  Handler system[14];    // exceptions 2..15
  Handler external[32];  // AN385 interrupts 0..31
};

constexpr Handler kUnexpected = pmu_fault_handler;

}  // namespace

extern "C" __attribute__((section(".vectors"), used)) const VectorTable pmu_vector_table = {
    __stack_top,
    pmu_reset_handler,
    {
        pmu_fault_handler,  // 2 NMI
        pmu_fault_handler,  // 3 HardFault
        pmu_fault_handler,  // 4 MemManage
        pmu_fault_handler,  // 5 BusFault
        pmu_fault_handler,  // 6 UsageFault
        nullptr, nullptr, nullptr, nullptr,
        kUnexpected,        // 11 SVCall
        kUnexpected,        // 12 DebugMonitor
        nullptr,
        kUnexpected,        // 14 PendSV
        SysTickClock::Isr,  // 15 SysTick
    },
    {
        Uart0::RxIsr, Uart0::TxIsr, kUnexpected, kUnexpected,                 // 0-3
        kUnexpected, kUnexpected, kUnexpected, kUnexpected,                   // 4-7
        kUnexpected, kUnexpected, kUnexpected, kUnexpected,                   // 8-11
        kUnexpected, Lan9118Link::Isr, kUnexpected, kUnexpected,              // 12-15
        kUnexpected, kUnexpected, kUnexpected, kUnexpected,                   // 16-19
        kUnexpected, kUnexpected, kUnexpected, kUnexpected,                   // 20-23
        kUnexpected, kUnexpected, kUnexpected, kUnexpected,                   // 24-27
        kUnexpected, kUnexpected, kUnexpected, kUnexpected,                   // 28-31
    },
};

}  // namespace pmu::hal::mps2
