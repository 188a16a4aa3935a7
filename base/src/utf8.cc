#include "pmu/base/utf8.h"

namespace pmu {

bool Utf8Validator::Feed(ByteSpan data) {
  if (failed_) return false;
  for (const std::byte byte : data) {
    const auto b = std::to_integer<std::uint8_t>(byte);
    if (needed_ == 0) {
      if (b < 0x80) {
        ++code_points_;
        continue;
      }
      // The second byte's range excludes overlong forms (E0, F0), surrogates (ED)
      // and code points above U+10FFFF (F4); C0, C1 and F5..FF never appear.
      if (b >= 0xC2 && b <= 0xDF) {
        needed_ = 1;
      } else if (b >= 0xE0 && b <= 0xEF) {
        needed_ = 2;
        if (b == 0xE0) lower_ = 0xA0;
        if (b == 0xED) upper_ = 0x9F;
      } else if (b >= 0xF0 && b <= 0xF4) {
        needed_ = 3;
        if (b == 0xF0) lower_ = 0x90;
        if (b == 0xF4) upper_ = 0x8F;
      } else {
        failed_ = true;
        return false;
      }
      continue;
    }
    if (b < lower_ || b > upper_) {
      failed_ = true;
      return false;
    }
    lower_ = 0x80;
    upper_ = 0xBF;
    if (--needed_ == 0) ++code_points_;
  }
  return true;
}

Result<std::size_t> Utf8CodePoints(ByteSpan text) {
  Utf8Validator v;
  if (!v.Feed(text) || !v.complete()) return InvalidArgument("invalid UTF-8");
  return v.code_points();
}

bool IsValidUtf8(ByteSpan text) {
  Utf8Validator v;
  return v.Feed(text) && v.complete();
}

}  // namespace pmu
