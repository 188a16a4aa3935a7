#include "pmu/hal/cortex_m/format.h"

#include <cmath>
#include <cstdint>

namespace pmu::hal::cortex_m {
namespace {

class Sink {
 public:
  Sink(char* out, std::size_t size) : out_(out), size_(size) {}
  void Put(char c) {
    if (length_ + 1 < size_) out_[length_] = c;
    ++length_;
  }
  void Repeat(char c, int n) {
    for (int i = 0; i < n; ++i) Put(c);
  }
  int Finish() {
    if (size_ > 0) out_[length_ < size_ ? length_ : size_ - 1] = '\0';
    return static_cast<int>(length_);
  }

 private:
  char* out_;
  std::size_t size_;
  std::size_t length_ = 0;
};

struct Spec {
  bool left = false, plus = false, space = false, alt = false, zero = false;
  int width = 0;
  int precision = -1;  // -1: none
};

enum class Length { kNone, kHh, kH, kL, kLl, kJ, kZ, kT };

void Pad(Sink& sink, const Spec& spec, int body, bool right_side) {
  if (spec.width > body && spec.left == right_side) sink.Repeat(' ', spec.width - body);
}

void Integer(Sink& sink, Spec spec, std::uintmax_t magnitude, bool negative, unsigned base, bool upper,
             bool is_signed, bool pointer) {
  char digits[24];
  int n = 0;
  const char* set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  for (std::uintmax_t v = magnitude; v != 0; v /= base) digits[n++] = set[v % base];
  // Precision: the minimum number of digits (0 with value 0 prints no digit).
  int min_digits = spec.precision >= 0 ? spec.precision : 1;
  if (spec.precision >= 0) spec.zero = false;
  // '#' for octal: the first digit must be 0.
  if (base == 8 && spec.alt && min_digits <= n && (n == 0 || digits[n - 1] != '0')) min_digits = n + 1;
  const int zeros_for_precision = min_digits > n ? min_digits - n : 0;
  char sign = 0;
  if (is_signed) sign = negative ? '-' : spec.plus ? '+' : spec.space ? ' ' : 0;
  const bool hex_prefix = base == 16 && (pointer || (spec.alt && magnitude != 0));
  const int prefix = (sign ? 1 : 0) + (hex_prefix ? 2 : 0);
  int body = prefix + zeros_for_precision + n;
  int zero_fill = 0;
  if (spec.zero && !spec.left && spec.width > body) {
    zero_fill = spec.width - body;
    body = spec.width;
  }
  Pad(sink, spec, body, false);
  if (sign) sink.Put(sign);
  if (hex_prefix) {
    sink.Put('0');
    sink.Put(upper ? 'X' : 'x');
  }
  sink.Repeat('0', zero_fill + zeros_for_precision);
  while (n > 0) sink.Put(digits[--n]);
  Pad(sink, spec, body, true);
}

// A 128-bit unsigned integer, for the exact fraction of a double (no __int128 on a
// 32-bit target).
struct Wide {
  std::uint64_t hi = 0, lo = 0;
};
Wide ShiftLeft(Wide a, int n) {  // 0 <= n < 128
  if (n == 0) return a;
  if (n >= 64) return {a.lo << (n - 64), 0};
  return {(a.hi << n) | (a.lo >> (64 - n)), a.lo << n};
}
Wide Plus(Wide a, Wide b) {
  Wide r{a.hi + b.hi, a.lo + b.lo};
  if (r.lo < a.lo) ++r.hi;
  return r;
}
// The bits of `a` from `n` up (a small number here: one decimal digit), and below `n`.
std::uint64_t BitsFrom(Wide a, int n) { return n >= 64 ? a.hi >> (n - 64) : (a.hi << (64 - n)) | (a.lo >> n); }
Wide BitsBelow(Wide a, int n) {
  if (n >= 64) return {n == 64 ? 0 : a.hi & ((std::uint64_t{1} << (n - 64)) - 1), a.lo};
  return {0, a.lo & ((std::uint64_t{1} << n) - 1)};
}
int Compare(Wide a, Wide b) {
  if (a.hi != b.hi) return a.hi < b.hi ? -1 : 1;
  if (a.lo != b.lo) return a.lo < b.lo ? -1 : 1;
  return 0;
}

// %f and %F: fixed-point notation from the double's exact binary value (its integer
// part, and its fraction in 128 bits), so the digits and the rounding (above a half
// up, a half to even) are glibc's. Not exact, and not used by the firmware: magnitudes
// of 2^64 and more (their leading digits, then zeros), and more than 21 decimals of a
// magnitude below 2^-71 (zeros).
void Fixed(Sink& sink, Spec spec, double v, bool upper) {
  const bool negative = std::signbit(v);
  const char sign = negative ? '-' : spec.plus ? '+' : spec.space ? ' ' : 0;
  if (std::isnan(v) || std::isinf(v)) {
    const char* text = std::isnan(v) ? (upper ? "NAN" : "nan") : (upper ? "INF" : "inf");
    const int body = (sign ? 1 : 0) + 3;
    spec.zero = false;
    Pad(sink, spec, body, false);
    if (sign) sink.Put(sign);
    for (int i = 0; i < 3; ++i) sink.Put(text[i]);
    Pad(sink, spec, body, true);
    return;
  }
  double magnitude = std::fabs(v);
  int trailing_zeros = 0;  // integer digits beyond 64 bits
  while (magnitude >= 18446744073709551616.0) {
    magnitude /= 10;
    ++trailing_zeros;
  }
  // magnitude = mantissa * 2^exponent exactly, the mantissa a 53-bit integer; the
  // fraction is fraction / 2^fraction_bits, with 4 bits of headroom for the * 10.
  constexpr int kMaxFractionBits = 124;
  std::uint64_t whole = 0;
  Wide fraction;
  int fraction_bits = 0;
  if (magnitude != 0) {
    int exponent = 0;
    const auto mantissa = static_cast<std::uint64_t>(std::ldexp(std::frexp(magnitude, &exponent), 53));
    exponent -= 53;
    if (exponent >= 0) {
      whole = mantissa << exponent;
    } else if (-exponent <= kMaxFractionBits) {
      fraction_bits = -exponent;
      if (fraction_bits < 64) {
        whole = mantissa >> fraction_bits;
        fraction.lo = mantissa & ((std::uint64_t{1} << fraction_bits) - 1);
      } else {
        fraction.lo = mantissa;
      }
    }
  }
  const int precision = spec.precision < 0 ? 6 : spec.precision;
  constexpr int kMaxDigits = 40;  // beyond these only zeros follow
  char frac[kMaxDigits];
  const int generated = precision < kMaxDigits ? precision : kMaxDigits;
  for (int i = 0; i < generated; ++i) {
    if (fraction_bits == 0) {
      frac[i] = '0';
      continue;
    }
    fraction = Plus(ShiftLeft(fraction, 3), ShiftLeft(fraction, 1));
    frac[i] = static_cast<char>('0' + BitsFrom(fraction, fraction_bits));
    fraction = BitsBelow(fraction, fraction_bits);
  }
  if (fraction_bits > 0) {
    const Wide half = ShiftLeft(Wide{0, 1}, fraction_bits - 1);
    const int against_half = Compare(fraction, half);
    const bool last_odd = generated > 0 ? ((frac[generated - 1] - '0') & 1) != 0 : (whole & 1) != 0;
    if (against_half > 0 || (against_half == 0 && last_odd)) {
      int i = generated - 1;
      while (i >= 0 && frac[i] == '9') frac[i--] = '0';
      if (i >= 0) {
        ++frac[i];
      } else {
        ++whole;  // below 2^64 - 2^11 before, so no overflow
      }
    }
  }
  char digits[24];
  int n = 0;
  for (std::uint64_t w = whole; w != 0; w /= 10) digits[n++] = static_cast<char>('0' + w % 10);
  if (n == 0) digits[n++] = '0';
  const bool point = precision > 0 || spec.alt;
  const int body = (sign ? 1 : 0) + n + trailing_zeros + (point ? 1 : 0) + precision;
  int zero_fill = 0;
  if (spec.zero && !spec.left && spec.width > body) zero_fill = spec.width - body;
  Pad(sink, spec, body + zero_fill, false);
  if (sign) sink.Put(sign);
  sink.Repeat('0', zero_fill);
  while (n > 0) sink.Put(digits[--n]);
  sink.Repeat('0', trailing_zeros);
  if (point) sink.Put('.');
  for (int i = 0; i < generated; ++i) sink.Put(frac[i]);
  sink.Repeat('0', precision - generated);
  Pad(sink, spec, body + zero_fill, true);
}

}  // namespace

int FormatV(char* out, std::size_t size, const char* format, std::va_list args) {
  Sink sink(out, size);
  std::va_list ap;
  va_copy(ap, args);
  for (const char* p = format; *p != '\0'; ++p) {
    if (*p != '%') {
      sink.Put(*p);
      continue;
    }
    const char* start = p++;
    Spec spec;
    for (;; ++p) {
      if (*p == '-') spec.left = true;
      else if (*p == '+') spec.plus = true;
      else if (*p == ' ') spec.space = true;
      else if (*p == '#') spec.alt = true;
      else if (*p == '0') spec.zero = true;
      else break;
    }
    if (*p == '*') {
      spec.width = va_arg(ap, int);
      if (spec.width < 0) {
        spec.left = true;
        spec.width = -spec.width;
      }
      ++p;
    } else {
      while (*p >= '0' && *p <= '9') spec.width = spec.width * 10 + (*p++ - '0');
    }
    if (*p == '.') {
      ++p;
      spec.precision = 0;
      if (*p == '*') {
        spec.precision = va_arg(ap, int);
        if (spec.precision < 0) spec.precision = -1;  // as if omitted
        ++p;
      } else {
        while (*p >= '0' && *p <= '9') spec.precision = spec.precision * 10 + (*p++ - '0');
      }
    }
    Length length = Length::kNone;
    switch (*p) {
      case 'h':
        length = p[1] == 'h' ? Length::kHh : Length::kH;
        p += length == Length::kHh ? 2 : 1;
        break;
      case 'l':
        length = p[1] == 'l' ? Length::kLl : Length::kL;
        p += length == Length::kLl ? 2 : 1;
        break;
      case 'j': length = Length::kJ; ++p; break;
      case 'z': length = Length::kZ; ++p; break;
      case 't': length = Length::kT; ++p; break;
      case 'L': ++p; break;  // long double: only for the floating conversions below
      default: break;
    }
    const char conversion = *p;
    switch (conversion) {
      case 'd':
      case 'i': {
        std::intmax_t v;
        switch (length) {
          case Length::kHh: v = static_cast<signed char>(va_arg(ap, int)); break;
          case Length::kH: v = static_cast<short>(va_arg(ap, int)); break;
          case Length::kL: v = va_arg(ap, long); break;
          case Length::kLl: v = va_arg(ap, long long); break;
          case Length::kJ: v = va_arg(ap, std::intmax_t); break;
          case Length::kZ: v = static_cast<std::intmax_t>(va_arg(ap, std::size_t)); break;
          case Length::kT: v = va_arg(ap, std::ptrdiff_t); break;
          default: v = va_arg(ap, int); break;
        }
        const std::uintmax_t magnitude = v < 0 ? std::uintmax_t{0} - static_cast<std::uintmax_t>(v)
                                               : static_cast<std::uintmax_t>(v);
        Integer(sink, spec, magnitude, v < 0, 10, false, true, false);
        break;
      }
      case 'u':
      case 'x':
      case 'X':
      case 'o': {
        std::uintmax_t v;
        switch (length) {
          case Length::kHh: v = static_cast<unsigned char>(va_arg(ap, unsigned)); break;
          case Length::kH: v = static_cast<unsigned short>(va_arg(ap, unsigned)); break;
          case Length::kL: v = va_arg(ap, unsigned long); break;
          case Length::kLl: v = va_arg(ap, unsigned long long); break;
          case Length::kJ: v = va_arg(ap, std::uintmax_t); break;
          case Length::kZ: v = va_arg(ap, std::size_t); break;
          case Length::kT: v = static_cast<std::uintmax_t>(va_arg(ap, std::ptrdiff_t)); break;
          default: v = va_arg(ap, unsigned); break;
        }
        const unsigned base = conversion == 'u' ? 10 : conversion == 'o' ? 8 : 16;
        Integer(sink, spec, v, false, base, conversion == 'X', false, false);
        break;
      }
      case 'p': {
        const auto v = reinterpret_cast<std::uintptr_t>(va_arg(ap, void*));
        spec.alt = true;
        Integer(sink, spec, v, false, 16, false, false, true);
        break;
      }
      case 'c': {
        const char c = static_cast<char>(va_arg(ap, int));
        Pad(sink, spec, 1, false);
        sink.Put(c);
        Pad(sink, spec, 1, true);
        break;
      }
      case 's': {
        const char* s = va_arg(ap, const char*);
        if (s == nullptr) s = "(null)";
        int n = 0;
        while ((spec.precision < 0 || n < spec.precision) && s[n] != '\0') ++n;
        Pad(sink, spec, n, false);
        for (int i = 0; i < n; ++i) sink.Put(s[i]);
        Pad(sink, spec, n, true);
        break;
      }
      case '%':
        sink.Put('%');
        break;
      case 'f':
      case 'F': {
        const double v = p[-1] == 'L' ? static_cast<double>(va_arg(ap, long double)) : va_arg(ap, double);
        Fixed(sink, spec, v, conversion == 'F');
        break;
      }
      case 'e':
      case 'E':
      case 'g':
      case 'G':
      case 'a':
      case 'A':
        if (p[-1] == 'L') {
          (void)va_arg(ap, long double);
        } else {
          (void)va_arg(ap, double);
        }
        sink.Put('?');
        break;
      default:
        // Unknown or truncated conversion: print it as written.
        for (const char* q = start; q <= p && *q != '\0'; ++q) sink.Put(*q);
        if (*p == '\0') --p;
        break;
    }
  }
  va_end(ap);
  return sink.Finish();
}

}  // namespace pmu::hal::cortex_m
