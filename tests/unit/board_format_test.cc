// The board's vsnprintf (hal/cortex-m/src/format.cc) against the host's printf, for
// the conversions it supports: same text, same return value, same truncation.
#include <gtest/gtest.h>

#include <cinttypes>
#include <cmath>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <string>

#include "pmu/hal/cortex_m/format.h"

namespace pmu::hal::cortex_m {
namespace {

int Board(char* out, std::size_t size, const char* format, ...) {
  va_list args;
  va_start(args, format);
  const int n = FormatV(out, size, format, args);
  va_end(args);
  return n;
}

#pragma GCC diagnostic ignored "-Wformat-nonliteral"

template <typename... Args>
void ExpectSame(const char* format, Args... args) {
  char want[256], got[256];
  const int want_n = std::snprintf(want, sizeof(want), format, args...);
  const int got_n = Board(got, sizeof(got), format, args...);
  EXPECT_EQ(got_n, want_n) << format;
  EXPECT_STREQ(got, want) << format;
  // Cut short: the same prefix, NUL-terminated, and the full length returned.
  for (std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{5}}) {
    char small[8] = {'#', '#', '#', '#', '#', '#', '#', '#'};
    EXPECT_EQ(Board(small, size, format, args...), want_n) << format;
    if (size == 0) {
      EXPECT_EQ(small[0], '#') << format;
    } else {
      EXPECT_EQ(std::string(small), std::string(want).substr(0, size - 1)) << format;
    }
  }
}

TEST(BoardFormat, Integers) {
  ExpectSame("%d %i %u", 0, -1, 42u);
  ExpectSame("%d|%d", INT32_MIN, INT32_MAX);
  ExpectSame("%u %x %X %o", 4294967295u, 0xdeadbeefu, 0xdeadbeefu, 8u);
  ExpectSame("%lld %llu", -9223372036854775807LL - 1, 18446744073709551615ULL);
  ExpectSame("%+lld %+lld %+d", 0LL, -5LL, 7);
  ExpectSame("%ld %lu %lx", -123456L, 123456UL, 0xabcUL);
  ExpectSame("%hd %hu %hhd %hhu", 70000, 70000, 300, 300);
  ExpectSame("%zu %zx %td %jd", std::size_t{12345}, std::size_t{255}, std::ptrdiff_t{-3}, std::intmax_t{-77});
  ExpectSame("%" PRIu32 " %" PRIx32 " %" PRIu64, std::uint32_t{4000000000u}, std::uint32_t{0xC0FFEE},
             std::uint64_t{1} << 40);
}

TEST(BoardFormat, FlagsWidthPrecision) {
  ExpectSame("[%5d] [%-5d] [%05d] [%+5d] [% d] [% 05d]", 42, 42, 42, 42, 42, 42);
  ExpectSame("[%02x] [%08x] [%04X] [%#x] [%#X] [%#o] [%#o]", 5u, 0x1234u, 0xabu, 255u, 255u, 8u, 0u);
  ExpectSame("[%.3d] [%.0d] [%5.3d] [%-8.3x] [%08.3d] [%.0u]", 7, 0, -7, 0xfu, 12, 0u);
  ExpectSame("[%02u] [%03u] [%06u] [%09u] [%04d]", 7u, 7u, 123456u, 1u, -12);
  ExpectSame("[%*d] [%-*d] [%*d] [%.*d]", 6, 1, 6, 1, -6, 1, 4, 3);
  ExpectSame("[%#.0x] [%#5x] [%#-8x] [%#08x]", 0u, 1u, 1u, 1u);
}

TEST(BoardFormat, CharactersStringsPointers) {
  ExpectSame("%c%c%c [%3c] [%-3c]", 'a', 'b', 'c', 'x', 'y');
  ExpectSame("%s|%10s|%-10s|%.2s|%.*s|%*s", "grid", "grid", "grid", "grid", 3, "phasor", 6, "pmu");
  ExpectSame("%.*s", 0, "ignored");
  ExpectSame("100%% %s", "done");
  ExpectSame("%p [%20p] [%-20p]", reinterpret_cast<void*>(0x1234), reinterpret_cast<void*>(0xdeadbeef),
             reinterpret_cast<void*>(0xbeef));
}

TEST(BoardFormat, FixedPoint) {
  ExpectSame("%f %f %f %f", 0.0, -0.0, 1.5, -2.25);
  ExpectSame("%.6f %.3f %.2f %.1f %.0f", 132790.0, 59.75, 0.333333333, 1e-7, 2.5);
  ExpectSame("%.0f %.0f %.0f %.2f %.2f", 0.5, 1.5, 3.5, 0.125, 0.375);  // ties to even
  ExpectSame("%.3f %.9f %.12f", 0.9995, 1.0 / 3, 0.1);
  ExpectSame("[%10.3f] [%-10.2f] [%010.4f] [%+.1f] [% .2f] [%+08.2f]", 3.14159, 2.5, -1.5, 7.0, 7.0, -0.004);
  const double inf = std::numeric_limits<double>::infinity(), nan = std::numeric_limits<double>::quiet_NaN();
  ExpectSame("%#.0f %.0f %F %f %f %F [%6f] [%-6F]", 3.0, 3.0, inf, -inf, nan, -nan, inf, nan);
  ExpectSame("%.1f %.6f %f", 999.96, 1e6 - 1e-7, 12345678901234567.0);
  ExpectSame("%.6f %.6f %.3f", 0.001, 100000.0, -0.0005);
  ExpectSame("%Lf", static_cast<long double>(2.75));
}

// Many values over the ranges the firmware formats (and beyond), at every precision
// the firmware uses and more: the same text as glibc's.
TEST(BoardFormat, FixedPointAgreesWithTheHostOnManyValues) {
  std::uint64_t state = 0x9E3779B97F4A7C15u;
  auto next = [&] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  int mismatches = 0;
  for (int i = 0; i < 20000 && mismatches < 5; ++i) {
    const double unit = static_cast<double>(next() >> 11) / 9007199254740992.0;  // [0, 1)
    const int scale = static_cast<int>(next() % 40) - 20;                        // 1e-20 .. 1e19
    double v = unit * std::pow(10.0, scale);
    if (next() & 1) v = -v;
    if (i % 4 == 0) v = std::round(v * 1e6) / 1e6;  // configuration-like values, ties
    char format[16];
    std::snprintf(format, sizeof(format), "%%.%df", static_cast<int>(next() % 16));
    char want[128], got[128];
    std::snprintf(want, sizeof(want), format, v);
    Board(got, sizeof(got), format, v);
    if (std::string(got) != want) {
      ++mismatches;
      ADD_FAILURE() << format << " of " << v << ": board " << got << ", host " << want;
    }
  }
}

TEST(BoardFormat, OtherFloatsAreNotFormattedButConsumed) {
  char out[64];
  EXPECT_EQ(Board(out, sizeof(out), "%e %d %.2g %s %a", 1.5, 7, 2.0, "x", 3.0), 9);
  EXPECT_STREQ(out, "? 7 ? x ?");
}

TEST(BoardFormat, UnknownConversionIsCopied) {
  char out[64];
  EXPECT_EQ(Board(out, sizeof(out), "a %y b %d", 5), 8);
  EXPECT_STREQ(out, "a %y b 5");
  EXPECT_EQ(Board(out, sizeof(out), "end %"), 5);
  EXPECT_STREQ(out, "end %");
}

}  // namespace
}  // namespace pmu::hal::cortex_m
