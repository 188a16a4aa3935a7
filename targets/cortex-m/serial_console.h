// A Cortex-M3 board's serial console on its console UART: a line-oriented diagnostic
// shell for the lab bench (and for the system tests, which have no SIGUSR1 to send to
// a board).
//
//   help     the commands
//   stats    the device's statistics report (pools, heap, link, services) and the
//            board's own (stack peak, MAC counters) in the log
//   reboot   a clean reset through SCB AIRCR.SYSRESETREQ
//   fault    an undefined instruction: proves the fault handler logs and reboots
//   cut N    rehearses a power cut: once N more bytes are written to storage the
//            board resets part-way through the write (the storage area survives a
//            warm reset, so the next boot finds what a power cut would have left)
//
// Every command is written to the device log. Main loop only. The board supplies its
// UART (ConsolePort) and its statistics line.
#pragma once

#include <cstddef>

#include "pmu/firmware/device.h"
#include "pmu/hal/power_cut_storage.h"

namespace pmu::targets {

struct ConsolePort {
  bool (*read_byte)(char* out);  // the next received byte, if any
  void (*flush)();               // sends everything queued, by polling
  // Logs the board's statistics line ("stats: board ...").
  void (*log_board_stats)(firmware::Logger& log, void* context);
  void* context;
  hal::PowerCutStorage* storage;  // the board's storage, for 'cut' and the statistics
};

class SerialConsole {
 public:
  SerialConsole(firmware::Device& device, const ConsolePort& port) : device_(device), port_(port) { cutting_ = this; }

  // The board's PowerCutStorage action: logs, then resets at once.
  [[noreturn]] static void CutPower(std::size_t after_bytes, void* context);

  // Reads what the UART received and runs each complete line.
  void Poll();

 private:
  void Run(std::string_view line);

  static SerialConsole* cutting_;  // the one console, for CutPower

  firmware::Device& device_;
  ConsolePort port_;
  char line_[64] = {};
  std::size_t length_ = 0;
  bool overlong_ = false;
};

}  // namespace pmu::targets
