// The connection layer of the TCP services: a listener per service that owns its
// session pool, admits and refuses connections, and turns lwIP's altcp callbacks
// into the events of port/connection.h, once, for every service.
//
//   TcpListener<Service, Session, N> listener(service);
//   listener.Listen({.tag = "cmd", .port = 5003, .max_sessions = 8, ...});
//
// Session is constructed as Session(Service&, Connection&) for each accepted
// connection and implements ConnectionEvents; it is destroyed when its connection
// ends. What the layer decides for every service alike:
//   - Admission: at most `max_sessions` sessions; a connection beyond them is turned
//     away as the service asks (a reset, or an answer after which the device shuts
//     its side, discards what the client sends and resets it after kRefusalDrainMs
//     unless the client closed first). Below that, the TCP guard (tcp_guard.h) keeps
//     each port within its PCB and half-open budget.
//   - TLS: a connection holds a TLS session slot (the arena's room) from its accept;
//     a service may use at most its share of the slots (the console keeps one of its
//     own). A connection that has not completed its handshake within the handshake
//     time is aborted, and when a service has no slot left, its oldest connection
//     still in the handshake gives up its slot to the new one: only a completed
//     handshake keeps a slot. A TLS record longer than the device accepts is answered
//     with the record_overflow alert and ends the connection.
//   - Ending: Close queues TLS close_notify and the FIN (retried when lwIP has no
//     memory for them); Abort resets; an lwIP callback that aborted returns ERR_ABRT.
//   - Input is held for the session until it consumes it, and acknowledged to the
//     peer's window only then (end-to-end flow control); held bytes are moved out of
//     the receive pool into the heap so a slow session never starves reception, and a
//     connection whose input the heap cannot hold is reset.
//
// Context: main loop only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "pmu/base/report.h"
#include "pmu/base/static_pool.h"
#include "pmu/port/connection.h"
#include "pmu/port/tcp_guard.h"
#include "pmu/proto/tls_record.h"

// lwIP's types stay behind this layer: services see none of them.
struct altcp_pcb;
struct pbuf;

namespace pmu::port {

class TlsServer;

// How long a refused client has to close after its answer before it is reset.
inline constexpr std::uint32_t kRefusalDrainMs = 2000;
// PCBs a port may use beyond its sessions: refusals draining, handshakes in flight.
inline constexpr std::size_t kTcpHeadroom = 4;


enum class Refusal : std::uint8_t {
  kReset,   // reset at once (a stream with no room for an error text; TLS)
  kAnswer,  // `refusal_text`, then shut, drain and close
};

struct ListenOptions {
  const char* tag = "tcp";  // the service in the log
  std::uint16_t port = 0;
  std::size_t max_sessions = 1;
  Refusal refusal = Refusal::kReset;
  std::string_view refusal_text;  // for kAnswer: must outlive the listener
  TlsServer* tls = nullptr;       // plain TCP when null
  TlsSlots tls_slots = TlsSlots::kShared;
  std::uint32_t tls_handshake_ms = 10'000;
};

struct ListenerCounters {
  std::uint32_t accepted = 0;
  std::uint32_t refused = 0;            // beyond max_sessions or without a TLS slot
  std::uint32_t ended_by_peer = 0;      // reset or failed under a live session
  std::uint32_t tls_handshake_timeouts = 0;
  std::uint32_t tls_evicted = 0;        // gave up its slot while still in the handshake
  std::uint32_t tls_oversized_records = 0;
  std::uint32_t input_overflows = 0;    // reset: no memory left to hold its unread input
};

class TcpListenerBase;

// One accepted connection: the Connection its session uses.
class TcpConnection final : public Connection {
 public:
  TcpConnection(TcpListenerBase& listener, altcp_pcb* pcb);
  ~TcpConnection();
  TcpConnection(const TcpConnection&) = delete;
  TcpConnection& operator=(const TcpConnection&) = delete;

  // The session, once it is constructed: from then on lwIP's callbacks reach it.
  void Attach(ConnectionEvents& events);

  ByteSpan Peek() const override;
  void Consume(std::size_t n) override;
  void DiscardInput() override;
  bool peer_closed() const override { return peer_closed_; }
  std::size_t SendRoom(bool bulk) const override;
  Status Write(ByteSpan data, bool more) override;
  void Flush() override;
  std::size_t unacknowledged() const override;
  void AckNow() override;
  void ShutdownOutput() override;
  void Close() override;
  void Abort() override;
  void StartTimer(std::uint32_t ms) override;
  void StopTimer() override;
  const PeerText& peer() const override { return peer_; }
  Result<TlsPeer> TlsClient(FixedString<120>* why) const override;

  // The TLS handshake is complete (always true on plain TCP).
  bool handshake_done() const;
  // What an lwIP callback returns after an event: go on, or the PCB was aborted.
  enum class Outcome : std::uint8_t { kAlive, kAborted };
  std::uint32_t accepted_ms() const { return accepted_ms_; }

 private:
  friend class TcpListenerBase;
  friend struct TcpCallbacks;  // lwIP's callbacks (tcp_listener.cc)
  enum class Pending : std::uint8_t { kNone, kClose, kAbort };

  // Runs a session event; when it was the outermost one, carries out the Close or
  // Abort the session asked for. The connection may be gone when this returns.
  template <typename Event>
  Outcome Dispatch(Event&& event);
  Outcome Settle();
  Outcome FinishClose();  // when it cannot yet: retried from sent() and poll()
  Outcome FinishAbort();
  void Ended(const char* why);  // tell the session, then destroy it (aborting the PCB if any)
  Outcome RejectRecord(altcp_pcb* inner, pbuf* p);
  void Hold(pbuf* p);
  void MoveHeldToHeap();
  void Detach();

