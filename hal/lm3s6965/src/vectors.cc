// The LM3S6965's vector table: the Cortex-M3 exceptions to the shared runtime
// (hal/cortex-m), and the interrupts the drivers use to them (data sheet table 2-9,
// QEMU's hw/arm/stellaris.c): UART0 5, timer 0A 19, Ethernet 42. Every other vector
// reports itself as unexpected.
#include <cstdint>

#include "pmu/hal/cortex_m/runtime.h"
#include "pmu/hal/lm3s6965/stellaris_ethernet_link.h"
#include "pmu/hal/lm3s6965/systick_clock.h"
#include "pmu/hal/lm3s6965/uart.h"

extern "C" std::uint32_t __stack_top[];

namespace pmu::hal::lm3s6965 {
namespace {

using cortex_m::Handler;

constexpr unsigned kInterrupts = 48;  // the LM3S6965 uses 0..47

struct VectorTable {
  const void* initial_sp;
  Handler reset;
  Handler system[14];
  Handler external[kInterrupts];
};

constexpr VectorTable MakeTable() {
  VectorTable t{};
  t.initial_sp = __stack_top;
  t.reset = pmu_reset_handler;
  for (Handler& h : t.system) h = pmu_fault_handler;
  t.system[7 - 2] = t.system[8 - 2] = t.system[9 - 2] = t.system[10 - 2] = t.system[13 - 2] = nullptr;  // reserved
  t.system[15 - 2] = SysTickClock::SysTickIsr;
  for (Handler& h : t.external) h = pmu_fault_handler;
  t.external[Uart0::kIrq] = Uart0::Isr;
  t.external[SysTickClock::kTimerIrq] = SysTickClock::TimerIsr;
  t.external[StellarisEthernetLink::kIrq] = StellarisEthernetLink::Isr;
  return t;
}

}  // namespace

extern "C" __attribute__((section(".vectors"), used)) const VectorTable pmu_vector_table = MakeTable();

}  // namespace pmu::hal::lm3s6965
