// The short PMU messages of CMD_short: the i-th is exactly "This is PMU data i"
// (i from 1, no terminator, no padding). Over TCP they arrive as one byte stream with
// no delimiter; PmuMessageSplitter cuts that stream back into messages on the prefix.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <cstring>
#include <string_view>

#include "pmu/base/bytes.h"
#include "pmu/base/result.h"

namespace pmu::proto {

inline constexpr std::string_view kPmuMessagePrefix = "This is PMU data ";
// Prefix plus a 32-bit decimal index.
inline constexpr std::size_t kMaxPmuMessageLength = kPmuMessagePrefix.size() + 10;

// Writes message `index` into `out` (at least kMaxPmuMessageLength bytes); returns
// its length.
std::size_t FormatPmuMessage(std::uint32_t index, std::span<char> out);

// Returns the index of a well-formed message, or InvalidArgument.
Result<std::uint32_t> ParsePmuMessage(std::string_view message);

// Splits a byte stream into messages, each starting with kPmuMessagePrefix. A message
// ends where the next prefix begins, or at Finish() (end of stream). Text before the
// first prefix, or a "message" longer than kMaxSegment bytes, is emitted as a segment
// of its own so that the caller sees it (and can reject it) instead of losing it.
class PmuMessageSplitter {
 public:
  static constexpr std::size_t kMaxSegment = 256;

  // `emit` is called with each complete segment; the view is valid only during the
  // call. Works for any split of the stream, down to one byte at a time.
  template <typename Emit>
  void Feed(ByteSpan data, Emit&& emit) {
    for (std::byte b : data) {
      const std::size_t p = kPmuMessagePrefix.size();
      if (size_ == kMaxSegment) {
        // Keep the tail that could be the start of a prefix split across the cut.
        const std::size_t keep = p - 1;
        emit(std::string_view(buffer_, size_ - keep));
        std::memmove(buffer_, buffer_ + size_ - keep, keep);
        size_ = keep;
      }
      buffer_[size_++] = static_cast<char>(b);
      if (size_ > p && std::string_view(buffer_ + size_ - p, p) == kPmuMessagePrefix) {
        emit(std::string_view(buffer_, size_ - p));
        std::memcpy(buffer_, kPmuMessagePrefix.data(), p);
        size_ = p;
      }
    }
  }

  // Emits what remains at the end of the stream (if anything).
  template <typename Emit>
  void Finish(Emit&& emit) {
    if (size_ > 0) emit(std::string_view(buffer_, size_));
    size_ = 0;
  }

 private:
  char buffer_[kMaxSegment] = {};
  std::size_t size_ = 0;
};

}  // namespace pmu::proto
