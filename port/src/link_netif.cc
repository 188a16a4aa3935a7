#include "link_netif.h"

#include <cstring>

#include "lwip/etharp.h"
#include "lwip/ethip6.h"
#include "lwip/igmp.h"
#include "lwip/init.h"
#include "lwip/mld6.h"
#include "lwip/pbuf.h"
#include "lwip/stats.h"
#include "netif/ethernet.h"

namespace pmu::port {
namespace {

ip4_addr_t ToLwip(const Ipv4Address& a) {
  ip4_addr_t out;
  IP4_ADDR(&out, a.octets[0], a.octets[1], a.octets[2], a.octets[3]);
  return out;
}

}  // namespace

Status LinkNetif::Start(hal::Link& link, const hal::Clock& clock, const NetifAddresses& addresses,
                        const char* hostname) {
  link_ = &link;
  clock_ = &clock;
  ip4_addr_t ip{}, mask{}, gw{};
  if (addresses.ipv4_enabled) {
    ip = ToLwip(addresses.ipv4);
    mask = ToLwip(Ipv4Netmask(addresses.ipv4_prefix));
    if (addresses.has_ipv4_gateway) gw = ToLwip(addresses.ipv4_gateway);
  }
  if (netif_add(&netif_, &ip, &mask, &gw, this, &LinkNetif::InitThunk, netif_input) == nullptr) {
    return Internal("netif_add failed");
  }
#if LWIP_NETIF_HOSTNAME
  netif_set_hostname(&netif_, hostname);
#else
  (void)hostname;
#endif
  netif_set_default(&netif_);

  if (addresses.ipv6_enabled) {
    // Link-local fe80::/64 from the MAC (modified EUI-64), then the configured global
    // address. Both start TENTATIVE; lwIP runs duplicate address detection once the
    // netif is up and only then uses them.
    netif_create_ip6_linklocal_address(&netif_, 1);
    ip6_addr_t global;
    std::memcpy(global.addr, addresses.ipv6.octets.data(), 16);
    ip6_addr_clear_zone(&global);
    s8_t slot = -1;
    if (netif_add_ip6_address(&netif_, &global, &slot) != ERR_OK) {
      return ResourceExhausted("no free IPv6 address slot");
    }
  }
  netif_set_up(&netif_);
  PollLinkState();
  return Status::Ok();
}

err_t LinkNetif::InitThunk(netif* nif) {
  auto* self = static_cast<LinkNetif*>(nif->state);
  const MacAddress mac = self->link_->mac();
  nif->name[0] = 'e';
  nif->name[1] = 'n';
  nif->hwaddr_len = ETH_HWADDR_LEN;
  std::memcpy(nif->hwaddr, mac.octets.data(), ETH_HWADDR_LEN);
  nif->mtu = 1500;
  nif->mtu6 = 1500;
  nif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET | NETIF_FLAG_IGMP |
               NETIF_FLAG_MLD6;
  nif->output = etharp_output;
  nif->output_ip6 = ethip6_output;
  nif->linkoutput = &LinkNetif::LinkOutputThunk;
  return ERR_OK;
}

err_t LinkNetif::LinkOutputThunk(netif* nif, pbuf* p) {
  return static_cast<LinkNetif*>(nif->state)->LinkOutput(p);
}

err_t LinkNetif::LinkOutput(pbuf* p) {
  // A frame in one pbuf goes out as is; a chain is gathered into one buffer first.
  ByteSpan frame;
  if (p->next == nullptr) {
    frame = AsBytes(p->payload, p->len);
  } else {
    if (p->tot_len > sizeof(tx_frame_)) {
      ++counters_.tx_dropped;
      LINK_STATS_INC(link.drop);
      return ERR_BUF;
    }
    pbuf_copy_partial(p, tx_frame_, p->tot_len, 0);
    frame = ByteSpan(tx_frame_, p->tot_len);
  }
  const Status s = Transmit(frame);
  // A full transmit queue drops the frame, as a busy wire would; TCP retransmits.
  if (!s.ok()) return s.code() == StatusCode::kUnavailable ? ERR_IF : ERR_OK;
  return ERR_OK;
}

Status LinkNetif::Transmit(ByteSpan frame) {
  const Status s = link_->Send(frame);
  // The link's stamp where it has one, else as close to the wire as this glue gets:
  // the link has taken the frame.
  tx_stamp_ns_ = link_->SentAtNs();
  if (tx_stamp_ns_ == 0) tx_stamp_ns_ = clock_->MonotonicNs();
  if (!s.ok()) {
    ++counters_.tx_dropped;
    LINK_STATS_INC(link.drop);
    return s;
  }
  ++counters_.tx_frames;
  counters_.tx_bytes += frame.size();
  LINK_STATS_INC(link.xmit);
  return s;
}

void LinkNetif::SetRawReceiver(std::uint16_t ethertype, RawReceiver receiver, void* context) {
  raw_ethertype_ = ethertype;
  raw_receiver_ = receiver;
  raw_context_ = context;
}

Status LinkNetif::SendRaw(ByteSpan frame) {
  if (link_ == nullptr) return FailedPrecondition("the link is not started");
  return Transmit(frame);
}

std::size_t LinkNetif::PollInput(std::size_t max_frames) {
  std::size_t handled = 0;
  while (handled < max_frames) {
    pbuf* p = pbuf_alloc(PBUF_RAW, hal::Link::kMaxFrameSize, PBUF_POOL);
    if (p == nullptr) {
      // Out of receive buffers: leave the frames in the link's queue for the next
      // round, when lwIP has freed some.
      LINK_STATS_INC(link.memerr);
      break;
    }
    // PBUF_POOL_BUFSIZE holds a whole frame, so the pbuf is one buffer.
    const Result<std::size_t> got = link_->Receive(AsWritableBytes(p->payload, p->len));
    // The link's stamp from the frame's arrival where it has one, else now.
    rx_stamp_ns_ = link_->ReceivedAtNs();
    if (rx_stamp_ns_ == 0) rx_stamp_ns_ = clock_->MonotonicNs();
    if (!got.ok()) {
      pbuf_free(p);
      ++counters_.rx_dropped;
      LINK_STATS_INC(link.drop);
      if (got.status().code() == StatusCode::kDataLoss) continue;  // skip the bad frame
      break;
    }
    if (*got == 0) {
      pbuf_free(p);
      break;
    }
    pbuf_realloc(p, static_cast<u16_t>(*got));
    ++handled;
    ++counters_.rx_frames;
    counters_.rx_bytes += *got;
    LINK_STATS_INC(link.recv);
    if (raw_receiver_ != nullptr && *got >= 14) {
      const ByteSpan frame = AsBytes(p->payload, *got);
      std::uint16_t type = LoadBe16(frame.data() + 12);
      if (type == 0x8100 && *got >= 18) type = LoadBe16(frame.data() + 16);  // one VLAN tag
      if (type == raw_ethertype_) {
        raw_receiver_(raw_context_, frame);
        pbuf_free(p);
        continue;
      }
    }
    if (netif_.input(p, &netif_) != ERR_OK) pbuf_free(p);
  }
  return handled;
}

void LinkNetif::PollLinkState() {
  const bool up = link_->IsUp();
  if (up && !netif_is_link_up(&netif_)) {
    netif_set_link_up(&netif_);
  } else if (!up && netif_is_link_up(&netif_)) {
    netif_set_link_down(&netif_);
  }
}

bool LinkNetif::Ipv6AddressValid(int slot) const {
  return slot >= 0 && slot < LWIP_IPV6_NUM_ADDRESSES &&
         ip6_addr_isvalid(netif_ip6_addr_state(&netif_, slot));
}

}  // namespace pmu::port
