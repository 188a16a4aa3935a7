// The board's serial console on UART0: a line-oriented diagnostic shell for the lab
// bench (and for the system tests, which have no SIGUSR1 to send to a board).
//
//   help     the commands
//   stats    the device's statistics report (pools, heap, link, services) and the
//            board's own (stack peak, MAC counters) in the log
//   reboot   a clean reset through SCB AIRCR.SYSRESETREQ
//   fault    an undefined instruction: proves the fault handler logs and reboots
//
// Every command is written to the device log. Main loop only.
#pragma once

#include <cstddef>

#include "pmu/firmware/device.h"
#include "pmu/hal/mps2/lan9118_link.h"

namespace pmu::targets::mps2 {

class SerialConsole {
 public:
  SerialConsole(firmware::Device& device, hal::mps2::Lan9118Link& link) : device_(device), link_(link) {}

  // Reads what UART0 received and runs each complete line.
  void Poll();

  // The board's statistics line ("stats: board ...").
  void LogBoardStats();

 private:
  void Run(std::string_view line);

  firmware::Device& device_;
  hal::mps2::Lan9118Link& link_;
  char line_[64] = {};
  std::size_t length_ = 0;
  bool overlong_ = false;
};

}  // namespace pmu::targets::mps2
