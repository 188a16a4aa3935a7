// vsnprintf for the board. newlib-nano's printf family has no 'll' length modifier
// (it prints "%llu" as "lu"), and the firmware logs 64-bit counters; the full newlib
// printf would bring conversions the firmware never uses. This one covers the C99
// integer, character, string and pointer conversions with every flag, width, precision
// and length modifier, and %f/%F (the configuration's decimal values, the PMU's header
// text); %e, %g and %a consume their argument and print "?". src/runtime.cc installs
// it as vsnprintf/snprintf; the host unit test (tests/unit/board_format_test.cc) checks
// it against the host's printf.
#pragma once

#include <cstdarg>
#include <cstddef>

namespace pmu::hal::cortex_m {

// Same contract as std::vsnprintf: writes at most size-1 characters and a NUL (when
// size > 0) and returns the length the complete output would have.
int FormatV(char* out, std::size_t size, const char* format, std::va_list args);

}  // namespace pmu::hal::cortex_m
