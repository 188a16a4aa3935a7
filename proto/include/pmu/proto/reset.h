// The clock reset service's datagrams (docs/PROTOCOL.md "Clock reset service", UDP 5004).
//
//   request = "RESET:" seconds [";id=" token] [trailing white space]
//   seconds = 1*5DIGIT, 0 to 86400 (no sign, no leading '+')
//   token   = 1 to 64 characters of A-Z a-z 0-9 '-' '_' '.' '~'
//   answer  = "OFFSET=" seconds
//
// Trailing white space (a line feed from `echo RESET:5 | nc -u`) is ignored; anything
// else is an error value the service logs and ignores.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "pmu/base/bytes.h"
#include "pmu/base/result.h"

namespace pmu::proto {

inline constexpr std::uint32_t kMaxResetSeconds = 86400;
inline constexpr std::size_t kMaxResetTokenLength = 64;
// Longest valid request plus generous trailing white space; a longer datagram is
// refused as oversized before it is parsed.
inline constexpr std::size_t kMaxResetDatagram = 128;

struct ResetRequest {
  std::uint32_t seconds = 0;
  // The request identifier; empty when none. A view into the parsed datagram.
  std::string_view token;
};

Result<ResetRequest> ParseResetRequest(ByteSpan datagram);
// Writes "RESET:n" or "RESET:n;id=token"; returns the length, 0 if `out` is too small
// or the request is not valid.
std::size_t FormatResetRequest(const ResetRequest& request, std::span<char> out);

Result<std::uint32_t> ParseResetAnswer(ByteSpan datagram);  // "OFFSET=X"
std::size_t FormatResetAnswer(std::uint32_t offset, std::span<char> out);

bool IsValidResetToken(std::string_view token);

}  // namespace pmu::proto
