#include "pmu/port/tcp_listener.h"

#include <algorithm>
#include <cstring>

#include "lwip/altcp_tcp.h"
#include "lwip/ip_addr.h"
#include "lwip/stats.h"
#include "lwip/sys.h"
#include "lwip/tcp.h"
#include "lwip/timeouts.h"
#include "pmu/base/ip_address.h"
#include "pmu/port/lwip_port.h"
#include "pmu/port/lwip_status.h"
#include "pmu/port/tls.h"
#if PMU_WITH_TLS
#include "tls_internal.h"
#endif

static_assert(pmu::port::kSegmentSize == TCP_MSS, "services write one segment at a time");
static_assert(MEMP_NUM_ALTCP_PCB >= MEMP_NUM_TCP_PCB + (PMU_WITH_TLS ? 2 : 1) * MEMP_NUM_TCP_PCB_LISTEN,
              "every TCP PCB and every listener (two for TLS) needs its altcp PCB");

namespace pmu::port {
namespace {

constexpr std::uint8_t kPollInterval = 2;  // lwIP's coarse ticks of 500 ms: 1 s
constexpr std::uint8_t kRefusalPollInterval = kRefusalDrainMs / 500;

std::uint32_t NowMs() { return static_cast<std::uint32_t>(sys_now()); }

// The innermost connection of an altcp stack is altcp_tcp, whose state is the
// tcp_pcb (lwIP's altcp_tcp.c).
tcp_pcb* InnerTcp(altcp_pcb* pcb) {
  while (pcb != nullptr && pcb->inner_conn != nullptr) pcb = pcb->inner_conn;
  return pcb != nullptr ? static_cast<tcp_pcb*>(pcb->state) : nullptr;
}

void DetachCallbacks(altcp_pcb* pcb) {
  altcp_arg(pcb, nullptr);
  altcp_recv(pcb, nullptr);
  altcp_sent(pcb, nullptr);
  altcp_err(pcb, nullptr);
  altcp_poll(pcb, nullptr, 0);
}

PeerText RemotePeer(altcp_pcb* pcb) {
  ip_addr_t addr;
  u16_t port = 0;
  if (altcp_get_tcp_addrinfo(pcb, 0, &addr, &port) != ERR_OK) return PeerText(std::string_view("?"));
  return FormatPeer(&addr, port);
}

// Closes a refused connection: FIN, or a reset when lwIP has no memory for it.
err_t CloseRefused(altcp_pcb* pcb) {
  DetachCallbacks(pcb);
  NoteClosed(InnerTcp(pcb));
  if (altcp_close(pcb) == ERR_OK) return ERR_OK;
  altcp_abort(pcb);
  return ERR_ABRT;
}

#if PMU_WITH_TLS
// altcp_tls's own receive function on the inner TCP connection, which OnTlsRecords
// wraps (the same for every TLS connection).
altcp_recv_fn g_tls_lower_recv = nullptr;

// The longest TLS record a connection accepts (a plain one watches none).
std::size_t RecordLimit() { return TlsMaxRecordLength(); }
#else
std::size_t RecordLimit() { return 0; }
#endif

err_t ToErr(TcpConnection::Outcome o) { return o == TcpConnection::Outcome::kAborted ? ERR_ABRT : ERR_OK; }

}  // namespace

// lwIP's callbacks, turned into the connection's and the listener's steps.
struct TcpCallbacks {
  static err_t Accept(void* arg, altcp_pcb* pcb, err_t err);
  static err_t RefusedRecv(void* arg, altcp_pcb* pcb, pbuf* p, err_t err);
  static err_t RefusedPoll(void* arg, altcp_pcb* pcb);
  static err_t Recv(void* arg, altcp_pcb* pcb, pbuf* p, err_t err);
  static err_t Sent(void* arg, altcp_pcb* pcb, u16_t len);
  static err_t Poll(void* arg, altcp_pcb* pcb);
  static void Error(void* arg, err_t err);
  static void Timer(void* arg);
#if PMU_WITH_TLS
  static err_t TlsRecords(void* arg, altcp_pcb* inner, pbuf* p, err_t err);
#endif
  static void Attach(TcpConnection& c);
};

PeerText FormatPeer(const ip_addr_t* addr, std::uint16_t port) {
  PeerText text;
  if (addr == nullptr) {
    text.Append("?");
    return text;
  }
  if (IP_IS_V6(addr)) {
    Ipv6Address a;
    std::memcpy(a.octets.data(), ip_2_ip6(addr)->addr, 16);
    text.Format("[%s]:%u", FormatIpv6(a).c_str(), port);
  } else {
    Ipv4Address a;
    std::memcpy(a.octets.data(), &ip_2_ip4(addr)->addr, 4);
    text.Format("%s:%u", FormatIpv4(a).c_str(), port);
  }
  return text;
}

// ---- listener ---------------------------------------------------------------------------

std::size_t TcpListenerBase::ServiceHeapShare() { return MEM_SIZE * 3 / 8; }

bool TcpListenerBase::Summary(ReportLine& t) const {
  if (listener_ == nullptr) return false;
  t.Format("%s accepted=%u refused=%u active=%u peak=%u", options_.tag, static_cast<unsigned>(counters_.accepted),
           static_cast<unsigned>(counters_.refused), static_cast<unsigned>(sessions()),
           static_cast<unsigned>(peak_sessions()));
  return true;
}

bool TcpListenerBase::ConnectionLine(std::size_t index, ReportLine& t) const {
  if (listener_ == nullptr) return false;
  const ListenerCounters& c = counters_;
  if (index == 0) {
    const TcpBudget& b = budget_;
    t.Format("tcp %s pcbs<=%u syn_dropped=%u evicted=%u expired=%u stalled=%u lingered=%u reset_by_peer=%u "
             "input_overflows=%u queued=%u",
             options_.tag, static_cast<unsigned>(b.max_pcbs), static_cast<unsigned>(b.syn_dropped),
             static_cast<unsigned>(b.half_open_evicted), static_cast<unsigned>(b.half_open_expired),
             static_cast<unsigned>(b.stalled), static_cast<unsigned>(b.lingered),
             static_cast<unsigned>(c.ended_by_peer), static_cast<unsigned>(c.input_overflows),
             static_cast<unsigned>(queued_bytes()));
    return true;
  }
  if (index == 1 && options_.tls != nullptr) {
    t.Format("tls %s handshake_timeouts=%u evicted_in_handshake=%u oversized_records=%u", options_.tag,
             static_cast<unsigned>(c.tls_handshake_timeouts), static_cast<unsigned>(c.tls_evicted),
             static_cast<unsigned>(c.tls_oversized_records));
    return true;
  }
  return false;
}

Status TcpListenerBase::Listen(const ListenOptions& options) {
  options_ = options;
  budget_.tag = options.tag;
  budget_.max_pcbs = options.max_sessions + kTcpHeadroom;
#if PMU_WITH_TLS
  altcp_pcb* pcb = options.tls != nullptr ? altcp_new_ip_type(TlsAllocator(*options.tls), IPADDR_TYPE_ANY)
                                          : altcp_tcp_new_ip_type(IPADDR_TYPE_ANY);
#else
  if (options.tls != nullptr) return FailedPrecondition("this image has no TLS");
  altcp_pcb* pcb = altcp_tcp_new_ip_type(IPADDR_TYPE_ANY);
#endif
  if (pcb == nullptr) return ResourceExhausted("no TCP PCB for a listener");
  const err_t err = altcp_bind(pcb, IP_ANY_TYPE, options.port);
  if (err != ERR_OK) {
    altcp_close(pcb);
    return FromLwipErr(err);
  }
  GuardListener(InnerTcp(pcb), &budget_);  // copied into the listening PCB by tcp_listen
  altcp_pcb* listener = altcp_listen(pcb);
  if (listener == nullptr) {
    altcp_close(pcb);
    return ResourceExhausted("no TCP listen PCB");
  }
  GuardAccepts(reinterpret_cast<tcp_pcb_listen*>(InnerTcp(listener)));
  listener_ = listener;
  altcp_arg(listener_, this);
  altcp_accept(listener_, &TcpCallbacks::Accept);
  return Status::Ok();
}

void TcpListenerBase::set_max_sessions(std::size_t max_sessions) {
  options_.max_sessions = max_sessions;
  budget_.max_pcbs = max_sessions + kTcpHeadroom;
}

err_t TcpCallbacks::Accept(void* arg, altcp_pcb* pcb, err_t err) {
  auto* self = static_cast<TcpListenerBase*>(arg);
  if (self == nullptr || pcb == nullptr || err != ERR_OK) return ERR_VAL;
  return ToErr(self->Accept(pcb));
}

#if PMU_WITH_TLS
TlsSlotId TcpListenerBase::TakeTlsSlot() {
  const TlsSlotId slot = TlsSessionGate::TryEnter(options_.tls_slots);
  if (slot != kNoTlsSlot) return slot;
  // Only a completed handshake keeps a slot: this service's oldest connection still
  // in its handshake gives its slot to the new one.
  TcpConnection* oldest = OldestHandshake();
  if (oldest == nullptr) return kNoTlsSlot;
  ++counters_.tls_evicted;
  oldest->Ended("gave up its TLS slot to a newer connection while still in the handshake");
  return TlsSessionGate::TryEnter(options_.tls_slots);
}
#endif

TcpConnection::Outcome TcpListenerBase::Accept(altcp_pcb* pcb) {
  if (sessions() >= options_.max_sessions) return Refuse(pcb, "all sessions busy");
#if PMU_WITH_TLS
  const bool tls = options_.tls != nullptr;
  const TlsSlotId slot = tls ? TakeTlsSlot() : kNoTlsSlot;
  if (tls && slot == kNoTlsSlot) return Refuse(pcb, "no TLS session slot free");
  TcpConnection* connection = NewSession(pcb);
  if (connection == nullptr) {
    TlsSessionGate::Leave(slot);
    return Refuse(pcb, "all sessions busy");
  }
  connection->tls_slot_ = slot;
  if (tls) TlsBindSession(slot, *options_.tls, pcb);
#else
  if (NewSession(pcb) == nullptr) return Refuse(pcb, "all sessions busy");
#endif
  PinPeer(InnerTcp(pcb));
  ++counters_.accepted;
  return TcpConnection::Outcome::kAlive;
}

TcpConnection::Outcome TcpListenerBase::Refuse(altcp_pcb* pcb, const char* why) {
  ++counters_.refused;
  TcpLog("%s: %s refused: %s (%u of %u)", options_.tag, RemotePeer(pcb).c_str(), why,
         static_cast<unsigned>(sessions()), static_cast<unsigned>(options_.max_sessions));
  if (options_.refusal == Refusal::kReset || options_.tls != nullptr) {
    // Over TLS nothing can be said before a handshake the device has no room for.
    DetachCallbacks(pcb);
    altcp_abort(pcb);
    return TcpConnection::Outcome::kAborted;
  }
  // Answer at once, then shut only our side: a full close would make lwIP reset the
  // connection when the client's request arrives, and the client could lose the
  // answer. What the client sends is dropped; its close, or the drain time, ends it.
  altcp_arg(pcb, this);
  altcp_recv(pcb, &TcpCallbacks::RefusedRecv);
  altcp_sent(pcb, nullptr);
  altcp_err(pcb, nullptr);
  altcp_poll(pcb, &TcpCallbacks::RefusedPoll, kRefusalPollInterval);
  const std::string_view text = options_.refusal_text;
  if (altcp_write(pcb, text.data(), static_cast<u16_t>(text.size()), TCP_WRITE_FLAG_COPY) != ERR_OK ||
      altcp_shutdown(pcb, 0, 1) != ERR_OK) {
    return CloseRefused(pcb) == ERR_ABRT ? TcpConnection::Outcome::kAborted : TcpConnection::Outcome::kAlive;
  }
  altcp_output(pcb);
  return TcpConnection::Outcome::kAlive;
}

err_t TcpCallbacks::RefusedRecv(void*, altcp_pcb* pcb, pbuf* p, err_t) {
  if (p == nullptr) return CloseRefused(pcb);
  altcp_recved(pcb, p->tot_len);
  pbuf_free(p);
  return ERR_OK;
}

err_t TcpCallbacks::RefusedPoll(void*, altcp_pcb* pcb) {
  // The client kept its side open for the whole drain time: it is not listening.
  DetachCallbacks(pcb);
  AimReset(InnerTcp(pcb));
  altcp_abort(pcb);
  return ERR_ABRT;
}

// ---- connection: life cycle -----------------------------------------------------------------

TcpConnection::TcpConnection(TcpListenerBase& listener, altcp_pcb* pcb)
    : listener_(listener),
      pcb_(pcb),
      accepted_ms_(NowMs()),
      peer_(RemotePeer(pcb)),
      records_(RecordLimit()) {}

TcpConnection::~TcpConnection() {
  if (timer_armed_) sys_untimeout(&TcpCallbacks::Timer, this);
  if (input_ != nullptr) pbuf_free(input_);
  if (pcb_ != nullptr) {  // a session destroyed with its connection open
    DetachCallbacks(pcb_);
    altcp_abort(pcb_);
  }
#if PMU_WITH_TLS
  TlsSessionGate::Leave(tls_slot_);
#endif
}

void TcpConnection::Attach(ConnectionEvents& events) {
  events_ = &events;
  TcpCallbacks::Attach(*this);
}

void TcpCallbacks::Attach(TcpConnection& c) {
  altcp_arg(c.pcb_, &c);
  altcp_recv(c.pcb_, &TcpCallbacks::Recv);
  altcp_sent(c.pcb_, &TcpCallbacks::Sent);
  altcp_err(c.pcb_, &TcpCallbacks::Error);
  altcp_poll(c.pcb_, &TcpCallbacks::Poll, kPollInterval);
#if PMU_WITH_TLS
  if (c.listener_.options_.tls != nullptr && c.pcb_->inner_conn != nullptr) {
    // Watch the TLS records before mbedTLS reads them: lwIP's glue drops mbedTLS's
    // error for a record too long for its buffer, and the connection would hang.
    altcp_pcb* inner = c.pcb_->inner_conn;
    if (inner->recv != &TcpCallbacks::TlsRecords) {
      g_tls_lower_recv = inner->recv;
      inner->recv = &TcpCallbacks::TlsRecords;
    }
  }
#endif
}

void TcpConnection::Detach() {
  if (pcb_ == nullptr) return;
  DetachCallbacks(pcb_);
#if PMU_WITH_TLS
  if (pcb_->inner_conn != nullptr && pcb_->inner_conn->recv == &TcpCallbacks::TlsRecords) {
    pcb_->inner_conn->recv = g_tls_lower_recv;
  }
#endif
}

template <typename Event>
TcpConnection::Outcome TcpConnection::Dispatch(Event&& event) {
  if (events_ != nullptr && !closing_) {
    ++depth_;
    event();
    --depth_;
  }
  return depth_ == 0 ? Settle() : Outcome::kAlive;
}

TcpConnection::Outcome TcpConnection::Settle() {
  Outcome result = Outcome::kAlive;
  if (pending_ == Pending::kAbort) {
    result = FinishAbort();
  } else if (pending_ == Pending::kClose) {
    result = FinishClose();
  }
  if (ended_) listener_.DestroySession(this);  // `this` is gone
  return result;
}

void TcpConnection::Close() {
  if (pcb_ == nullptr || pending_ != Pending::kNone) return;
  pending_ = Pending::kClose;
  closing_ = true;
  if (depth_ == 0) (void)Settle();
}

void TcpConnection::Abort() {
  if (pcb_ == nullptr || pending_ == Pending::kAbort) return;
  pending_ = Pending::kAbort;
  closing_ = true;
  if (depth_ == 0) (void)Settle();
}

TcpConnection::Outcome TcpConnection::FinishClose() {
  StopTimer();
  DiscardInput();  // every byte acknowledged to the window, or lwIP would reset
#if PMU_WITH_TLS
  if (listener_.options_.tls != nullptr && !close_notify_sent_ && !records_.oversized()) {
    // End of data over TLS is a close_notify, so the client can tell it from a cut.
    if (!TlsCloseNotify(pcb_).ok()) return Outcome::kAlive;  // retried from sent() and poll()
    close_notify_sent_ = true;
  }
#endif
  altcp_pcb* pcb = pcb_;
  tcp_pcb* tcp = InnerTcp(pcb);
  Detach();
  if (altcp_close(pcb) != ERR_OK) {
    TcpCallbacks::Attach(*this);  // no memory for the FIN now: retried from poll()
    return Outcome::kAlive;
  }
  NoteClosed(tcp);
  pcb_ = nullptr;
  pending_ = Pending::kNone;
  ended_ = true;
  return Outcome::kAlive;
}

TcpConnection::Outcome TcpConnection::FinishAbort() {
  StopTimer();
  altcp_pcb* pcb = pcb_;
  AimReset(InnerTcp(pcb));
  Detach();
  pcb_ = nullptr;
  pending_ = Pending::kNone;
  ended_ = true;
  altcp_abort(pcb);
  return Outcome::kAborted;
}

void TcpConnection::Ended(const char* why) {
  // From the listener (an evicted handshake) or lwIP's error callback: no PCB
  // callback of this connection is on the stack.
  if (pcb_ != nullptr) {
    altcp_pcb* pcb = pcb_;
    Detach();
    pcb_ = nullptr;
    AimReset(InnerTcp(pcb));
    altcp_abort(pcb);
  }
  StopTimer();
  pending_ = Pending::kNone;
  ended_ = true;
  if (events_ != nullptr && !closing_) {
    ++depth_;
    events_->OnEnded(why);
    --depth_;
  }
  if (depth_ == 0) listener_.DestroySession(this);
}

// ---- connection: lwIP callbacks ---------------------------------------------------------------

err_t TcpCallbacks::Recv(void* arg, altcp_pcb* pcb, pbuf* p, err_t err) {
  auto* self = static_cast<TcpConnection*>(arg);
  if (self == nullptr) {
    if (p != nullptr) {
      altcp_recved(pcb, p->tot_len);
      pbuf_free(p);
    }
    return ERR_OK;
  }
  if (p == nullptr) {
    self->peer_closed_ = true;
    return ToErr(self->Dispatch([self] { self->events_->OnPeerClosed(); }));
  }
  if (err != ERR_OK || self->discard_ || self->closing_) {
    altcp_recved(pcb, p->tot_len);
    pbuf_free(p);
    return ERR_OK;
  }
  self->Hold(p);
  // The session may be gone when Dispatch returns: keep nothing of it.
  return ToErr(self->Dispatch([self] {
    self->events_->OnReceive();
    self->MoveHeldToHeap();
  }));
}

err_t TcpCallbacks::Sent(void* arg, altcp_pcb*, u16_t) {
  // (altcp_tls reports 0 bytes: what is acknowledged is read off the TCP PCB instead.)
  auto* self = static_cast<TcpConnection*>(arg);
  if (self == nullptr) return ERR_OK;
  if (self->closing_) return ToErr(self->Settle());  // a close waiting for room
  return ToErr(self->Dispatch([self] { self->events_->OnSent(); }));
}

err_t TcpCallbacks::Poll(void* arg, altcp_pcb*) {
  auto* self = static_cast<TcpConnection*>(arg);
  if (self == nullptr) return ERR_OK;
  if (self->closing_) return ToErr(self->Settle());
  const std::uint32_t now = NowMs();
  const ListenOptions& o = self->listener_.options_;
  if (o.tls != nullptr && !self->handshake_done() && now - self->accepted_ms_ >= o.tls_handshake_ms) {
    ++self->listener_.counters_.tls_handshake_timeouts;
    self->Ended("no TLS handshake within the handshake time");
    return ERR_ABRT;
  }
  return ToErr(self->Dispatch([self] { self->events_->OnTick(); }));
}

void TcpCallbacks::Error(void* arg, err_t err) {
  auto* self = static_cast<TcpConnection*>(arg);
  if (self == nullptr) return;
#if PMU_WITH_TLS
  // A failed TLS handshake: let its alert reach the client (see TlsLetAlertOut).
  if (err == ERR_CLSD) TlsLetAlertOut(self->pcb_);
#endif
  // lwIP frees the connection, or (a failed TLS handshake) closes it right after this
  // callback: nothing of it may reach the session again.
  altcp_arg(self->pcb_, nullptr);
  self->pcb_ = nullptr;
  if (!self->closing_) ++self->listener_.counters_.ended_by_peer;
  self->Ended(FromLwipErr(err).message());
}

void TcpCallbacks::Timer(void* arg) {
  auto* self = static_cast<TcpConnection*>(arg);
  self->timer_armed_ = false;
  (void)self->Dispatch([self] { self->events_->OnTimer(); });
}

#if PMU_WITH_TLS
err_t TcpCallbacks::TlsRecords(void* arg, altcp_pcb* inner, pbuf* p, err_t err) {
  auto* outer = static_cast<altcp_pcb*>(arg);
  auto* self = outer != nullptr ? static_cast<TcpConnection*>(outer->arg) : nullptr;
  if (self != nullptr && p != nullptr && err == ERR_OK && !self->records_.oversized()) {
    for (pbuf* q = p; q != nullptr; q = q->next) {
      if (!self->records_.Feed(AsBytes(q->payload, q->len))) return ToErr(self->RejectRecord(inner, p));
    }
  }
  return g_tls_lower_recv(arg, inner, p, err);
}

TcpConnection::Outcome TcpConnection::RejectRecord(altcp_pcb* inner, pbuf* p) {
  ++listener_.counters_.tls_oversized_records;
  altcp_recved(inner, p->tot_len);
  pbuf_free(p);
  TlsSendRecordOverflow(pcb_);
  if (events_ != nullptr && !closing_) {
    ++depth_;
    events_->OnEnded("TLS record longer than the device accepts: record_overflow");
    --depth_;
  }
  closing_ = true;
  pending_ = Pending::kClose;
  close_notify_sent_ = true;  // the alert ends the TLS session
  FinishClose();
  if (pcb_ != nullptr) {  // lwIP had no memory for the FIN
    pending_ = Pending::kAbort;
    return Settle();
  }
  listener_.DestroySession(this);
  return Outcome::kAlive;
}
#endif

// ---- connection: input -----------------------------------------------------------------

void TcpConnection::Hold(pbuf* p) {
  if (input_ == nullptr) {
    input_ = p;
    input_offset_ = 0;
  } else {
    pbuf_cat(input_, p);
  }
}

ByteSpan TcpConnection::Peek() const {
  for (const pbuf* q = input_; q != nullptr; q = q->next) {
    const std::size_t skip = q == input_ ? input_offset_ : 0;
    if (q->len > skip) return AsBytes(static_cast<const std::byte*>(q->payload) + skip, q->len - skip);
  }
  return {};
}

void TcpConnection::Consume(std::size_t n) {
  std::size_t acked = 0;
  while (n > 0 && input_ != nullptr) {
    const std::size_t here = std::min<std::size_t>(n, input_->len - input_offset_);
    input_offset_ = static_cast<std::uint16_t>(input_offset_ + here);
    n -= here;
    acked += here;
    if (input_offset_ >= input_->len) {
      pbuf* next = input_->next;
      if (next != nullptr) pbuf_ref(next);
      pbuf_free(input_);  // frees only the first pbuf of the chain
      input_ = next;
      input_offset_ = 0;
    }
  }
  while (acked > 0 && pcb_ != nullptr) {
    const auto step = static_cast<u16_t>(std::min<std::size_t>(acked, 0xFFFF));
    altcp_recved(pcb_, step);
    acked -= step;
  }
}

void TcpConnection::DiscardInput() {
  discard_ = true;
  std::size_t held = 0;
  for (const pbuf* q = input_; q != nullptr; q = q->next) held += q->len;
  Consume(held - input_offset_);
}

void TcpConnection::MoveHeldToHeap() {
  // Received data a session holds (an echo whose echo waits for room; at most its
  // receive window) stays in the receive pool while half the pool is free for the
  // frames everyone receives: the target sizes the pool for that (half for reception,
  // half for the windows sessions may hold), and a copy could meet a fragmented heap.
  // Beyond that half, held bytes go to one heap buffer, which may take from the reserve
  // all but the room bare ACKs need. When even that is short, the peer is sending
  // faster than the device can handle its data, and it is reset.
  if (input_ == nullptr || pcb_ == nullptr) return;
  bool pooled = false;
  std::size_t held = 0;
  for (const pbuf* q = input_; q != nullptr; q = q->next) {
    pooled = pooled || pbuf_get_allocsrc(q) == PBUF_TYPE_ALLOC_SRC_MASK_STD_MEMP_PBUF_POOL;
    held += q->len;
  }
  held -= input_offset_;
  if (!pooled || held == 0 || held > 0xFFFF) return;
  const stats_mem* pool = lwip_stats.memp[MEMP_PBUF_POOL];
  if (pool->avail - pool->used >= PBUF_POOL_SIZE / 2) return;
  pbuf* copy = lwip_stats.mem.used + held + kAckReserveBytes <= MEM_SIZE
                   ? pbuf_alloc(PBUF_RAW, static_cast<u16_t>(held), PBUF_RAM)
                   : nullptr;
  if (copy == nullptr) {
    ++listener_.counters_.input_overflows;
    TcpLog("%s: %s reset: no memory to hold its input", listener_.options_.tag, peer_.c_str());
    Abort();
    return;
  }
  pbuf_copy_partial(input_, copy->payload, static_cast<u16_t>(held), input_offset_);
  pbuf_free(input_);
  input_ = copy;
  input_offset_ = 0;
}

// ---- connection: output ----------------------------------------------------------------

std::size_t TcpConnection::SendRoom(bool bulk) const {
  if (pcb_ == nullptr || closing_ || altcp_sndqueuelen(pcb_) >= TCP_SND_QUEUELEN - 1) return 0;
  std::size_t room = port::SendRoom(pcb_, bulk);
  if (bulk) {
    // Within the service's share of the heap, and within this session's fair part of
    // it, so that every session of a busy service gets its turn (and a peer that stops
    // reading is found stalled at once, not after the others).
    const std::size_t share = TcpListenerBase::ServiceHeapShare();
    const std::size_t queued = listener_.queued_bytes();
    const std::size_t fair = share / std::max<std::size_t>(listener_.sessions(), 1);
    const std::size_t mine = unacknowledged();
    room = std::min({room, queued < share ? share - queued : 0, mine < fair ? fair - mine : 0});
    // One whole segment of this connection at a time: its MSS is 1460 over IPv4 but
    // 1440 over IPv6, and a write of another size leaves a short tail that Nagle holds
    // behind the segment in flight, while a peer that has one segment in flight delays
    // its ACK (40 ms on Linux): four bulk answers over IPv6 on the board ran at 32 KB/s
    // each. And no slivers: lwIP allocates a small write behind queued data at a full
    // segment's size (TCP_OVERSIZE), so they would cost the heap a segment each and eat
    // into the reserve the limits above are meant to keep.
    const tcp_pcb* tcp = InnerTcp(pcb_);
    const std::size_t segment = tcp != nullptr ? tcp_mss(tcp) : kSegmentSize;
    room = room < segment ? 0 : segment;
  }
  return room;
}

Status TcpConnection::Write(ByteSpan data, bool more) {
  if (pcb_ == nullptr || closing_) return FailedPrecondition("connection closing");
  if (data.size() > 0xFFFF) return InvalidArgument("write larger than 64 KiB");
  const u8_t flags = TCP_WRITE_FLAG_COPY | (more ? TCP_WRITE_FLAG_MORE : 0);
  const err_t err = altcp_write(pcb_, data.data(), static_cast<u16_t>(data.size()), flags);
  if (err != ERR_OK) return FromLwipErr(err);  // ERR_MEM: ResourceExhausted, retry later
  return Status::Ok();
}

std::size_t TcpConnection::unacknowledged() const {
  // What TCP holds for the peer (TLS records included): its send buffer's used part.
  const tcp_pcb* tcp = InnerTcp(pcb_);
  return tcp != nullptr ? TCP_SND_BUF - tcp_sndbuf(tcp) : 0;
}

void TcpConnection::Flush() {
  if (pcb_ != nullptr) altcp_output(pcb_);
}

void TcpConnection::AckNow() {
  tcp_pcb* tcp = InnerTcp(pcb_);
  if (tcp == nullptr) return;
  tcp_set_flags(tcp, TF_ACK_NOW);
  tcp_output(tcp);
}

void TcpConnection::ShutdownOutput() {
  if (pcb_ != nullptr) (void)altcp_shutdown(pcb_, 0, 1);
}

// ---- connection: time and identity --------------------------------------------------------------

void TcpConnection::StartTimer(std::uint32_t ms) {
  StopTimer();
  sys_timeout(ms, &TcpCallbacks::Timer, this);
  timer_armed_ = true;
}

void TcpConnection::StopTimer() {
  if (!timer_armed_) return;
  sys_untimeout(&TcpCallbacks::Timer, this);
  timer_armed_ = false;
}

Result<TlsPeer> TcpConnection::TlsClient(FixedString<120>* why) const {
  if (listener_.options_.tls == nullptr || pcb_ == nullptr) return FailedPrecondition("not a TLS connection");
#if PMU_WITH_TLS
  return TlsCheckPeer(*listener_.options_.tls, pcb_, tls_slot_, why);
#else
  (void)why;
  return FailedPrecondition("this image has no TLS");
#endif
}

bool TcpConnection::handshake_done() const {
#if PMU_WITH_TLS
  return listener_.options_.tls == nullptr || pcb_ == nullptr || TlsHandshakeDone(pcb_);
#else
  return true;
#endif
}

}  // namespace pmu::port
