// What a command makes the device send, independent of the transport: the TCP
// command service (5003), and later its TLS and WebSocket twins, all drive one
// CommandJob and only differ in how they frame its messages.
//
// A job is a sequence of messages, each available as bytes (Peek, then Consume once
// the transport has accepted them), with an optional wait before a message starts.
// Messages are produced as the transport drains them: a CMD_floodme message of 1 GiB
// never exists in memory, only the piece being written.
#pragma once

#include <cstdint>
#include <string_view>

#include "pmu/base/bytes.h"
#include "pmu/base/fixed_string.h"
#include "pmu/crypto/sha256.h"
#include "pmu/proto/command.h"
#include "pmu/proto/pmu_message.h"

namespace pmu::firmware {

struct CommandLimits {
  std::uint32_t short_count = 10;
  std::uint64_t floodme_default = 1u << 20;
  std::uint64_t floodme_max = 1ull << 30;
  bool allow_time = false;       // CMD_time is served over TLS only
  bool error_line_feed = true;   // "ERROR ...\n" on byte streams; no LF in a WebSocket message
};

class CommandJob {
 public:
  enum class Outcome : std::uint8_t { kShort, kFloodme, kTime, kError };

  // Prepares the answer to `text` (a command without its line end). `now_ms` is the
  // monotonic time, `utc_ns` the device's UTC (for CMD_time).
  void Start(std::string_view text, const CommandLimits& limits, std::uint64_t now_ms,
             std::int64_t utc_ns);
  // Prepares an "ERROR <reason>" answer without parsing (too long, busy...). The
  // reason is copied: it may be gone once this returns.
  void StartError(std::string_view reason, const CommandLimits& limits);

  bool done() const { return done_; }
  Outcome outcome() const { return outcome_; }
  const proto::Command& command() const { return command_; }
  // The reason of an error answer (a view into the answer, valid until the next Start).
  std::string_view error_reason() const;

  // Milliseconds until the current message may be sent (0: now).
  std::uint64_t WaitMs(std::uint64_t now_ms) const {
    return ready_at_ms_ > now_ms ? ready_at_ms_ - now_ms : 0;
  }
  std::uint64_t message_length() const { return message_length_; }
  std::uint64_t message_remaining() const { return message_length_ - message_offset_; }
  bool at_message_start() const { return message_offset_ == 0; }
  // Whether a pause follows the current message (the transport should push it out
  // now rather than coalesce it with the next one).
  bool pause_after_message() const;

  // Copies the next bytes of the current message into `out` without consuming them;
  // returns how many (at most out.size()).
  std::size_t Peek(MutableByteSpan out) const;
  // Consumes the first written.size() bytes of the current message, which the
  // transport has accepted; they must be what Peek returned.
  void Consume(ByteSpan written, std::uint64_t now_ms);

  std::uint32_t messages_completed() const { return messages_completed_; }
  std::uint64_t bytes_consumed() const { return bytes_consumed_; }
  // SHA-256 of a completed CMD_floodme message.
  const crypto::Sha256::Digest& floodme_digest() const { return digest_; }

 private:
  void BeginMessage(std::uint64_t length);
  void NextShortMessage();

  proto::Command command_{};
  Outcome outcome_ = Outcome::kError;
  CommandLimits limits_{};
  bool done_ = true;

  std::uint64_t message_length_ = 0;
  std::uint64_t message_offset_ = 0;
  std::uint64_t ready_at_ms_ = 0;
  std::uint32_t messages_completed_ = 0;
  std::uint64_t bytes_consumed_ = 0;

  // Text of the current small message (short, error, time); floodme is generated.
  FixedString<proto::kMaxPmuMessageLength + 96> text_;
  crypto::Sha256 sha_;
  crypto::Sha256::Digest digest_{};
};

}  // namespace pmu::firmware
