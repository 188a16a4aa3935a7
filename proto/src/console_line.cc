#include "pmu/proto/console_line.h"

namespace pmu::proto {
namespace {
bool IsBlank(char c) { return c == ' ' || c == '\t'; }
}  // namespace

std::string_view ConsoleLine::RestFrom(std::size_t i) const {
  if (i >= count) return {};
  const std::size_t start = static_cast<std::size_t>(words[i].data() - text.data());
  return text.substr(start);
}

Result<ConsoleLine> ParseConsoleLine(std::string_view line) {
  if (line.size() > kMaxConsoleLine) return OutOfRange("line too long");
  while (!line.empty() && (IsBlank(line.front()) || line.front() == '\r')) line.remove_prefix(1);
  while (!line.empty() && (IsBlank(line.back()) || line.back() == '\r')) line.remove_suffix(1);
  ConsoleLine out;
  out.text = line;
  std::size_t i = 0;
  while (i < line.size()) {
    if (IsBlank(line[i])) {
      ++i;
      continue;
    }
    const std::size_t start = i;
    while (i < line.size() && !IsBlank(line[i])) {
      const auto c = static_cast<unsigned char>(line[i]);
      if (c < 0x20 || c > 0x7E) return InvalidArgument("line is not printable ASCII text");
      ++i;
    }
    if (out.count == kMaxConsoleWords) return OutOfRange("too many words");
    out.words[out.count++] = line.substr(start, i - start);
  }
  return out;
}

}  // namespace pmu::proto
