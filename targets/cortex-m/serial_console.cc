#include "serial_console.h"

#include "pmu/firmware/config_value.h"
#include "pmu/hal/cortex_m/runtime.h"

namespace pmu::targets {

using hal::cortex_m::Reboot;

constexpr const char* kTag = "console";

SerialConsole* SerialConsole::cutting_ = nullptr;

void SerialConsole::CutPower(std::size_t after_bytes, void*) {
  if (cutting_ != nullptr) {
    PMU_LOG_WARN(cutting_->device_.logger(), "storage", "power cut (rehearsal) after %u bytes: resetting",
                 static_cast<unsigned>(after_bytes));
    cutting_->port_.flush();
  }
  Reboot("power cut rehearsal");
}

void SerialConsole::Poll() {
  char c;
  while (port_.read_byte(&c)) {
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
    port_.log_board_stats(log, port_.context);
    PMU_LOG_INFO(log, "stats", "storage writes=%u bytes=%u", static_cast<unsigned>(port_.storage->writes()),
                 static_cast<unsigned>(port_.storage->bytes()));
    device_.LogStats();
  } else if (line == "reboot") {
    PMU_LOG_INFO(log, kTag, "reboot requested");
    Reboot("console command");
  } else if (line == "fault") {
    PMU_LOG_WARN(log, kTag, "fault requested: executing an undefined instruction");
    port_.flush();
    asm volatile("udf #0");
  } else if (line.substr(0, 4) == "cut ") {
    std::uint64_t bytes = 0;
    if (!firmware::ParseConfigUnsigned(line.substr(4), 1u << 30, &bytes)) {
      PMU_LOG_WARN(log, kTag, "cut: expected a number of bytes");
      return;
    }
    port_.storage->Arm(static_cast<std::size_t>(bytes));
    PMU_LOG_WARN(log, "storage", "power cut rehearsal: power fails after %u more bytes",
                 static_cast<unsigned>(bytes));
  } else if (line == "help") {
    PMU_LOG_INFO(log, kTag, "commands: help, stats, reboot, fault, cut N");
  } else if (!line.empty()) {
    PMU_LOG_WARN(log, kTag, "unknown command '%.*s'; try help", static_cast<int>(line.size()), line.data());
  }
}

}  // namespace pmu::targets
