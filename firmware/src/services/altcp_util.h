// Small helpers shared by the TCP services: listening on both families, naming the
// peer in log lines, detaching a connection from its session and ending it.
#pragma once

#include <cstdint>

#include "lwip/altcp.h"
#include "pmu/base/fixed_string.h"
#include "pmu/base/result.h"

namespace pmu::firmware {

using PeerText = FixedString<56>;  // "[2001:db8::1]:65535" or "192.0.2.1:65535"

PeerText FormatPeer(const ip_addr_t* addr, std::uint16_t port);
PeerText RemotePeer(altcp_pcb* pcb);

// Sends an ACK for everything received so far, now, instead of at lwIP's delayed-ACK
// tick (up to 250 ms). The command service does this while it reads a command: a
// client with Nagle's algorithm sends the next piece of a command only once the first
// is acknowledged, and a bare command ends after 50 ms of silence, so a delayed ACK
// would cut such a command in two. Works through wrapped connections (TLS).
void AckNow(altcp_pcb* pcb);

// Detaches a connection from its session: no argument and no callbacks, so lwIP calls
// nothing of a session that is gone (before close, abort, or releasing the session).
void DetachCallbacks(altcp_pcb* pcb);

// Detaches and aborts (a reset to the peer); the PCB is gone on return. For a session
// ending itself, so its own error callback is not called back into.
void DetachAndAbort(altcp_pcb* pcb);

// Closes (an orderly FIN), or aborts when lwIP has no memory for the close: ERR_OK, or
// ERR_ABRT which an lwIP callback must then return. Callbacks are the caller's to detach.
err_t CloseOrAbort(altcp_pcb* pcb);

// Creates a listening connection on `port` for IPv4 and IPv6 with `allocator`
// (nullptr: plain TCP), with `arg` and `accept` as its callbacks.
Result<altcp_pcb*> ListenDualStack(altcp_allocator_t* allocator, std::uint16_t port, void* arg,
                                   altcp_accept_fn accept);

}  // namespace pmu::firmware
