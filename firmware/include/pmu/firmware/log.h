// The device log: time-stamped records kept in a RAM ring (the console's "recent log"
// reads it) and written to the HAL log sink as they happen (a file in the simulator,
// UART0 on the board).
//
// Line format, one record per line:
//   2026-11-22T10:15:30.123456Z INFO  cmd: [192.0.2.1]:40000 CMD_short:0 -> 10 messages
//
// Most records are caused by peers (a datagram, a command, a refused connection), so
// a flood would otherwise become a flood of log: every module (the record's tag) may
// write kBurst records at once and kPerSecond a second after that. What is held back
// is counted and said in one record once the module is quiet again:
//   ... WARN  sink: 41210 messages suppressed (more than 20 a second)
// The statistics report and the console's audit trail (what an authenticated operator
// did), which only the operator causes, are never held back.
// Context: main loop only; no allocation.
#pragma once

#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "pmu/base/fixed_string.h"
#include "pmu/base/report.h"
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

// A token bucket per module: kBurst records at once, then kPerSecond a second. The
// first kModules modules seen have a bucket each; any later one shares the last.
class LogRateLimit {
 public:
  static constexpr std::uint32_t kBurst = 40;
  static constexpr std::uint32_t kPerSecond = 20;
  static constexpr std::size_t kModules = 16;

  // Whether a record of `module` may be written at `now_ms`; counts it if not.
  bool Admit(const char* module, std::uint64_t now_ms);

  // A module whose held-back records are due to be reported (it has had a quiet
  // second since the last one it held back): its tag and count, which it forgets.
  // False when none is due.
  bool TakeDue(std::uint64_t now_ms, char (&module)[8], std::uint32_t* count);

  // Records held back since boot, over every module.
  std::uint64_t suppressed_total() const { return suppressed_total_; }

 private:
  // Times are the monotonic milliseconds' low 32 bits: differences stay right across
  // their wrap (49 days), and a bucket is 24 bytes.
  struct Bucket {
    char module[8];
    std::uint32_t milli_tokens;  // a thousandth of a record
    std::uint32_t refilled_ms;
    std::uint32_t last_refused_ms;
    std::uint32_t suppressed;  // not yet reported
  };
  Bucket* Find(const char* module, std::uint32_t now_ms);
  static void Refill(Bucket& b, std::uint32_t now_ms);

  Bucket buckets_[kModules] = {};
  std::size_t used_ = 0;
  std::uint64_t suppressed_total_ = 0;
};

class Logger final : public StatsReporter {
 public:
  static constexpr std::size_t kRingRecords = PMU_LOG_RING_RECORDS;
  // The TLS console shows the recent log; an image without it (PMU_WITH_TLS 0) keeps
  // the ring for the statistics report and the serial console only.
  static_assert(!PMU_WITH_TLS || kRingRecords >= 8, "the console's recent log needs a few records");

  Logger(const DeviceClock& clock, hal::LogSink* sink) : clock_(clock), sink_(sink) {}

  void set_level(LogLevel level) { level_ = level; }
  LogLevel level() const { return level_; }
  bool Enabled(LogLevel level) const { return level <= level_; }

  // Records a message (cut at kTextCapacity characters) when `level` is enabled and
  // `module`'s rate allows. `module` is a short tag such as "cmd" (at most 7 characters
  // are kept).
  __attribute__((format(printf, 4, 5))) void Log(LogLevel level, const char* module,
                                                 const char* format, ...);

  // The same, never held back: for what the operator caused (the statistics report,
  // the console's audit trail).
  __attribute__((format(printf, 4, 5))) void LogRequested(LogLevel level, const char* module,
                                                          const char* format, ...);

  // Says what modules held back once they are quiet again ("N messages suppressed").
  // From the main loop.
  void Poll();

  std::uint64_t records_suppressed() const { return limit_.suppressed_total(); }

  // "log records=N suppressed=M": a part of the statistics report.
  bool StatsLine(std::size_t index, ReportLine& line) const override;

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
  void Write(LogLevel level, const char* module, const char* format, va_list args);
  void WriteSuppressed(const char* module, std::uint32_t count);

  const DeviceClock& clock_;
  hal::LogSink* sink_;
  LogLevel level_ = LogLevel::kInfo;
  LogRateLimit limit_;
  LogRecord ring_[kRingRecords];
  std::size_t count_ = 0;
};

}  // namespace pmu::firmware

#define PMU_LOG_ERROR(logger, module, ...) (logger).Log(::pmu::firmware::LogLevel::kError, module, __VA_ARGS__)
#define PMU_LOG_WARN(logger, module, ...) (logger).Log(::pmu::firmware::LogLevel::kWarn, module, __VA_ARGS__)
#define PMU_LOG_INFO(logger, module, ...) (logger).Log(::pmu::firmware::LogLevel::kInfo, module, __VA_ARGS__)
// What an authenticated operator did (the console's audit trail): never held back.
#define PMU_LOG_AUDIT(logger, level, module, ...) \
  (logger).LogRequested(::pmu::firmware::LogLevel::level, module, __VA_ARGS__)
#define PMU_LOG_DEBUG(logger, module, ...)                                    \
  do {                                                                        \
    if ((logger).Enabled(::pmu::firmware::LogLevel::kDebug))                  \
      (logger).Log(::pmu::firmware::LogLevel::kDebug, module, __VA_ARGS__);   \
  } while (0)
