// Binds lwIP's porting functions (sys_now, LWIP_RAND, the TCP ISN hook, assertions and
// diagnostics) to the HAL. Call BindLwip() once, before lwip_init().
#pragma once

#include <cstddef>
#include <cstdint>

#include "lwip/altcp.h"
#include "lwip/opt.h"
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
// Nanoseconds of the same clock (0 before BindLwip).
std::uint64_t LwipNowNs();

// Bytes a service may queue on `pcb` now: its send buffer room, and for a bulk answer
// (CMD_floodme, a large echo) never into the last quarter of the lwIP heap. Every
// outgoing segment, a bare ACK included, is allocated from that heap, so a few clients
// pulling large answers must not leave nothing for everyone else's ACKs, replies and
// small messages (which may use the reserve); bulk senders wait for their own
// acknowledgements instead (their sent() and poll() callbacks retry).
std::size_t SendRoom(altcp_pcb* pcb, bool bulk);
inline constexpr std::size_t kHeapReserveBytes = MEM_SIZE / 4;
// Of the reserve, what received data moved out of the receive pool leaves for bare
// ACKs (a few dozen bytes each): port/src/tcp_listener.cc.
inline constexpr std::size_t kAckReserveBytes = MEM_SIZE / 16;

}  // namespace pmu::port
