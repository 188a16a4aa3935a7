#include "pmu/port/network.h"

#include <cstring>

#include "link_netif.h"
#include "lwip/init.h"
#include "lwip/memp.h"
#include "lwip/netif.h"
#include "lwip/stats.h"
#include "lwip/timeouts.h"
#include "mbedtls/version.h"
#include "pmu/port/lwip_port.h"
#include "pmu/port/tcp_guard.h"

namespace pmu::port {
namespace {

#if MEMP_STATS
// lwIP keeps pool names only in debug builds; take them from its pool list.
const char* const kPoolNames[] = {
#define LWIP_MEMPOOL(name, num, size, desc) #name,
#include "lwip/priv/memp_std.h"
};
static_assert(sizeof(kPoolNames) / sizeof(kPoolNames[0]) == MEMP_MAX);
constexpr std::size_t kPoolLines = MEMP_MAX;
#else
constexpr std::size_t kPoolLines = 0;
#endif
constexpr std::size_t kHeapLines = MEM_STATS ? 1 : 0;

// lwIP is a singleton: so is its interface, and so is where its diagnostics go (they
// have no context argument).
LinkNetif g_netif;
Network::LogFn g_log = nullptr;
void* g_log_context = nullptr;
void LwipDiagnostic(const char* line) {
  if (g_log != nullptr) g_log(g_log_context, "lwip", line);
}
void GuardLine(void*, const char* line) {
  if (g_log != nullptr) g_log(g_log_context, "tcp", line);
}

Ipv4Address FromLwip(const ip4_addr_t* a) {
  Ipv4Address out;
  std::memcpy(out.octets.data(), &a->addr, 4);
  return out;
}

Ipv6Address FromLwip(const ip6_addr_t* a) {
  Ipv6Address out;
  std::memcpy(out.octets.data(), a->addr, 16);
  return out;
}

constexpr int kWatchedAddresses = LWIP_IPV6_NUM_ADDRESSES < 3 ? LWIP_IPV6_NUM_ADDRESSES : 3;

}  // namespace

std::uint64_t LinkRxStampNs() { return g_netif.rx_stamp_ns(); }
std::uint64_t LinkTxStampNs() { return g_netif.tx_stamp_ns(); }
std::uint64_t LinkTxCount() { return g_netif.tx_count(); }
void LinkSetRawReceiver(std::uint16_t ethertype, LinkNetif::RawReceiver receiver, void* context) {
  g_netif.SetRawReceiver(ethertype, receiver, context);
}
Status LinkSendRaw(ByteSpan frame) { return g_netif.SendRaw(frame); }
MacAddress LinkMac() { return g_netif.mac(); }

const char* StackVersions() { return "lwIP " LWIP_VERSION_STRING ", " MBEDTLS_VERSION_STRING_FULL; }

Status Network::Start(const hal::Clock& clock, hal::Entropy& entropy, hal::Link& link, const NetworkSettings& settings,
                      LogFn log, void* log_context) {
  g_log = log;
  g_log_context = log_context;
  PMU_TRY(BindLwip(clock, entropy, &LwipDiagnostic));
  lwip_init();
  StartTcpGuard(settings.stall_ms, &GuardLine, nullptr);
  ipv6_ = settings.addresses.ipv6_enabled;
  return g_netif.Start(link, clock, settings.addresses, settings.hostname);
}

std::size_t Network::Poll(std::uint64_t now_ms) {
  const std::size_t frames = g_netif.PollInput(64);
  if (now_ms >= next_link_check_ms_) {
    g_netif.PollLinkState();
    next_link_check_ms_ = now_ms + 500;
  }
  sys_check_timeouts();
  return frames;
}

std::uint32_t Network::MsUntilNextTimer() const {
  const u32_t t = sys_timeouts_sleeptime();
  return t == SYS_TIMEOUTS_SLEEPTIME_INFINITE || t > 1000 ? 1000u : static_cast<std::uint32_t>(t);
}

bool Network::NextAddressEvent(AddressEvent& event) {
  if (!ipv6_) return false;
  netif* nif = g_netif.raw();
  for (int i = 0; i < kWatchedAddresses; ++i) {
    const std::uint8_t state = netif_ip6_addr_state(nif, i);
    if (state == ipv6_state_[i]) continue;
    ipv6_state_[i] = state;
    if (!ip6_addr_isvalid(state) && !ip6_addr_isduplicated(state)) continue;
    event.kind = ip6_addr_isvalid(state) ? AddressEvent::Kind::kValid : AddressEvent::Kind::kDuplicate;
    event.address = FromLwip(netif_ip6_addr(nif, i));
    return true;
  }
  return false;
}

bool Network::link_up() const { return netif_is_link_up(g_netif.raw()); }

Ipv6Address Network::LinkLocalAddress() const { return FromLwip(netif_ip6_addr(g_netif.raw(), 0)); }

void Network::Stop() {
  netif_set_down(g_netif.raw());
  g_log = nullptr;
}

void Network::MarkRestingHeap() {
#if MEM_STATS
  resting_heap_ = lwip_stats.mem.used;
#endif
}

bool Network::StatsLine(std::size_t index, ReportLine& t) const {
  std::size_t k = index;
#if MEM_STATS
  if (k == 0) {
    // resting: what was in use when the device became ready and stays for its lifetime
    // (lwIP's altcp_tls takes the TLS servers' configurations from its heap).
    t.Format("heap used=%u peak=%u size=%u failures=%u resting=%u", static_cast<unsigned>(lwip_stats.mem.used),
             static_cast<unsigned>(lwip_stats.mem.max), static_cast<unsigned>(lwip_stats.mem.avail),
             static_cast<unsigned>(lwip_stats.mem.err), static_cast<unsigned>(resting_heap_));
    return true;
  }
#endif
  k -= kHeapLines;
#if MEMP_STATS
  if (k < kPoolLines) {
    const stats_mem* m = lwip_stats.memp[k];
    t.Format("pool %s used=%u peak=%u size=%u failures=%u", kPoolNames[k], static_cast<unsigned>(m->used),
             static_cast<unsigned>(m->max), static_cast<unsigned>(m->avail), static_cast<unsigned>(m->err));
    return true;
  }
#endif
  k -= kPoolLines;
  if (k == 0) {
    const LinkCounters& l = g_netif.counters();
    t.Format("link rx=%llu frames/%llu bytes (dropped %llu) tx=%llu frames/%llu bytes (dropped %llu)",
             static_cast<unsigned long long>(l.rx_frames), static_cast<unsigned long long>(l.rx_bytes),
             static_cast<unsigned long long>(l.rx_dropped), static_cast<unsigned long long>(l.tx_frames),
             static_cast<unsigned long long>(l.tx_bytes), static_cast<unsigned long long>(l.tx_dropped));
    return true;
  }
  if (k == 1) {
    const TcpGuardStats g = GetTcpGuardStats();
    t.Format("tcp tracked=%u peak=%u accept_without_pcb=%u time_wait_reused=%u pinned_peers=%u",
             static_cast<unsigned>(g.tracked), static_cast<unsigned>(g.tracked_peak),
             static_cast<unsigned>(g.accept_without_pcb), static_cast<unsigned>(g.time_wait_reused),
             static_cast<unsigned>(g.pinned_peers));
    return true;
  }
  return false;
}

bool Network::InterfaceLine(std::size_t index, ReportLine& t) const {
  netif* nif = g_netif.raw();
  if (index == 0) {
    MacAddress mac;
    std::memcpy(mac.octets.data(), nif->hwaddr, 6);
    t.Format("%c%c%u: MAC %s, link %s, MTU %u", nif->name[0], nif->name[1], nif->num, FormatMac(mac).c_str(),
             netif_is_link_up(nif) ? "up" : "down", nif->mtu);
    return true;
  }
  if (index == 1) {
    if (ip4_addr_isany_val(*netif_ip4_addr(nif))) {
      t.Append("IPv4 disabled");
      return true;
    }
    unsigned prefix = 0;
    for (std::uint8_t byte : FromLwip(netif_ip4_netmask(nif)).octets) {
      for (; byte != 0; byte = static_cast<std::uint8_t>(byte << 1)) ++prefix;
    }
    t.Format("IPv4 %s/%u gateway %s", FormatIpv4(FromLwip(netif_ip4_addr(nif))).c_str(), prefix,
             ip4_addr_isany_val(*netif_ip4_gw(nif)) ? "none" : FormatIpv4(FromLwip(netif_ip4_gw(nif))).c_str());
    return true;
  }
  const std::size_t slot = index - 2;
  if (!ipv6_) {
    if (slot != 0) return false;
    t.Append("IPv6 disabled");
    return true;
  }
  if (slot >= LWIP_IPV6_NUM_ADDRESSES) return false;
  const std::uint8_t state = netif_ip6_addr_state(nif, static_cast<s8_t>(slot));
  if (ip6_addr_isinvalid(state)) {
    t.Format("IPv6 slot %u: unused", static_cast<unsigned>(slot));
    return true;
  }
  t.Format("IPv6 %s (%s)", FormatIpv6(FromLwip(netif_ip6_addr(nif, slot))).c_str(),
           ip6_addr_isvalid(state)        ? "valid"
           : ip6_addr_istentative(state)  ? "tentative"
           : ip6_addr_isduplicated(state) ? "duplicate"
                                          : "other");
  return true;
}

}  // namespace pmu::port
