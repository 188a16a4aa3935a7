#include "pmu/firmware/log.h"

#include <cstdarg>
#include <cstring>

#include "pmu/base/civil_time.h"

namespace pmu::firmware {

const char* LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kError: return "error";
    case LogLevel::kWarn: return "warn";
    case LogLevel::kInfo: return "info";
    case LogLevel::kDebug: return "debug";
  }
  return "?";
}

bool ParseLogLevel(std::string_view text, LogLevel* level) {
  for (LogLevel l : {LogLevel::kError, LogLevel::kWarn, LogLevel::kInfo, LogLevel::kDebug}) {
    if (text == LogLevelName(l)) {
      *level = l;
      return true;
    }
  }
  return false;
}

void Logger::Log(LogLevel level, const char* module, const char* format, ...) {
  if (!Enabled(level)) return;
  LogRecord& r = ring_[count_ % kRingRecords];
  r.sequence = static_cast<std::uint32_t>(count_);
  r.utc_ns = clock_.UtcNs();
  r.level = level;
  std::strncpy(r.module, module, sizeof(r.module) - 1);
  r.module[sizeof(r.module) - 1] = '\0';
  r.text.clear();
  va_list args;
  va_start(args, format);
  r.text.VFormat(format, args);
  va_end(args);
  ++count_;
  if (sink_ != nullptr) sink_->WriteLine(FormatLine(r).view());
}

FixedString<LogRecord::kTextCapacity + 64> Logger::FormatLine(const LogRecord& record) {
  FixedString<LogRecord::kTextCapacity + 64> line;
  static constexpr const char* kTags[] = {"ERROR", "WARN ", "INFO ", "DEBUG"};
  line.Append(FormatIso8601(record.utc_ns, 6).view());
  line.Format(" %s %s: ", kTags[static_cast<int>(record.level)], record.module);
  line.Append(record.text.view());
  if (record.text.truncated()) line.Append("...");
  return line;
}

}  // namespace pmu::firmware
