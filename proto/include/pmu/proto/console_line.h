// The operator console's command lines (docs/PROTOCOL.md "Operator console"): words
// separated by spaces or tabs, printable ASCII only. The first word (or two, for
// "config set" and "cert install") names the command; RestAfter() gives a value that
// may contain spaces (config set KEY VALUE...).
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

#include "pmu/base/result.h"

namespace pmu::proto {

inline constexpr std::size_t kMaxConsoleLine = 512;
inline constexpr std::size_t kMaxConsoleWords = 8;

struct ConsoleLine {
  std::string_view text;  // the whole line, trimmed
  std::array<std::string_view, kMaxConsoleWords> words{};
  std::size_t count = 0;

  std::string_view word(std::size_t i) const { return i < count ? words[i] : std::string_view(); }
  // The rest of the line from word `i` on (empty if there is none), as typed.
  std::string_view RestFrom(std::size_t i) const;
};

// Errors: kInvalidArgument for control characters or non-ASCII bytes, kOutOfRange
// for more than kMaxConsoleWords words or a line over kMaxConsoleLine bytes. An empty
// line is valid (count 0).
Result<ConsoleLine> ParseConsoleLine(std::string_view line);

}  // namespace pmu::proto
