// What a TCP service's session sees of its connection, and what it hears from it.
//
// A session is written against these two interfaces only: it reads the bytes it
// was sent, writes its answer, and ends the connection, as its protocol says. The
// connection layer (port/tcp_listener.h) implements them over lwIP's altcp, for plain
// TCP and TLS alike, and owns everything else: callbacks, the abort rules, closing
// with retries, TLS close_notify, admission, stalls. Tests implement them with a fake.
//
// Context: main loop only. Ownership: the session and its connection live and die
// together; after the connection ends (the session called Close or Abort, or the
// peer or the network ended it) the session is destroyed once the current event
// returns. A session may call any method from inside an event, Close and Abort
// included; called outside an event, Close and Abort destroy the session before they
// return.
#pragma once

#include <cstddef>
#include <cstdint>

#include "pmu/base/bytes.h"
#include "pmu/base/fixed_string.h"
#include "pmu/base/result.h"

struct ip_addr;  // lwIP's address type

namespace pmu::port {

// "[2001:db8::1]:65535" or "192.0.2.1:65535".
using PeerText = FixedString<56>;
PeerText FormatPeer(const ip_addr* addr, std::uint16_t port);

// A TLS client as the session sees it after the handshake.
struct TlsPeer {
  bool has_certificate = false;
  FixedString<64> common_name;  // of the client certificate, empty without one
  const char* version = "";
  const char* ciphersuite = "";
};

// Who may take which TLS session slot (port/tls.h's TlsSessionGate).
enum class TlsSlots : std::uint8_t {
  kShared,    // any slot but the last free one (the TLS command service)
  kReserved,  // any free slot: one always stays for it (the operator console)
};

// A TLS session slot (port/tls.h's TlsSessionGate), or none.
using TlsSlotId = std::uint8_t;
inline constexpr TlsSlotId kNoTlsSlot = 0xFF;

// The size of one TCP segment's payload: a service writes at most this much at once.
inline constexpr std::size_t kSegmentSize = 1460;

class Connection {
 public:
  // ---- input
  // The next bytes received and not yet consumed, as one contiguous piece (more may
  // follow after Consume). Empty when there are none. Valid until the next Consume.
  virtual ByteSpan Peek() const = 0;
  // The first `n` bytes of Peek() are read: the peer may send as much more.
  virtual void Consume(std::size_t n) = 0;
  // Drops what was received and everything that arrives from now on.
  virtual void DiscardInput() = 0;
  // The peer sent its FIN (every byte before it has been offered).
  virtual bool peer_closed() const = 0;

  // ---- output
  // Bytes that may be written now. A bulk answer (a large reply generated as room
  // appears) gets less than a small one: it never takes the heap's reserve, nor more
  // than the service's share of the heap, nor more than this session's fair part of
  // that share, and it gets one whole segment of the connection at a time (0 or its
  // MSS), so that it leaves no short tail behind a segment in flight.
  virtual std::size_t SendRoom(bool bulk) const = 0;
  // Queues `data` whole, or nothing: ResourceExhausted when there is no room now
  // (OnSent or OnTick offers another chance). `more`: further data follows at once.
  virtual Status Write(ByteSpan data, bool more) = 0;
  // Sends what is queued now.
  virtual void Flush() = 0;
  // Bytes written and not yet acknowledged by the peer.
  virtual std::size_t unacknowledged() const = 0;
  // Acknowledges what was received at once, not at the delayed-ACK tick.
  virtual void AckNow() = 0;

  // ---- ending
  // FIN after what is queued; input still arrives (until the peer closes).
  virtual void ShutdownOutput() = 0;
  // Ends the connection in order: the unread input is dropped, TLS says close_notify,
  // the queued data and the FIN leave. No more events.
  virtual void Close() = 0;
  // Ends it at once with a reset. No more events.
  virtual void Abort() = 0;

  // ---- time
  // One timer per connection: OnTimer after `ms` (restarted by another StartTimer).
  virtual void StartTimer(std::uint32_t ms) = 0;
  virtual void StopTimer() = 0;

  // ---- who
  virtual const PeerText& peer() const = 0;
  // After the TLS handshake: the client, or why the service's policy refuses it
  // (written to `why`). FailedPrecondition on plain TCP.
  virtual Result<TlsPeer> TlsClient(FixedString<120>* why) const = 0;

 protected:
  ~Connection() = default;
};

// The session's side: events of its connection.
class ConnectionEvents {
 public:
  // New bytes to Peek at.
  virtual void OnReceive() = 0;
  // The peer closed its sending side; the connection stays until the session ends it.
  virtual void OnPeerClosed() = 0;
  // The peer acknowledged data: there may be room to write.
  virtual void OnSent() {}
  // Once a second (for the session's own timeouts).
  virtual void OnTick() {}
  // The timer of StartTimer ran out.
  virtual void OnTimer() {}
  // The connection ended without the session ending it: reset by the peer, aborted
  // by the layer (stalled, TLS handshake timeout, oversized TLS record) or by the
  // network. `why` says which. The session is destroyed when this returns.
  virtual void OnEnded(const char* /*why*/) {}

 protected:
  ~ConnectionEvents() = default;
};

}  // namespace pmu::port
