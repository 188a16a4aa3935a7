#include "pmu/proto/utf8.h"

namespace pmu::proto {

bool Utf8Validator::Feed(ByteSpan bytes) {
  for (std::byte b : bytes) {
    if (!valid_) return false;
    const auto c = std::to_integer<std::uint8_t>(b);
    if (need_ == 0) {
      // Lead byte: the ranges of RFC 3629 section 4 decide the next byte's range.
      lower_ = 0x80;
      upper_ = 0xBF;
      if (c <= 0x7F) {
        ++code_points_;
      } else if (c >= 0xC2 && c <= 0xDF) {
        need_ = 1;
      } else if (c >= 0xE0 && c <= 0xEF) {
        need_ = 2;
        if (c == 0xE0) lower_ = 0xA0;  // no overlong 3-byte forms
        if (c == 0xED) upper_ = 0x9F;  // no surrogates
      } else if (c >= 0xF0 && c <= 0xF4) {
        need_ = 3;
        if (c == 0xF0) lower_ = 0x90;  // no overlong 4-byte forms
        if (c == 0xF4) upper_ = 0x8F;  // nothing above U+10FFFF
      } else {
        valid_ = false;
      }
    } else {
      if (c < lower_ || c > upper_) {
        valid_ = false;
      } else {
        lower_ = 0x80;
        upper_ = 0xBF;
        if (--need_ == 0) ++code_points_;
      }
    }
  }
  return valid_;
}

Result<std::size_t> Utf8CodePoints(ByteSpan bytes) {
  Utf8Validator v;
  if (!v.Feed(bytes) || !v.complete()) return InvalidArgument("invalid UTF-8");
  return v.code_points();
}

}  // namespace pmu::proto