  TcpListenerBase& listener_;
  altcp_pcb* pcb_;
  ConnectionEvents* events_ = nullptr;
  pbuf* input_ = nullptr;           // received, not yet consumed
  std::uint16_t input_offset_ = 0;  // into the first pbuf of input_
  std::uint32_t accepted_ms_ = 0;
  std::uint8_t depth_ = 0;          // session events on the stack
  Pending pending_ = Pending::kNone;
  bool peer_closed_ = false;
  bool discard_ = false;
  bool closing_ = false;            // Close started; no more events
  bool close_notify_sent_ = false;
  bool ended_ = false;              // the PCB is gone; destroyed at Settle
  bool timer_armed_ = false;
  TlsSlotId tls_slot_ = kNoTlsSlot;
  PeerText peer_;
  proto::TlsRecordScanner records_;
};

class TcpListenerBase {
 public:
  TcpListenerBase() = default;
  TcpListenerBase(const TcpListenerBase&) = delete;
  TcpListenerBase& operator=(const TcpListenerBase&) = delete;

  // Listens on both families. Logs nothing; the service does.
  Status Listen(const ListenOptions& options);
  // A new session limit (at most the pool's capacity), for new connections.
  void set_max_sessions(std::size_t max_sessions);

  const ListenOptions& options() const { return options_; }
  const ListenerCounters& counters() const { return counters_; }
  const TcpBudget& budget() const { return budget_; }
  // Bytes this service's sessions wrote that are not yet acknowledged.
  virtual std::size_t queued_bytes() const = 0;
  virtual std::size_t sessions() const = 0;
  virtual std::size_t peak_sessions() const = 0;
  virtual std::size_t max_sessions() const = 0;

  // The share of the lwIP heap one service may fill with unacknowledged output.
  static std::size_t ServiceHeapShare();

  // The connection layer's part of its service's statistics: the start of the
  // service's summary line ("<tag> accepted=.. refused=.. active=.. peak=..", which the
  // service continues with its own counters), and the lines after it: the TCP line
  // (budget, evictions, stalls) and, for a TLS service, the TLS line. False past the
  // end, and for a service that is not listening (the TLS ones without an identity).
  bool Summary(ReportLine& line) const;
  bool ConnectionLine(std::size_t index, ReportLine& line) const;

 protected:
  virtual ~TcpListenerBase() = default;
  // A new session for `pcb`, or nullptr when the limit is reached.
  virtual TcpConnection* NewSession(altcp_pcb* pcb) = 0;
  virtual void DestroySession(TcpConnection* connection) = 0;
  // The connection that has waited longest in its TLS handshake, if any.
  virtual TcpConnection* OldestHandshake() = 0;

 private:
  friend class TcpConnection;
  friend struct TcpCallbacks;
  TcpConnection::Outcome Accept(altcp_pcb* pcb);
  TcpConnection::Outcome Refuse(altcp_pcb* pcb, const char* why);
  TlsSlotId TakeTlsSlot();

  ListenOptions options_;
  TcpBudget budget_;
  ListenerCounters counters_;
  altcp_pcb* listener_ = nullptr;
};

template <typename Service, typename Session, std::size_t N>
class TcpListener final : public TcpListenerBase {
 public:
  explicit TcpListener(Service& service) : service_(service) {}
  ~TcpListener() override = default;

  std::size_t sessions() const override { return pool_.in_use(); }
  std::size_t queued_bytes() const override {
    std::size_t queued = 0;
    pool_.ForEach([&](const Slot& slot) { queued += slot.connection.unacknowledged(); });
    return queued;
  }
  std::size_t peak_sessions() const override { return pool_.high_water(); }
  std::size_t max_sessions() const override { return pool_.limit(); }
  static constexpr std::size_t capacity() { return N; }

  // Every live session, in no particular order. `fn` may end the one it is given.
  template <typename Fn>
  void ForEachSession(Fn&& fn) {
    pool_.ForEach([&](Slot& slot) { fn(slot.session); });
  }
  template <typename Fn>
  void ForEachSession(Fn&& fn) const {
    pool_.ForEach([&](const Slot& slot) { fn(slot.session); });
  }

 private:
  struct Slot {
    Slot(Service& service, TcpListenerBase& listener, altcp_pcb* pcb)
        : connection(listener, pcb), session(service, connection) {
      connection.Attach(session);
    }
    TcpConnection connection;
    Session session;
  };

  TcpConnection* NewSession(altcp_pcb* pcb) override {
    pool_.set_limit(options().max_sessions);
    Slot* slot = pool_.Acquire(service_, *this, pcb);
    return slot != nullptr ? &slot->connection : nullptr;
  }
  void DestroySession(TcpConnection* connection) override {
    Slot* found = nullptr;
    pool_.ForEach([&](Slot& slot) {
      if (&slot.connection == connection) found = &slot;
    });
    if (found != nullptr) pool_.Release(found);
  }
  TcpConnection* OldestHandshake() override {
    TcpConnection* oldest = nullptr;
    pool_.ForEach([&](Slot& slot) {
      if (!slot.connection.handshake_done() &&
          (oldest == nullptr || slot.connection.accepted_ms() < oldest->accepted_ms())) {
        oldest = &slot.connection;
      }
    });
    return oldest;
  }

  Service& service_;
  StaticPool<Slot, N> pool_;
};

}  // namespace pmu::port
