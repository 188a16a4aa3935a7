// What every configuration key shares: the text of a value, the error a refused value
// gives, and the grammar of numbers and booleans. Below the key tables (config.cc for
// the device's keys, config_measurement.cc for c37.* and waveform.*), so neither needs
// the other.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "pmu/base/fixed_string.h"

namespace pmu::firmware {

// Long enough for the longest value any key accepts (tls.allowed_clients), so every
// configuration shows and saves as text that parses back to the same values.
inline constexpr std::size_t kMaxConfigValueChars = 200;

using ConfigValueText = FixedString<kMaxConfigValueChars>;

// What is wrong, and where. `key` is the configuration key (nullptr for an unknown key
// or a line that is not "key = value"); `reason` says why; `line` is the 1-based line
// of a text input (0 when not from text). `key` and `reason` are static; `input` is what
// was given (the refused value, the unknown key, the line that is not "key = value";
// empty for a rule between fields), a view into the caller's text.
struct ConfigError {
  constexpr ConfigError() = default;
  constexpr ConfigError(const char* key_, const char* reason_, unsigned line_ = 0, std::string_view input_ = {})
      : key(key_), reason(reason_), line(line_), input(input_) {}

  const char* key = nullptr;
  const char* reason = nullptr;
  unsigned line = 0;
  std::string_view input;
  bool ok() const { return reason == nullptr; }
};

// A decimal integer up to `max`.
bool ParseConfigUnsigned(std::string_view s, std::uint64_t max, std::uint64_t* out);
// A decimal integer from `min` to `max`: nullptr, or why not ("must be a whole
// number", "out of range"). One function for every numeric key (flash on the board).
const char* ParseConfigRange(std::string_view s, std::uint64_t min, std::uint64_t max, std::uint64_t* out);
// true/yes/on/1 or false/no/off/0.
bool ParseConfigBool(std::string_view s, bool* out);

}  // namespace pmu::firmware
