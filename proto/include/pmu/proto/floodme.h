// The content of CMD_floodme: deterministic text that either end can produce from any
// offset, so the device streams it as its send buffer drains (it never holds the whole
// message) and a client can check every byte, not only the digest.
//
// The text is a sequence of 64-byte lines; line k (from 0) is
//   "floodme " + k as 10 decimal digits + " " + 44 characters + "\n"
// where the 44 characters are the alphabet A-Z a-z 0-9 (62 characters) read
// cyclically from position k mod 62. A message of N bytes is the first N bytes of
// this sequence (so its last line may be cut short).
#pragma once

#include <cstddef>
#include <cstdint>

#include "pmu/base/bytes.h"

namespace pmu::proto {

inline constexpr std::size_t kFloodmeLineLength = 64;
inline constexpr std::uint64_t kFloodmeDefaultSize = 1u << 20;  // 1 MiB

// Writes bytes [offset, offset + out.size()) of the floodme text into `out`.
void FloodmeFill(std::uint64_t offset, MutableByteSpan out);

// Returns the offset of the first byte of `data` that differs from the floodme text
// starting at `offset`, or data.size() when all match.
std::size_t FloodmeMismatch(std::uint64_t offset, ByteSpan data);

}  // namespace pmu::proto
