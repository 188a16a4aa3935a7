// Bulletin channel datagrams (docs/PROTOCOL.md "Bulletin channel", UDP 5005 multicast):
// a 6-byte source identifier (printable ASCII, space-padded on the left, e.g.
// " 12345" or "PMU001"), then UTF-8 text.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

#include "pmu/base/bytes.h"
#include "pmu/base/result.h"

namespace pmu::proto {

inline constexpr std::size_t kBulletinIdLength = 6;
// Subscriber texts longer than this many characters draw the device's answer.
inline constexpr std::size_t kBulletinTextLimit = 300;
// The largest datagram the device reads; longer ones are dropped as oversized
// (300 characters of 4-byte UTF-8 plus the identifier fit easily).
inline constexpr std::size_t kMaxBulletinDatagram = 2048;

struct BulletinDatagram {
  std::string_view id;      // the 6 identifier bytes as sent (with their padding)
  std::string_view text;    // views into the caller's datagram
  std::size_t characters;   // code points in text
};

// Errors: too short (< 6 bytes), identifier not printable ASCII or all spaces, text not
// valid UTF-8, oversized.
Result<BulletinDatagram> ParseBulletin(ByteSpan datagram);

// The identifier with its left padding removed ("PMU001", "12345").
std::string_view TrimBulletinId(std::string_view id);

// Whether `id` (1 to 6 characters) can be an identifier: printable ASCII, no space.
bool IsValidBulletinId(std::string_view id);

// Writes the identifier left-padded to 6 bytes, then the text; returns the length, or
// 0 when `out` is too small or the identifier is invalid.
std::size_t FormatBulletin(std::string_view id, std::string_view text, std::span<char> out);

}  // namespace pmu::proto
