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

LogRateLimit::Bucket* LogRateLimit::Find(const char* module, std::uint32_t now_ms) {
  for (std::size_t i = 0; i < used_; ++i) {
    if (std::strncmp(buckets_[i].module, module, sizeof(buckets_[i].module) - 1) == 0) return &buckets_[i];
  }
  if (used_ == kModules) return &buckets_[kModules - 1];
  Bucket& b = buckets_[used_++];
  std::strncpy(b.module, module, sizeof(b.module) - 1);
  b.module[sizeof(b.module) - 1] = '\0';
  b.milli_tokens = kBurst * 1000;
  b.refilled_ms = now_ms;
  return &b;
}

void LogRateLimit::Refill(Bucket& b, std::uint32_t now_ms) {
  const std::uint32_t elapsed = now_ms - b.refilled_ms;
  const std::uint64_t tokens = b.milli_tokens + std::uint64_t{elapsed} * kPerSecond;
  b.milli_tokens = static_cast<std::uint32_t>(tokens < kBurst * 1000 ? tokens : kBurst * 1000);
  b.refilled_ms = now_ms;
}

bool LogRateLimit::Admit(const char* module, std::uint64_t now) {
  const auto now_ms = static_cast<std::uint32_t>(now);
  Bucket& b = *Find(module, now_ms);
  Refill(b, now_ms);
  if (b.milli_tokens >= 1000) {
    b.milli_tokens -= 1000;
    return true;
  }
  ++b.suppressed;
  ++suppressed_total_;
  b.last_refused_ms = now_ms;
  return false;
}

bool LogRateLimit::TakeDue(std::uint64_t now, char (&module)[8], std::uint32_t* count) {
  const auto now_ms = static_cast<std::uint32_t>(now);
  for (std::size_t i = 0; i < used_; ++i) {
    Bucket& b = buckets_[i];
    if (b.suppressed == 0 || now_ms - b.last_refused_ms < 1000) continue;
    std::memcpy(module, b.module, sizeof(module));
    *count = b.suppressed;
    b.suppressed = 0;
    return true;
  }
  return false;
}

void Logger::Log(LogLevel level, const char* module, const char* format, ...) {
  if (!Enabled(level) || !limit_.Admit(module, clock_.MonotonicMs())) return;
  va_list args;
  va_start(args, format);
  Write(level, module, format, args);
  va_end(args);
}

void Logger::LogRequested(LogLevel level, const char* module, const char* format, ...) {
  if (!Enabled(level)) return;
  va_list args;
  va_start(args, format);
  Write(level, module, format, args);
  va_end(args);
}

void Logger::Poll() {
  char module[8];
  std::uint32_t count = 0;
  while (limit_.TakeDue(clock_.MonotonicMs(), module, &count)) WriteSuppressed(module, count);
}

bool Logger::StatsLine(std::size_t index, ReportLine& line) const {
  if (index != 0) return false;
  line.Format("log records=%lu suppressed=%llu", static_cast<unsigned long>(count_),
              static_cast<unsigned long long>(limit_.suppressed_total()));
  return true;
}

void Logger::WriteSuppressed(const char* module, std::uint32_t count) {
  LogRequested(LogLevel::kWarn, module, "%lu messages suppressed (more than %u a second)",
               static_cast<unsigned long>(count), static_cast<unsigned>(LogRateLimit::kPerSecond));
}

void Logger::Write(LogLevel level, const char* module, const char* format, va_list args) {
  LogRecord& r = ring_[count_ % kRingRecords];
  r.sequence = static_cast<std::uint32_t>(count_);
  r.utc_ns = clock_.UtcNs();
  r.level = level;
  std::strncpy(r.module, module, sizeof(r.module) - 1);
  r.module[sizeof(r.module) - 1] = '\0';
  r.text.clear();
  r.text.VFormat(format, args);
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
