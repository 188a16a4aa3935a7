#include "pmu/proto/pmu_message.h"

#include <cstdio>
#include <cstring>

namespace pmu::proto {

std::size_t FormatPmuMessage(std::uint32_t index, std::span<char> out) {
  const int n = std::snprintf(out.data(), out.size(), "%.*s%lu",
                              static_cast<int>(kPmuMessagePrefix.size()), kPmuMessagePrefix.data(),
                              static_cast<unsigned long>(index));
  if (n < 0 || static_cast<std::size_t>(n) >= out.size()) return 0;
  return static_cast<std::size_t>(n);
}

Result<std::uint32_t> ParsePmuMessage(std::string_view message) {
  if (message.substr(0, kPmuMessagePrefix.size()) != kPmuMessagePrefix) {
    return InvalidArgument("does not start with 'This is PMU data '");
  }
  const std::string_view digits = message.substr(kPmuMessagePrefix.size());
  if (digits.empty() || digits.size() > 10) return InvalidArgument("bad message index");
  if (digits.size() > 1 && digits[0] == '0') return InvalidArgument("bad message index");
  std::uint64_t v = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return InvalidArgument("bad message index");
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  if (v == 0 || v > UINT32_MAX) return InvalidArgument("bad message index");
  return static_cast<std::uint32_t>(v);
}

}  // namespace pmu::proto
