#include "console.h"

#include <cinttypes>

#include "pmu/hal/mps2/board_memory.h"
#include "pmu/hal/mps2/runtime.h"
#include "pmu/hal/mps2/uart.h"

namespace pmu::targets::mps2 {

using namespace hal::mps2;

constexpr const char* kTag = "console";
constexpr const char* kStatsTag = "stats";

void SerialConsole::Poll() {
  char c;
  while (Uart0::ReadByte(&c)) {
    if (c == '\r' || c == '\n') {
      if (overlong_) {
        PMU_LOG_WARN(device_.logger(), kTag, "line longer than %u characters ignored",
                     static_cast<unsigned>(sizeof(line_) - 1));
      } else if (length_ > 0) {
        Run(std::string_view(line_, length_));
      }
      length_ = 0;
      overlong_ = false;
    } else if (length_ < sizeof(line_) - 1) {
      line_[length_++] = c;
    } else {
      overlong_ = true;
    }
  }
}

void SerialConsole::Run(std::string_view line) {
  while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
  while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
  firmware::Logger& log = device_.logger();
  if (line == "stats") {
    PMU_LOG_INFO(log, kTag, "stats");
    LogBoardStats();
    device_.LogStats();
  } else if (line == "reboot") {
    PMU_LOG_INFO(log, kTag, "reboot requested");
    Reboot("console command");
  } else if (line == "fault") {
    PMU_LOG_WARN(log, kTag, "fault requested: executing an undefined instruction");
    Uart0::Flush();
    asm volatile("udf #0");
  } else if (line == "help") {
    PMU_LOG_INFO(log, kTag, "commands: help, stats, reboot, fault");
  } else if (!line.empty()) {
    PMU_LOG_WARN(log, kTag, "unknown command '%.*s'; try help", static_cast<int>(line.size()), line.data());
  }
}

void SerialConsole::LogBoardStats() {
  const Lan9118Counters& c = link_.counters();
  const ImageLayout layout = Layout();
  PMU_LOG_INFO(device_.logger(), kStatsTag,
               "board stack_peak=%u stack_size=%u ram_used=%u irqs=%" PRIu32 " mac rx=%" PRIu32 " rx_errors=%" PRIu32
               " rx_oversized=%" PRIu32 " rx_dropped_by_chip=%" PRIu32 " tx=%" PRIu32 " tx_errors=%" PRIu32
               " tx_fifo_full=%" PRIu32,
               static_cast<unsigned>(StackHighWater()), static_cast<unsigned>(layout.stack_top - layout.stack_bottom),
               static_cast<unsigned>(layout.ram_end - layout.ram_start), Lan9118Link::InterruptCount(), c.rx_frames,
               c.rx_errors, c.rx_oversized, link_.ReadRxDropped(), c.tx_frames, c.tx_errors, c.tx_fifo_full);
}

}  // namespace pmu::targets::mps2
