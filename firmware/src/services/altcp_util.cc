#include "altcp_util.h"

#include "lwip/altcp_tcp.h"
#include "lwip/ip_addr.h"
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
