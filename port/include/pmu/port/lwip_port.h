// Binds lwIP's porting functions (sys_now, LWIP_RAND, the TCP ISN hook, assertions and
// diagnostics) to the HAL. Call BindLwip() once, before lwip_init().
#pragma once

#include "pmu/base/status.h"
#include "pmu/hal/clock.h"
#include "pmu/hal/entropy.h"

namespace pmu::port {

// Receives lwIP's assertion and diagnostic texts (one line each).
using DiagnosticHandler = void (*)(const char* line);

// `clock` and `entropy` must outlive every later lwIP call. Draws the secret key of
// the TCP initial-sequence-number hash from `entropy`.
Status BindLwip(const hal::Clock& clock, hal::Entropy& entropy, DiagnosticHandler handler);

// Milliseconds of the monotonic clock, as lwIP sees them (sys_now).
unsigned LwipNowMs();

}  // namespace pmu::port
