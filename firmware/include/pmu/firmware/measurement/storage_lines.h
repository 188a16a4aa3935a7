// Lines of text read out of a hal::Storage through the caller's buffer: how the
// playback front ends read a record or a scenario out of a board's playback area (or
// the simulator's file in memory) without holding it.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "pmu/base/status.h"
#include "pmu/hal/storage.h"

namespace pmu::firmware {

class StorageLines {
 public:
  // Lines of store[begin, end); `buffer` bounds the longest line.
  StorageLines(hal::Storage& store, std::uint64_t begin, std::uint64_t end, std::span<char> buffer)
      : store_(store), offset_(begin), end_(end), buffer_(buffer) {}

  // The next line without its end (CR, LF or CR LF) in `line`, valid until the next
  // call; `at_end` at the end of the text: `end`, or a NUL or 0xFF byte where a line
  // would start (the unwritten rest of a storage area). ResourceExhausted for a line
  // longer than the buffer; the store's errors.
  Status Next(std::string_view& line, bool& at_end);
  // Where the next line starts.
  std::uint64_t offset() const { return offset_; }

 private:
  hal::Storage& store_;
  std::uint64_t offset_;
  std::uint64_t end_;
  std::span<char> buffer_;
};

}  // namespace pmu::firmware
