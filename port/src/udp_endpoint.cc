#include "pmu/port/udp_endpoint.h"

#include <cstring>

#include "lwip/igmp.h"
#include "lwip/ip_addr.h"
#include "lwip/mld6.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/udp.h"
#include "link_netif.h"
#include "pmu/port/lwip_status.h"

namespace pmu::port {
namespace {

UdpPeer FromLwip(const ip_addr_t* addr, u16_t port) {
  UdpPeer peer;
  peer.port = port;
  if (addr == nullptr) return peer;
  peer.ipv6 = IP_IS_V6(addr);
  if (peer.ipv6) {
    std::memcpy(peer.address.data(), ip_2_ip6(addr)->addr, 16);
  } else {
    std::memcpy(peer.address.data(), &ip_2_ip4(addr)->addr, 4);
  }
  return peer;
}

ip_addr_t ToLwip(const UdpPeer& peer) {
  ip_addr_t addr;
  if (peer.ipv6) {
    ip_addr_set_zero_ip6(&addr);
    std::memcpy(ip_2_ip6(&addr)->addr, peer.address.data(), 16);
    // A multicast or link-local destination needs the interface's zone (a no-op
    // without zones, that is with a single interface).
    ip6_addr_assign_zone(ip_2_ip6(&addr), IP6_UNKNOWN, netif_default);
  } else {
    ip_addr_set_zero_ip4(&addr);
    std::memcpy(&ip_2_ip4(&addr)->addr, peer.address.data(), 4);
  }
  return addr;
}

}  // namespace

struct UdpEndpoint::Callbacks {
  static void Recv(void* arg, udp_pcb*, pbuf* p, const ip_addr_t* addr, u16_t port) {
    auto* self = static_cast<UdpEndpoint*>(arg);
    // Copy out, free, then hand over: the receiver never holds a receive buffer.
    const std::size_t size = p->tot_len;
    const auto room = static_cast<u16_t>(self->buffer_.size() < 0xFFFF ? self->buffer_.size() : 0xFFFF);
    const u16_t n = pbuf_copy_partial(p, self->buffer_.data(), room, 0);
    pbuf_free(p);
    self->received_at_ns_ = LinkRxStampNs();
    self->receiver_(self->context_, ByteSpan(self->buffer_.data(), n), size, FromLwip(addr, port));
  }
};

UdpPeer UdpPeer::V4(const Ipv4Address& a, std::uint16_t port) {
  UdpPeer peer;
  std::memcpy(peer.address.data(), a.octets.data(), 4);
  peer.port = port;
  return peer;
}

UdpPeer UdpPeer::V6(const Ipv6Address& a, std::uint16_t port) {
  UdpPeer peer;
  peer.ipv6 = true;
  std::memcpy(peer.address.data(), a.octets.data(), 16);
  peer.port = port;
  return peer;
}

PeerText UdpPeer::Text() const {
  const ip_addr_t addr = ToLwip(*this);
  return FormatPeer(&addr, port);
}

UdpEndpoint::~UdpEndpoint() {
  if (pcb_ != nullptr) udp_remove(pcb_);
}

Status UdpEndpoint::Open(std::uint16_t port, MutableByteSpan buffer, Receiver receiver, void* context) {
  if (pcb_ != nullptr) return FailedPrecondition("UDP endpoint already open");
  buffer_ = buffer;
  receiver_ = receiver;
  context_ = context;
  pcb_ = udp_new_ip_type(IPADDR_TYPE_ANY);
  if (pcb_ == nullptr) return ResourceExhausted("no UDP PCB");
  const err_t err = udp_bind(pcb_, IP_ANY_TYPE, port);
  if (err != ERR_OK) {
    udp_remove(pcb_);
    pcb_ = nullptr;
    return FromLwipErr(err);
  }
  udp_recv(pcb_, &Callbacks::Recv, this);
  return Status::Ok();
}

Status UdpEndpoint::SendTo(ByteSpan datagram, const UdpPeer& to) {
  if (pcb_ == nullptr) return FailedPrecondition("UDP endpoint not open");
  if (datagram.size() > 0xFFFF) return InvalidArgument("datagram larger than 64 KiB");
  pbuf* p = pbuf_alloc(PBUF_TRANSPORT, static_cast<u16_t>(datagram.size()), PBUF_RAM);
  if (p == nullptr) return ResourceExhausted("no memory for a datagram");
  pbuf_take(p, datagram.data(), static_cast<u16_t>(datagram.size()));
  const ip_addr_t addr = ToLwip(to);
  const std::uint64_t sent_before = LinkTxCount();
  // Multicast leaves on the device's interface (the groups are joined there).
  const err_t err = ip_addr_ismulticast(&addr) && netif_default != nullptr
                        ? udp_sendto_if(pcb_, p, &addr, to.port, netif_default)
                        : udp_sendto(pcb_, p, &addr, to.port);
  pbuf_free(p);
  sent_at_ns_ = LinkTxCount() != sent_before ? LinkTxStampNs() : 0;
  return FromLwipErr(err);
}

void UdpEndpoint::SetMulticastTtl(std::uint8_t ttl) {
  if (pcb_ != nullptr) udp_set_multicast_ttl(pcb_, ttl);
}

Status UdpEndpoint::JoinGroup(const UdpPeer& group) {
  if (netif_default == nullptr) return FailedPrecondition("no network interface");
  const ip_addr_t addr = ToLwip(group);
  const err_t err = group.ipv6 ? mld6_joingroup_netif(netif_default, ip_2_ip6(&addr))
                               : igmp_joingroup_netif(netif_default, ip_2_ip4(&addr));
  return FromLwipErr(err);
}

}  // namespace pmu::port
