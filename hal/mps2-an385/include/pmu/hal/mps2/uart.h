// UART0 of the AN385: a CMSDK APB UART at 0x40004000 (RX interrupt 0, TX interrupt 1),
// the board's console. The UART is a process-wide singleton, so this is a static
// class rather than an injected object (tests never fake it, and the fault handler
// must reach it without an object); UartLogSink is the injected hal::LogSink on top
// of it.
//
// Transmission is interrupt-driven from a RAM ring, so a log line costs the main loop
// a copy, not the ~9 ms it takes to leave at 115200 baud on the real board. When the
// ring is full, Write() waits for room (log lines are never dropped). Received bytes
// go into a small ring that the console reads from the main loop.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "pmu/hal/log_sink.h"

namespace pmu::hal::mps2 {

class Uart0 {
 public:
  static constexpr std::uintptr_t kBase = 0x40004000;
  static constexpr unsigned kRxIrq = 0;
  static constexpr unsigned kTxIrq = 1;
  static constexpr std::uint32_t kBaud = 115200;
  static constexpr std::size_t kTxRingSize = 4096;  // power of two
  static constexpr std::size_t kRxRingSize = 128;   // power of two

  // Programs 8N1 at kBaud from the 25 MHz peripheral clock and enables TX and RX with
  // their interrupts. Call once, early; Write() before Init() writes nothing.
  static void Init();

  // Queues bytes for transmission (main loop).
  static void Write(std::string_view text);

  // Transmits everything queued and then `text` by polling, with interrupts masked
  // or not: for fault handlers and the moment before a reset, when no interrupt will
  // drain the ring any more.
  static void WritePolled(std::string_view text);
  static void Flush() { WritePolled({}); }

  // The next received byte, if any (main loop).
  static bool ReadByte(char* out);
  // Whether a received byte is waiting (the idle loop's wake-up check).
  static bool RxPending();

  // Interrupt handlers (vector table).
  static void TxIsr();
  static void RxIsr();
};

// The device log on UART0: one line per record, ended by CR LF for serial terminals.
class UartLogSink final : public LogSink {
 public:
  void WriteLine(std::string_view line) override;
};

}  // namespace pmu::hal::mps2
