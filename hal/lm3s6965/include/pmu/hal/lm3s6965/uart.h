// UART0 of the LM3S6965: an ARM PL011 (the "Luminary" variant, QEMU's pl011_luminary)
// at 0x4000C000 on interrupt 5, the board's console; on the EK-LM3S6965 it reaches the
// host through the debugger's USB serial port. Same contract as the AN385's Uart0
// (hal/mps2-an385/include/pmu/hal/mps2/uart.h): interrupt-driven transmission from a
// RAM ring that never drops a log line, a small receive ring for the console, and a
// polled path for fault reports and the moment before a reset.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "pmu/hal/log_sink.h"

namespace pmu::hal::lm3s6965 {

class Uart0 {
 public:
  static constexpr std::uintptr_t kBase = 0x4000C000;
  static constexpr unsigned kIrq = 5;
  static constexpr std::uint32_t kBaud = 115200;
  // Smaller than the AN385's 4 KiB: RAM is 64 KiB here. A burst of log lines longer
  // than the ring makes Write() wait for the UART (lines are never dropped).
  static constexpr std::size_t kTxRingSize = 512;  // power of two
  static constexpr std::size_t kRxRingSize = 64;    // power of two

  // 8N1 at kBaud from the system clock with the FIFOs on, TX and RX with their
  // interrupts. Call once, after StartClocks(); Write() before Init() writes nothing.
  static void Init();

  static void Write(std::string_view text);
  static void WritePolled(std::string_view text);
  static void Flush() { WritePolled({}); }

  static bool ReadByte(char* out);
  static bool RxPending();

  // Interrupt 5's handler (vector table): receive, receive timeout and transmit.
  static void Isr();
};

// The device log on UART0: one line per record, ended by CR LF.
class UartLogSink final : public LogSink {
 public:
  void WriteLine(std::string_view line) override;
};

}  // namespace pmu::hal::lm3s6965
