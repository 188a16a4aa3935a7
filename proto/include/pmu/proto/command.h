// The command service's request grammar (docs/PROTOCOL.md "Command service"), shared by the
// device (TCP 5003, TLS 5007, WebSocket 5006) and the PDC.
//
//   command  = "CMD_short:" seconds | "CMD_floodme" [":" bytes] | "CMD_time"
//   seconds  = digits ["." *digit] | "." digits     ; 0 to 10, millisecond resolution
//   bytes    = digits                                ; 1 to the device's maximum
//
// Keywords are case-sensitive. White space around the whole command is ignored; none
// is allowed inside it. Digits after the third decimal place must be 0 (the device
// schedules in milliseconds and does not round silently).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "pmu/base/bytes.h"
#include "pmu/base/result.h"
#include "pmu/proto/line_reader.h"

namespace pmu::proto {

inline constexpr std::size_t kMaxCommandLength = 128;  // bytes before the line end
inline constexpr std::uint32_t kMaxShortDelayMs = 10'000;
inline constexpr std::uint32_t kCommandIdleEndMs = 50;  // silence that ends a bare command

enum class CommandKind : std::uint8_t { kShort, kFloodme, kTime };

struct Command {
  CommandKind kind = CommandKind::kShort;
  std::uint32_t delay_ms = 0;    // kShort
  std::uint64_t size = 0;        // kFloodme: requested size; 0 = the device's default
  friend bool operator==(const Command&, const Command&) = default;
};

// Parses one command (without its line end). The Status message of an error is the
// reason the device puts after "ERROR " in its answer, e.g. "unknown command".
Result<Command> ParseCommand(std::string_view text);

// Writes the command's canonical text ("CMD_short:0.5", "CMD_floodme:1000") into
// `out`; returns the length, or 0 when `out` is too small.
std::size_t FormatCommand(const Command& command, std::span<char> out);

// Collects the bytes of one command from a stream. The service ends a command
// without a line feed after kCommandIdleEndMs of silence or when the peer half-closes.
using CommandReader = LineReader<kMaxCommandLength>;

}  // namespace pmu::proto
