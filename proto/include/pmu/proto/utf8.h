// UTF-8 validation (RFC 3629: no overlong forms, no surrogates, nothing above
// U+10FFFF), whole-buffer or incremental across pieces.
#pragma once

#include <cstddef>
#include <cstdint>

#include "pmu/base/bytes.h"
#include "pmu/base/result.h"

namespace pmu::proto {

// Incremental validator: feed pieces in order; a code point may be split across them.
class Utf8Validator {
 public:
  // Returns false at the first invalid byte (and stays invalid).
  bool Feed(ByteSpan bytes);
  // Whether everything fed so far is valid and no code point is left unfinished.
  bool complete() const { return valid_ && need_ == 0; }
  bool valid() const { return valid_; }
  // Code points completed so far.
  std::size_t code_points() const { return code_points_; }
  void Reset() { *this = Utf8Validator(); }

 private:
  bool valid_ = true;
  std::uint8_t need_ = 0;       // continuation bytes still expected
  std::uint8_t lower_ = 0x80;   // allowed range of the next continuation byte
  std::uint8_t upper_ = 0xBF;
  std::size_t code_points_ = 0;
};

// Validates a whole buffer; returns its number of code points (characters).
Result<std::size_t> Utf8CodePoints(ByteSpan bytes);

}  // namespace pmu::proto
