#include "pmu/port/tcp_guard.h"

#include <cstdarg>
#include <cstdio>
#include <cstring>

#include "lwip/etharp.h"
#include "lwip/ip.h"
#include "lwip/ip4.h"
#include "lwip/ip6.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/prot/ip4.h"
#include "lwip/prot/ip6.h"
#include "lwip/prot/tcp.h"
#include "lwip/sys.h"
#include "lwip/timeouts.h"
#include "pmu_lwip_hooks.h"

static_assert(LWIP_TCP_PCB_NUM_EXT_ARGS >= 1, "the TCP guard keeps its state in a PCB extension argument");
static_assert(LWIP_CALLBACK_API, "the TCP guard reads the listener's accept callback");
static_assert(ETHARP_SUPPORT_STATIC_ENTRIES, "the TCP guard pins the ARP entries of its peers");
static_assert(pmu::port::kMaxPinnedPeers < ARP_TABLE_SIZE, "pinned peers leave room to resolve others");

namespace pmu::port {
namespace {

constexpr std::uint32_t kSweepMs = 1000;
// A peer that hears nothing because the link loses the device's segments is not a
// peer that stopped reading: while lwIP retransmits to a peer that has room and has
// said nothing for the stall time (its timeouts doubling), the stall rule waits for
// this many retransmissions of the same segment as well, about two minutes, where ten
// seconds would cut working connections on a lossy link (at 10 % loss three lost
// rounds in a row are a matter of time). A peer that stopped reading answers each
// retransmission with a shut window, and is reset in time.
constexpr u8_t kStallRetransmissions = 6;

// What the guard knows of one connection: its port's budget, when it last saw the
// peer acknowledge something, and when the device closed it.
struct Record {
  tcp_pcb* pcb = nullptr;
  TcpBudget* budget = nullptr;
  u32_t lastack = 0;
  std::uint32_t progress_ms = 0;
  std::uint32_t closed_ms = 0;
  bool closed = false;
  bool pinned = false;  // holds a reference to its peer's pinned ARP entry
};

// Pinned ARP entries: the peer and how many sessions need it.
struct Pin {
  ip4_addr_t peer{};
  std::uint16_t sessions = 0;
};
Pin g_pins[kMaxPinnedPeers];

Record g_records[MEMP_NUM_TCP_PCB];
u8_t g_ext_id = LWIP_TCP_PCB_NUM_EXT_ARG_ID_INVALID;
std::uint32_t g_stall_ms = 10'000;
tcp_accept_fn g_altcp_accept = nullptr;
TcpGuardStats g_stats;
TcpGuardLog g_log = nullptr;
void* g_log_context = nullptr;
bool g_started = false;

std::uint32_t NowMs() { return static_cast<std::uint32_t>(sys_now()); }

void Log(const char* format, const char* tag, const tcp_pcb* pcb) {
  if (g_log == nullptr) return;
  char addr[IPADDR_STRLEN_MAX];
  ipaddr_ntoa_r(&pcb->remote_ip, addr, sizeof(addr));
  char line[160];
  std::snprintf(line, sizeof(line), format, tag, IP_IS_V6(&pcb->remote_ip) ? "[" : "", addr,
                IP_IS_V6(&pcb->remote_ip) ? "]" : "", pcb->remote_port);
  g_log(g_log_context, line);
}

// ---- records -------------------------------------------------------------------------

Record* Allocate(tcp_pcb* pcb, TcpBudget* budget) {
  std::size_t used = 0;
  Record* free = nullptr;
  for (Record& r : g_records) {
    if (r.pcb != nullptr) {
      ++used;
    } else if (free == nullptr) {
      free = &r;
    }
  }
  if (free == nullptr) return nullptr;
  *free = Record{pcb, budget, pcb->lastack, NowMs(), 0, false};
  g_stats.tracked = used + 1;
  if (g_stats.tracked > g_stats.tracked_peak) g_stats.tracked_peak = g_stats.tracked;
  return free;
}

void Unpin(const ip4_addr_t& peer) {
  for (Pin& pin : g_pins) {
    if (pin.sessions == 0 || !ip4_addr_cmp(&pin.peer, &peer)) continue;
    if (--pin.sessions == 0) {
      etharp_remove_static_entry(&pin.peer);
      if (g_stats.pinned_peers > 0) --g_stats.pinned_peers;
    }
    return;
  }
}

void OnDestroyed(u8_t, void* data) {
  auto* r = static_cast<Record*>(data);
  if (r == nullptr) return;
  // The PCB is still intact during this callback (tcp_free calls it first).
  if (r->pinned && r->pcb != nullptr && IP_IS_V4(&r->pcb->remote_ip)) Unpin(*ip_2_ip4(&r->pcb->remote_ip));
  *r = Record{};
  if (g_stats.tracked > 0) --g_stats.tracked;
}

err_t OnPassiveOpen(u8_t id, tcp_pcb_listen* listener, tcp_pcb* pcb);

const tcp_ext_arg_callbacks kListenerCallbacks = {nullptr, &OnPassiveOpen};
const tcp_ext_arg_callbacks kConnectionCallbacks = {&OnDestroyed, nullptr};

// ---- admission -----------------------------------------------------------------------

struct PortCount {
  std::size_t total = 0;  // every active PCB of the port (TIME_WAIT ones are elsewhere)
  tcp_pcb* oldest_half_open = nullptr;  // other than `except`, if kHalfOpenEvictMs old
};

PortCount Count(u16_t port, const tcp_pcb* except) {
  const std::uint32_t now = NowMs();
  PortCount c;
  std::uint32_t oldest_age = 0;
  for (tcp_pcb* p = tcp_active_pcbs; p != nullptr; p = p->next) {
    if (p->local_port != port) continue;
    ++c.total;
    if (p->state != SYN_RCVD || p == except) continue;
    const auto* r = static_cast<const Record*>(tcp_ext_arg_get(p, g_ext_id));
    const std::uint32_t age = r != nullptr ? now - r->progress_ms : 0;  // since its SYN
    if (age >= kHalfOpenEvictMs && age >= oldest_age) {
      c.oldest_half_open = p;
      oldest_age = age;
    }
  }
  return c;
}

err_t OnPassiveOpen(u8_t id, tcp_pcb_listen* listener, tcp_pcb* pcb) {
  auto* budget = static_cast<TcpBudget*>(listener->ext_args[id].data);
  if (budget == nullptr) return ERR_OK;
  // `pcb` is already on the active list, in SYN_RCVD.
  PortCount c = Count(listener->local_port, pcb);
  while (c.total > budget->max_pcbs && c.oldest_half_open != nullptr) {
    Log("%s: half-open connection from %s%s%s:%u evicted for a new one", budget->tag, c.oldest_half_open);
    ++budget->half_open_evicted;
    tcp_abort(c.oldest_half_open);  // never reported: a half-open PCB has no callbacks yet
    c = Count(listener->local_port, pcb);
  }
  Record* record = c.total > budget->max_pcbs ? nullptr : Allocate(pcb, budget);
  if (record == nullptr) {
    ++budget->syn_dropped;  // lwIP frees the PCB without an answer; the client retries
    return ERR_MEM;
  }
  tcp_ext_arg_set_callbacks(pcb, id, &kConnectionCallbacks);
  tcp_ext_arg_set(pcb, id, record);
  return ERR_OK;
}

// lwIP reports a SYN it had no PCB for as an accept with a NULL PCB and ERR_MEM;
// altcp_tcp would set up callbacks on that NULL PCB.
err_t GuardedAccept(void* arg, tcp_pcb* pcb, err_t err) {
  if (pcb == nullptr) {
    ++g_stats.accept_without_pcb;
    return ERR_MEM;
  }
  return g_altcp_accept(arg, pcb, err);
}

// ---- the sweep ---------------------------------------------------------------------------

bool Outstanding(const tcp_pcb* pcb) { return pcb->unacked != nullptr || pcb->unsent != nullptr; }

void Sweep(void*) {
  const std::uint32_t now = NowMs();
  for (Record& r : g_records) {
    tcp_pcb* pcb = r.pcb;
    if (pcb == nullptr || pcb->state == TIME_WAIT) continue;
    if (pcb->state == SYN_RCVD) {
      // progress_ms is the SYN's arrival: a handshake the client never completed.
      if (now - r.progress_ms >= kHalfOpenMs) {
        ++r.budget->half_open_expired;
        tcp_abort(pcb);
      }
      continue;
    }
    if (pcb->lastack != r.lastack || !Outstanding(pcb)) {
      r.lastack = pcb->lastack;
      r.progress_ms = now;
    }
    const bool silent = std::uint64_t{tcp_ticks - pcb->tmr} * TCP_SLOW_INTERVAL >= g_stall_ms;
    const bool lossy = pcb->nrtx > 0 && pcb->nrtx < kStallRetransmissions && pcb->snd_wnd >= pcb->mss && silent;
    if (now - r.progress_ms >= g_stall_ms && !lossy) {
      ++r.budget->stalled;
      Log("%s: %s%s%s:%u aborted: nothing acknowledged for the stall time", r.budget->tag, pcb);
      AimReset(pcb);
      tcp_abort(pcb);  // frees the record through OnDestroyed
      continue;
    }
    if (r.closed && pcb->state == FIN_WAIT_2 && now - r.closed_ms >= kLingerMs) {
      ++r.budget->lingered;
      AimReset(pcb);
      tcp_abort(pcb);
    }
  }
  sys_timeout(kSweepMs, &Sweep, nullptr);
}

// ---- TIME_WAIT ---------------------------------------------------------------------------

// A SYN (no ACK, no RST) to `dst_port` from `src`:`src_port` with sequence number `seq`:
// replaces a TIME_WAIT connection of that 4-tuple when the sequence number is beyond it.
void SynForTimeWait(const ip_addr_t& src, const ip_addr_t& dst, u16_t src_port, u16_t dst_port, u32_t seq) {
  for (tcp_pcb* p = tcp_tw_pcbs; p != nullptr; p = p->next) {
    if (p->local_port != dst_port || p->remote_port != src_port || !ip_addr_cmp(&p->remote_ip, &src) ||
        !ip_addr_cmp(&p->local_ip, &dst)) {
      continue;
    }
    if (TCP_SEQ_GT(seq, p->rcv_nxt)) {
      ++g_stats.time_wait_reused;
      tcp_abort(p);  // a TIME_WAIT PCB is freed without a reset
    }
    return;
  }
}

// The TCP header at `tcp` (`len` bytes available): a plain SYN's ports and sequence.
bool PlainSyn(const u8_t* tcp, std::size_t len, u16_t* src_port, u16_t* dst_port, u32_t* seq) {
  if (len < TCP_HLEN) return false;
  const auto* h = reinterpret_cast<const tcp_hdr*>(tcp);
  const u16_t flags = TCPH_FLAGS(h);
  if ((flags & (TCP_SYN | TCP_ACK | TCP_RST)) != TCP_SYN) return false;
  *src_port = lwip_ntohs(h->src);
  *dst_port = lwip_ntohs(h->dest);
  *seq = lwip_ntohl(h->seqno);
  return true;
}

}  // namespace

void StartTcpGuard(std::uint32_t stall_ms, TcpGuardLog log, void* log_context) {
  g_stall_ms = stall_ms;
  g_log = log;
  g_log_context = log_context;
  if (g_ext_id == LWIP_TCP_PCB_NUM_EXT_ARG_ID_INVALID) g_ext_id = tcp_ext_arg_alloc_id();
  if (!g_started) {
    sys_timeout(kSweepMs, &Sweep, nullptr);
    g_started = true;
  }
}

void SetTcpStallMs(std::uint32_t stall_ms) { g_stall_ms = stall_ms; }

void GuardListener(tcp_pcb* pcb, TcpBudget* budget) {
  if (g_ext_id == LWIP_TCP_PCB_NUM_EXT_ARG_ID_INVALID) g_ext_id = tcp_ext_arg_alloc_id();
  tcp_ext_arg_set_callbacks(pcb, g_ext_id, &kListenerCallbacks);
  tcp_ext_arg_set(pcb, g_ext_id, budget);
}

void GuardAccepts(tcp_pcb_listen* listener) {
  if (listener->accept == &GuardedAccept) return;
  g_altcp_accept = listener->accept;  // altcp_tcp's, the same for every listener
  listener->accept = &GuardedAccept;
}

void NoteClosed(tcp_pcb* pcb) {
  if (pcb == nullptr || g_ext_id == LWIP_TCP_PCB_NUM_EXT_ARG_ID_INVALID) return;
  auto* r = static_cast<Record*>(tcp_ext_arg_get(pcb, g_ext_id));
  if (r == nullptr || r->pcb != pcb) return;
  r->closed = true;
  r->closed_ms = NowMs();
}

void PinPeer(tcp_pcb* pcb) {
  if (pcb == nullptr || !IP_IS_V4(&pcb->remote_ip) || g_ext_id == LWIP_TCP_PCB_NUM_EXT_ARG_ID_INVALID) return;
  auto* r = static_cast<Record*>(tcp_ext_arg_get(pcb, g_ext_id));
  if (r == nullptr || r->pcb != pcb || r->pinned) return;
  const ip4_addr_t& peer = *ip_2_ip4(&pcb->remote_ip);
  Pin* free = nullptr;
  for (Pin& pin : g_pins) {
    if (pin.sessions > 0 && ip4_addr_cmp(&pin.peer, &peer)) {
      ++pin.sessions;
      r->pinned = true;
      return;
    }
    if (pin.sessions == 0 && free == nullptr) free = &pin;
  }
  if (free == nullptr) return;  // enough pinned: this peer is resolved as usual
  eth_addr* mac = nullptr;
  const ip4_addr_t* found = nullptr;
  if (etharp_find_addr(nullptr, &peer, &mac, &found) < 0) return;
  eth_addr copy = *mac;
  if (etharp_add_static_entry(&peer, &copy) != ERR_OK) return;
  free->peer = peer;
  free->sessions = 1;
  r->pinned = true;
  ++g_stats.pinned_peers;
}

void AimReset(tcp_pcb* pcb) {
  if (pcb != nullptr && pcb->state != TIME_WAIT && pcb->state != LISTEN) pcb->snd_nxt = pcb->lastack;
}

TcpGuardStats GetTcpGuardStats() { return g_stats; }

void TcpLog(const char* format, ...) {
  if (g_log == nullptr) return;
  char line[200];
  va_list args;
  va_start(args, format);
  std::vsnprintf(line, sizeof(line), format, args);
  va_end(args);
  g_log(g_log_context, line);
}

}  // namespace pmu::port

