// UTF-8 validation (RFC 3629) that works on a stream cut anywhere, including inside a
// code point: WebSocket text messages arrive in frames and pieces of frames, and the
// bulletin channel carries UTF-8 text too.
//
// Well-formed means: no overlong forms, no UTF-16 surrogates (U+D800..U+DFFF), nothing
// above U+10FFFF, no stray continuation bytes. The validator reports the first bad
// byte as soon as it arrives (it does not wait for the rest of the sequence).
#pragma once

#include <cstddef>
#include <cstdint>

#include "pmu/base/bytes.h"
#include "pmu/base/result.h"

namespace pmu {

class Utf8Validator {
 public:
  // Checks the next bytes of the text. Returns false if the text so far cannot be
  // the start of well-formed UTF-8; once false, the validator stays failed until
  // Reset().
  bool Feed(ByteSpan data);

  // True when nothing failed and the text so far ends on a code point boundary (a
  // complete text must; a piece of one may end inside a sequence).
  bool complete() const { return !failed_ && needed_ == 0; }
  bool failed() const { return failed_; }
  // Code points completed so far (characters, as the bulletin channel counts them).
  std::size_t code_points() const { return code_points_; }

  void Reset() { *this = Utf8Validator(); }

 private:
  std::uint8_t needed_ = 0;  // continuation bytes still expected
  std::uint8_t lower_ = 0x80;  // range of the next continuation byte
  std::uint8_t upper_ = 0xBF;
  bool failed_ = false;
  std::size_t code_points_ = 0;
};

// Whether `text` is complete, well-formed UTF-8.
bool IsValidUtf8(ByteSpan text);

// The number of code points of complete, well-formed UTF-8 text, or InvalidArgument.
Result<std::size_t> Utf8CodePoints(ByteSpan text);

}  // namespace pmu
