#include "pmu/proto/reset.h"

#include <cinttypes>
#include <cstdio>

namespace pmu::proto {
namespace {

constexpr std::string_view kReset = "RESET:";
constexpr std::string_view kId = ";id=";
constexpr std::string_view kOffset = "OFFSET=";

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view TrimRight(std::string_view s) {
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

// Whole number of at most 10 digits.
Result<std::uint64_t> ParseDigits(std::string_view s) {
  if (s.empty()) return InvalidArgument("expected a whole number of seconds");
  if (s.size() > 10) return OutOfRange("number too large");
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return InvalidArgument("expected a whole number of seconds");
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  return v;
}

}  // namespace

bool IsValidResetToken(std::string_view token) {
  if (token.empty() || token.size() > kMaxResetTokenLength) return false;
  for (char c : token) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                    c == '_' || c == '.' || c == '~';
    if (!ok) return false;
  }
  return true;
}

Result<ResetRequest> ParseResetRequest(ByteSpan datagram) {
  if (datagram.size() > kMaxResetDatagram) return OutOfRange("oversized reset datagram");
  std::string_view text = TrimRight(AsText(datagram));
  if (text.substr(0, kReset.size()) != kReset) return InvalidArgument("not a RESET request");
  text.remove_prefix(kReset.size());
  ResetRequest r;
  const std::size_t semi = text.find(';');
  const std::string_view number = text.substr(0, semi);
  auto n = ParseDigits(number);
  if (!n.ok()) return n.status();
  if (*n > kMaxResetSeconds) return OutOfRange("seconds above 86400");
  r.seconds = static_cast<std::uint32_t>(*n);
  if (semi != std::string_view::npos) {
    const std::string_view rest = text.substr(semi);
    if (rest.substr(0, kId.size()) != kId) return InvalidArgument("expected ';id=' after the seconds");
    r.token = rest.substr(kId.size());
    if (!IsValidResetToken(r.token)) return InvalidArgument("bad request identifier");
  }
  return r;
}

std::size_t FormatResetRequest(const ResetRequest& request, std::span<char> out) {
  if (request.seconds > kMaxResetSeconds) return 0;
  if (!request.token.empty() && !IsValidResetToken(request.token)) return 0;
  const int n = request.token.empty()
                    ? std::snprintf(out.data(), out.size(), "RESET:%" PRIu32, request.seconds)
                    : std::snprintf(out.data(), out.size(), "RESET:%" PRIu32 ";id=%.*s", request.seconds,
                                    static_cast<int>(request.token.size()), request.token.data());
  if (n < 0 || static_cast<std::size_t>(n) >= out.size()) return 0;
  return static_cast<std::size_t>(n);
}

Result<std::uint32_t> ParseResetAnswer(ByteSpan datagram) {
  std::string_view text = TrimRight(AsText(datagram));
  if (text.substr(0, kOffset.size()) != kOffset) return InvalidArgument("not an OFFSET answer");
  auto n = ParseDigits(text.substr(kOffset.size()));
  if (!n.ok()) return n.status();
  if (*n > kMaxResetSeconds) return OutOfRange("offset above 86400");
  return static_cast<std::uint32_t>(*n);
}

std::size_t FormatResetAnswer(std::uint32_t offset, std::span<char> out) {
  const int n = std::snprintf(out.data(), out.size(), "OFFSET=%" PRIu32, offset);
  if (n < 0 || static_cast<std::size_t>(n) >= out.size()) return 0;
  return static_cast<std::size_t>(n);
}

}  // namespace pmu::proto
