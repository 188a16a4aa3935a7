#include "pmu/firmware/config_value.h"

namespace pmu::firmware {

bool ParseConfigUnsigned(std::string_view s, std::uint64_t max, std::uint64_t* out) {
  if (s.empty() || s.size() > 20) return false;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    const std::uint64_t d = static_cast<std::uint64_t>(c - '0');
    if (v > (max - d) / 10) return false;
    v = v * 10 + d;
  }
  *out = v;
  return true;
}

const char* ParseConfigRange(std::string_view s, std::uint64_t min, std::uint64_t max, std::uint64_t* out) {
  if (!ParseConfigUnsigned(s, UINT64_MAX, out)) return "must be a whole number";
  if (*out < min || *out > max) return "out of range";
  return nullptr;
}

bool ParseConfigBool(std::string_view s, bool* out) {
  // Each true word, then each false one.
  static constexpr const char* kWords[] = {"true", "yes", "on", "1", "false", "no", "off", "0"};
  for (std::size_t i = 0; i < sizeof(kWords) / sizeof(kWords[0]); ++i) {
    if (s == kWords[i]) {
      *out = i < 4;
      return true;
    }
  }
  return false;
}

}  // namespace pmu::firmware
