// The device log: time-stamped records kept in a RAM ring (the console's "recent log"
// reads it) and written to the HAL log sink as they happen (a file in the simulator,
// UART0 on the board).
//
// Line format, one record per line:
//   2026-11-22T10:15:30.123456Z INFO  cmd: [192.0.2.1]:40000 CMD_short:0 -> 10 messages
// Context: main loop only; no allocation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "pmu/base/fixed_string.h"
#include "pmu/firmware/device_clock.h"
#include "pmu/hal/log_sink.h"
#include "pmu_target_config.h"

namespace pmu::firmware {

enum class LogLevel : std::uint8_t { kError = 0, kWarn = 1, kInfo = 2, kDebug = 3 };

const char* LogLevelName(LogLevel level);  // "error", "warn", "info", "debug"
bool ParseLogLevel(std::string_view text, LogLevel* level);

struct LogRecord {
  static constexpr std::size_t kTextCapacity = 200;
  std::uint32_t sequence = 0;  // counts every record since boot
  std::int64_t utc_ns = 0;
  LogLevel level = LogLevel::kInfo;
  char module[8] = {};
  FixedString<kTextCapacity> text;
};

// Records kept in RAM (about 240 bytes each): the target's PMU_LOG_RING_RECORDS.

class Logger {
 public:
  static constexpr std::size_t kRingRecords = PMU_LOG_RING_RECORDS;
  // The TLS console shows the recent log; an image without it (PMU_WITH_TLS 0) keeps
  // the ring for the statistics report and the serial console only.
  static_assert(!PMU_WITH_TLS || kRingRecords >= 8, "the console's recent log needs a few records");

  Logger(const DeviceClock& clock, hal::LogSink* sink) : clock_(clock), sink_(sink) {}

  void set_level(LogLevel level) { level_ = level; }
  LogLevel level() const { return level_; }
  bool Enabled(LogLevel level) const { return level <= level_; }

  // Records a message (cut at kTextCapacity characters) when `level` is enabled.
  // `module` is a short tag such as "cmd" (at most 7 characters are kept).
  __attribute__((format(printf, 4, 5))) void Log(LogLevel level, const char* module,
                                                 const char* format, ...);

  // The most recent records, oldest first (at most kRingRecords).
  template <typename Fn>
  void ForEachRecent(std::size_t max, Fn&& fn) const {
    std::size_t n = count_ < kRingRecords ? count_ : kRingRecords;
    if (max < n) n = max;
    for (std::size_t i = count_ - n; i < count_; ++i) fn(ring_[i % kRingRecords]);
  }
  std::uint32_t records_logged() const { return static_cast<std::uint32_t>(count_); }

  // Formats a record as one line (the sink's format).
  static FixedString<LogRecord::kTextCapacity + 64> FormatLine(const LogRecord& record);

 private:
  const DeviceClock& clock_;
  hal::LogSink* sink_;
  LogLevel level_ = LogLevel::kInfo;
  LogRecord ring_[kRingRecords];
  std::size_t count_ = 0;
};

}  // namespace pmu::firmware

#define PMU_LOG_ERROR(logger, module, ...) (logger).Log(::pmu::firmware::LogLevel::kError, module, __VA_ARGS__)
#define PMU_LOG_WARN(logger, module, ...) (logger).Log(::pmu::firmware::LogLevel::kWarn, module, __VA_ARGS__)
#define PMU_LOG_INFO(logger, module, ...) (logger).Log(::pmu::firmware::LogLevel::kInfo, module, __VA_ARGS__)
#define PMU_LOG_DEBUG(logger, module, ...)                                    \
  do {                                                                        \
    if ((logger).Enabled(::pmu::firmware::LogLevel::kDebug))                  \
      (logger).Log(::pmu::firmware::LogLevel::kDebug, module, __VA_ARGS__);   \
  } while (0)