using namespace pmu::port;

// lwIP's IP input hooks: look at plain SYNs before TCP does (TIME_WAIT above); the
// packet always goes on to lwIP (0: not eaten).
extern "C" int pmu_lwip_ip4_input(struct pbuf* p, struct netif*) {
  if (p->len < IP_HLEN) return 0;
  const auto* ip = static_cast<const ip_hdr*>(p->payload);
  const std::size_t hlen = IPH_HL_BYTES(ip);
  if (IPH_PROTO(ip) != IP_PROTO_TCP || hlen < IP_HLEN || p->len < hlen ||
      (IPH_OFFSET(ip) & PP_HTONS(IP_OFFMASK | IP_MF)) != 0) {
    return 0;
  }
  u16_t src_port = 0, dst_port = 0;
  u32_t seq = 0;
  if (!PlainSyn(static_cast<const u8_t*>(p->payload) + hlen, p->len - hlen, &src_port, &dst_port, &seq)) return 0;
  ip_addr_t src, dst;
  ip_addr_copy_from_ip4(src, ip->src);
  ip_addr_copy_from_ip4(dst, ip->dest);
  SynForTimeWait(src, dst, src_port, dst_port, seq);
  return 0;
}

extern "C" int pmu_lwip_ip6_input(struct pbuf* p, struct netif* inp) {
  if (p->len < IP6_HLEN) return 0;
  const auto* ip = static_cast<const ip6_hdr*>(p->payload);
  if (IP6H_NEXTH(ip) != IP6_NEXTH_TCP) return 0;  // extension headers: left to lwIP alone
  u16_t src_port = 0, dst_port = 0;
  u32_t seq = 0;
  if (!PlainSyn(static_cast<const u8_t*>(p->payload) + IP6_HLEN, p->len - IP6_HLEN, &src_port, &dst_port, &seq)) {
    return 0;
  }
  ip_addr_t src, dst;
  ip_addr_copy_from_ip6_packed(src, ip->src);
  ip_addr_copy_from_ip6_packed(dst, ip->dest);
  // lwIP gives link-local addresses their zone (as ip6_input does for what TCP sees).
  LWIP_UNUSED_ARG(inp);  // without zones (one interface), nothing to assign
  ip6_addr_assign_zone(ip_2_ip6(&src), IP6_UNKNOWN, inp);
  ip6_addr_assign_zone(ip_2_ip6(&dst), IP6_UNKNOWN, inp);
  SynForTimeWait(src, dst, src_port, dst_port, seq);
  return 0;
}
