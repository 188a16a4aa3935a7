// Where device log lines go besides the RAM ring: a file in the simulator, UART0 on
// the board. Called from the main loop with one complete line (no line feed).
#pragma once

#include <string_view>

namespace pmu::hal {

class LogSink {
 public:
  virtual ~LogSink() = default;
  virtual void WriteLine(std::string_view line) = 0;
};

}  // namespace pmu::hal
