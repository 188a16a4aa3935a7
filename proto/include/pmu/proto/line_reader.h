// LineReader<N>: collects one line of at most N bytes from a byte stream, for the
// line-oriented services (the command service's single command, the console's lines).
// Feed() consumes bytes up to and including the first line feed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "pmu/base/bytes.h"

namespace pmu::proto {

enum class LineState : std::uint8_t {
  kReading,   // no line feed yet
  kComplete,  // a line feed arrived; text() is the line
  kTooLong,   // more than N bytes arrived without a line feed
};

namespace line_reader_detail {
inline bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'; }
}  // namespace line_reader_detail

template <std::size_t N>
class LineReader {
 public:
  static constexpr std::size_t capacity() { return N; }

  // Returns how many bytes of `data` belong to the line (everything up to and
  // including the line feed); later bytes are the caller's. Once the state is not
  // kReading, consumes nothing until Reset().
  std::size_t Feed(ByteSpan data) {
    std::size_t used = 0;
    while (state_ == LineState::kReading && used < data.size()) {
      const char c = static_cast<char>(data[used]);
      ++used;
      if (c == '\n') {
        state_ = LineState::kComplete;
        break;
      }
      if (size_ == N) {
        state_ = LineState::kTooLong;
        break;
      }
      buffer_[size_++] = c;
    }
    return used;
  }

  LineState state() const { return state_; }
  // Whether any byte has arrived.
  bool started() const { return size_ > 0 || state_ != LineState::kReading; }
  // The line so far, a trailing CR removed and white space trimmed at both ends.
  std::string_view text() const {
    std::string_view s(buffer_, size_);
    while (!s.empty() && line_reader_detail::IsSpace(s.front())) s.remove_prefix(1);
    while (!s.empty() && line_reader_detail::IsSpace(s.back())) s.remove_suffix(1);
    return s;
  }
  void Reset() {
    size_ = 0;
    state_ = LineState::kReading;
  }

 private:
  char buffer_[N] = {};
  std::size_t size_ = 0;
  LineState state_ = LineState::kReading;
};

}  // namespace pmu::proto
