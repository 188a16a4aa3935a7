// Guards lwIP's TCP connection pool against peers that misuse TCP, for every
// listener the connection layer opens (port/tcp_listener.h), below the services:
//
//   - Admission. Each listening port has a budget of TCP PCBs (its sessions, plus
//     headroom for refusals and handshakes), so one service cannot take the PCBs
//     another needs. A SYN beyond the budget evicts the port's oldest half-open
//     connection (SYN_RCVD) once that one is kHalfOpenEvictMs old, so a handful of
//     spoofed SYNs cannot close a port while a burst of real clients, whose handshakes
//     complete in a round trip, is never cut; otherwise the SYN is dropped and the
//     client retries. lwIP calls this through its passive-open hook, after it
//     allocated the PCB and before the SYN-ACK.
//   - Half-open connections that are not completed within kHalfOpenMs are dropped.
//   - Stalls. A connection with data outstanding that acknowledges nothing for the
//     stall time (a peer that stopped reading, a zero window) is aborted, whether a
//     session still owns it or it is already closed and draining.
//   - Lingering. A connection the device closed is reset once its FIN has been
//     acknowledged for kLingerMs without the peer closing (FIN_WAIT_2), so closed
//     connections cannot pile up waiting for peers that never close.
//   - TIME_WAIT. A new SYN from the 4-tuple of a connection in TIME_WAIT whose
//     sequence number lies beyond the old connection's is accepted as a new
//     connection (RFC 6191's rule without timestamps), instead of being answered
//     with the old connection's ACK for two minutes.
//   - Neighbours. While a session is open with an IPv4 peer, the peer's ARP entry is
//     pinned (at most kMaxPinnedPeers at once): lwIP replaces the oldest resolved
//     entry first when its table is full, and a SYN flood from many spoofed addresses
//     fills it with entries being resolved, so without the pin the device would keep
//     forgetting, and re-asking for, the very peers it is serving. (IPv6's neighbour
//     cache never replaces a reachable entry.)
//   - A failed PCB allocation is reported to the listener as ERR_MEM with no PCB;
//     lwIP 2.1.3's altcp would dereference that NULL PCB, so the guard drops the SYN
//     and counts it before altcp sees it.
//
// Context: main loop only. Every PCB the guard tracks was created through a guarded
// listener; the device opens no TCP connections of its own.
#pragma once

#include <cstddef>
#include <cstdint>

struct tcp_pcb;
struct tcp_pcb_listen;

namespace pmu::port {

// How long a closed connection may wait in FIN_WAIT_2 for the peer's FIN.
inline constexpr std::uint32_t kLingerMs = 2000;
// How long a connection may stay half-open (SYN received, SYN-ACK not acknowledged):
// a client whose SYN-ACK was lost repeats its SYN within a few seconds, so longer
// only serves SYNs that were never meant to complete (lwIP's own limit is 20 s).
inline constexpr std::uint32_t kHalfOpenMs = 5000;
// How old a half-open connection must be before a new SYN may take its place.
inline constexpr std::uint32_t kHalfOpenEvictMs = 500;

// One listening port's budget and what the guard did on its behalf.
struct TcpBudget {
  const char* tag = "tcp";        // the service, for the log
  std::size_t max_pcbs = 0;       // every PCB of this port but TIME_WAIT
  // Counters.
  std::uint32_t syn_dropped = 0;       // beyond max_pcbs with no half-open to evict
  std::uint32_t half_open_evicted = 0;
  std::uint32_t half_open_expired = 0;   // not completed within kHalfOpenMs
  std::uint32_t stalled = 0;           // aborted: nothing acknowledged for the stall time
  std::uint32_t lingered = 0;          // aborted in FIN_WAIT_2 after kLingerMs
};

struct TcpGuardStats {
  std::uint32_t accept_without_pcb = 0;  // lwIP had no PCB for a SYN
  std::uint32_t time_wait_reused = 0;    // TIME_WAIT connections replaced by a new SYN
  std::size_t pinned_peers = 0;          // ARP entries held for open sessions now
  std::size_t tracked = 0;               // connections tracked now
  std::size_t tracked_peak = 0;
};

// Called with one line for each connection the guard aborts.
using TcpGuardLog = void (*)(void* context, const char* line);

// Once, after lwip_init(): starts the once-a-second sweep. `stall_ms` is the stall
// time (tcp.stall_timeout_s).
void StartTcpGuard(std::uint32_t stall_ms, TcpGuardLog log, void* log_context);
void SetTcpStallMs(std::uint32_t stall_ms);

// Puts the listener being made from `pcb` (a bound tcp_pcb, before tcp_listen) under
// `budget`, which must outlive it.
void GuardListener(tcp_pcb* pcb, TcpBudget* budget);
// After tcp_listen: lets the guard see accepts lwIP makes without a PCB.
void GuardAccepts(tcp_pcb_listen* listener);

// The connection layer closed `pcb` (it now lingers for its FIN to be acknowledged).
void NoteClosed(tcp_pcb* pcb);
// A session was opened on `pcb`: keep its IPv4 peer's ARP entry while it lasts.
void PinPeer(tcp_pcb* pcb);
inline constexpr std::size_t kMaxPinnedPeers = 8;
// Before aborting `pcb`: its reset will carry the sequence number the peer last
// acknowledged, which the peer accepts even with its window closed (lwIP would use the
// next unsent one, beyond a zero window's edge, and the peer would drop the reset).
void AimReset(tcp_pcb* pcb);

TcpGuardStats GetTcpGuardStats();

// A line for the log given to StartTcpGuard, from the connection layer (refusals).
void TcpLog(const char* format, ...) __attribute__((format(printf, 1, 2)));

}  // namespace pmu::port
