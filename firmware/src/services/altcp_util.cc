#include "altcp_util.h"

#include "lwip/altcp_tcp.h"
#include "lwip/ip_addr.h"
#include "lwip/tcp.h"
#include "pmu/base/ip_address.h"
#include "pmu/port/lwip_status.h"

namespace pmu::firmware {

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

PeerText RemotePeer(altcp_pcb* pcb) {
  ip_addr_t addr;
  u16_t port = 0;
  if (altcp_get_tcp_addrinfo(pcb, 0, &addr, &port) != ERR_OK) return PeerText(std::string_view("?"));
  return FormatPeer(&addr, port);
}

void DetachCallbacks(altcp_pcb* pcb) {
  altcp_arg(pcb, nullptr);
  altcp_recv(pcb, nullptr);
  altcp_sent(pcb, nullptr);
  altcp_err(pcb, nullptr);
  altcp_poll(pcb, nullptr, 0);
}

void DetachAndAbort(altcp_pcb* pcb) {
  DetachCallbacks(pcb);
  altcp_abort(pcb);
}

err_t CloseOrAbort(altcp_pcb* pcb) {
  if (altcp_close(pcb) == ERR_OK) return ERR_OK;
  altcp_abort(pcb);
  return ERR_ABRT;
}

void AckNow(altcp_pcb* pcb) {
  // The innermost connection of an altcp stack is altcp_tcp, whose state is the
  // tcp_pcb (lwIP's altcp_tcp.c); altcp has no call of its own for this.
  while (pcb != nullptr && pcb->inner_conn != nullptr) pcb = pcb->inner_conn;
  if (pcb == nullptr || pcb->state == nullptr) return;
  auto* tpcb = static_cast<tcp_pcb*>(pcb->state);
  tcp_set_flags(tpcb, TF_ACK_NOW);
  tcp_output(tpcb);
}

Result<altcp_pcb*> ListenDualStack(altcp_allocator_t* allocator, std::uint16_t port, void* arg,
                                   altcp_accept_fn accept) {
  altcp_pcb* pcb = allocator ? altcp_new_ip_type(allocator, IPADDR_TYPE_ANY)
                             : altcp_tcp_new_ip_type(IPADDR_TYPE_ANY);
  if (pcb == nullptr) return ResourceExhausted("no TCP PCB for a listener");
  const err_t err = altcp_bind(pcb, IP_ANY_TYPE, port);
  if (err != ERR_OK) {
    altcp_close(pcb);
    return port::FromLwipErr(err);
  }
  altcp_pcb* listener = altcp_listen(pcb);
  if (listener == nullptr) {
    altcp_close(pcb);
    return ResourceExhausted("no TCP listen PCB");
  }
  altcp_arg(listener, arg);
  altcp_accept(listener, accept);
  return listener;
}

}  // namespace pmu::firmware
