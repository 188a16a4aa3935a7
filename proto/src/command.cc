#include "pmu/proto/command.h"

#include <cstdio>
#include <cstring>

namespace pmu::proto {
namespace {

constexpr std::string_view kShort = "CMD_short:";
constexpr std::string_view kFloodme = "CMD_floodme";
constexpr std::string_view kTime = "CMD_time";

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

constexpr Status kBadDelay = InvalidArgument("bad delay: expected seconds from 0 to 10");
constexpr Status kBadSize = InvalidArgument("bad size: expected a whole number of bytes");

Result<std::uint32_t> ParseDelayMs(std::string_view s) {
  std::uint64_t whole = 0;
  std::size_t i = 0, int_digits = 0;
  while (i < s.size() && IsDigit(s[i])) {
    whole = whole * 10 + static_cast<unsigned>(s[i] - '0');
    if (whole > 10) return OutOfRange("bad delay: expected seconds from 0 to 10");
    ++i;
    ++int_digits;
  }
  std::uint64_t frac_ms = 0;
  std::size_t frac_digits = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && IsDigit(s[i])) {
      const unsigned d = static_cast<unsigned>(s[i] - '0');
      if (frac_digits < 3) {
        frac_ms = frac_ms * 10 + d;
      } else if (d != 0) {
        return InvalidArgument("bad delay: at most millisecond resolution");
      }
      ++frac_digits;
      ++i;
    }
    if (int_digits == 0 && frac_digits == 0) return kBadDelay;
    while (frac_digits < 3) {
      frac_ms *= 10;
      ++frac_digits;
    }
  } else if (int_digits == 0) {
    return kBadDelay;
  }
  if (i != s.size()) return kBadDelay;
  const std::uint64_t ms = whole * 1000 + frac_ms;
  if (ms > kMaxShortDelayMs) return OutOfRange("bad delay: expected seconds from 0 to 10");
  return static_cast<std::uint32_t>(ms);
}

// A number past 64 bits saturates: it is above every device's CMD_floodme limit, and
// the device answers it as it answers any size above its limit.
Result<std::uint64_t> ParseSize(std::string_view s) {
  if (s.empty()) return kBadSize;
  std::uint64_t v = 0;
  for (char c : s) {
    if (!IsDigit(c)) return kBadSize;
    const auto digit = static_cast<unsigned>(c - '0');
    v = v > (UINT64_MAX - digit) / 10 ? UINT64_MAX : v * 10 + digit;
  }
  if (v == 0) return OutOfRange("bad size: must be at least 1 byte");
  return v;
}

}  // namespace

Result<Command> ParseCommand(std::string_view text) {
  text = Trim(text);
  if (text.empty()) return InvalidArgument("empty command");
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u > 0x7E) return InvalidArgument("command is not printable ASCII text");
  }
  Command cmd;
  if (text.substr(0, kShort.size()) == kShort) {
    auto delay = ParseDelayMs(text.substr(kShort.size()));
    if (!delay.ok()) return delay.status();
    cmd.kind = CommandKind::kShort;
    cmd.delay_ms = *delay;
    return cmd;
  }
  if (text.substr(0, kFloodme.size()) == kFloodme) {
    const std::string_view rest = text.substr(kFloodme.size());
    cmd.kind = CommandKind::kFloodme;
    if (rest.empty()) return cmd;
    if (rest.front() != ':') return InvalidArgument("unknown command");
    auto size = ParseSize(rest.substr(1));
    if (!size.ok()) return size.status();
    cmd.size = *size;
    return cmd;
  }
  if (text == kTime) {
    cmd.kind = CommandKind::kTime;
    return cmd;
  }
  if (text == "CMD_short") return kBadDelay;
  return InvalidArgument("unknown command");
}

std::size_t FormatCommand(const Command& command, std::span<char> out) {
  int n = 0;
  switch (command.kind) {
    case CommandKind::kShort: {
      const unsigned s = command.delay_ms / 1000, ms = command.delay_ms % 1000;
      n = ms == 0 ? std::snprintf(out.data(), out.size(), "CMD_short:%u", s)
                  : std::snprintf(out.data(), out.size(), "CMD_short:%u.%03u", s, ms);
      break;
    }
    case CommandKind::kFloodme:
      n = command.size == 0
              ? std::snprintf(out.data(), out.size(), "CMD_floodme")
              : std::snprintf(out.data(), out.size(), "CMD_floodme:%llu",
                              static_cast<unsigned long long>(command.size));
      break;
    case CommandKind::kTime:
      n = std::snprintf(out.data(), out.size(), "CMD_time");
      break;
  }
  if (n < 0 || static_cast<std::size_t>(n) >= out.size()) return 0;
  return static_cast<std::size_t>(n);
}

}  // namespace pmu::proto
