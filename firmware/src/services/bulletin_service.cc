#include "pmu/firmware/services/bulletin_service.h"

#include <cinttypes>
#include <cstring>

#include "pmu/port/connection.h"
#include "lwip/igmp.h"
#include "lwip/mld6.h"
#include "lwip/timeouts.h"
#include "pmu/port/lwip_status.h"
#include "pmu/proto/bulletin.h"

namespace pmu::firmware {

BulletinService::~BulletinService() {
  if (timer_armed_) sys_untimeout(&BulletinService::OnTimer, this);
}

Status BulletinService::Start(netif* nif, DescribeState describe, void* describe_context) {
  const DeviceConfig& c = ctx_.config;
  netif_ = nif;
  describe_ = describe;
  describe_context_ = describe_context;
  IP_ADDR4(&group4_, c.bulletin_group4.octets[0], c.bulletin_group4.octets[1], c.bulletin_group4.octets[2],
           c.bulletin_group4.octets[3]);
  ip_addr_set_zero_ip6(&group6_);
  std::memcpy(ip_2_ip6(&group6_)->addr, c.bulletin_group6.octets.data(), 16);
  ip6_addr_assign_zone(ip_2_ip6(&group6_), IP6_MULTICAST, nif);

  pcb_ = udp_new_ip_type(IPADDR_TYPE_ANY);
  if (pcb_ == nullptr) return ResourceExhausted("no UDP PCB for the bulletin channel");
  err_t err = udp_bind(pcb_, IP_ANY_TYPE, c.bulletin_port);
  if (err != ERR_OK) return port::FromLwipErr(err);
  udp_set_multicast_ttl(pcb_, c.bulletin_ttl);
  udp_recv(pcb_, &BulletinService::OnRecv, this);
  if (c.ipv4_enabled) {
    err = igmp_joingroup_netif(nif, ip_2_ip4(&group4_));
    if (err != ERR_OK) return port::FromLwipErr(err);
  }
  if (c.ipv6_enabled) {
    err = mld6_joingroup_netif(nif, ip_2_ip6(&group6_));
    if (err != ERR_OK) return port::FromLwipErr(err);
  }
  PMU_LOG_INFO(ctx_.log, "mcast", "bulletin channel on UDP port %u: %s%s%s, identifier '%s', every %" PRIu32 " s",
               c.bulletin_port, c.ipv4_enabled ? FormatIpv4(c.bulletin_group4).c_str() : "",
               c.ipv4_enabled && c.ipv6_enabled ? " and " : "",
               c.ipv6_enabled ? FormatIpv6(c.bulletin_group6).c_str() : "", c.bulletin_id.c_str(),
               c.bulletin_period_s);
  sys_timeout(c.bulletin_period_s * 1000, &BulletinService::OnTimer, this);
  timer_armed_ = true;
  return Status::Ok();
}

void BulletinService::OnTimer(void* arg) {
  auto* self = static_cast<BulletinService*>(arg);
  const DeviceConfig& c = self->ctx_.config;
  BulletinText text;
  self->describe_(self->describe_context_, text);
  self->SendToGroups(text.view(), c.ipv4_enabled, c.ipv6_enabled);
  sys_timeout(c.bulletin_period_s * 1000, &BulletinService::OnTimer, self);
}

void BulletinService::SendToGroups(std::string_view text, bool ipv4, bool ipv6) {
  if (ipv4) Send(text, group4_);
  if (ipv6) Send(text, group6_);
}

void BulletinService::Send(std::string_view text, const ip_addr_t& group) {
  char datagram[proto::kBulletinIdLength + BulletinText::capacity()];
  const std::size_t n = proto::FormatBulletin(ctx_.config.bulletin_id.view(), text, datagram);
  if (n == 0) return;
  pbuf* p = pbuf_alloc(PBUF_TRANSPORT, static_cast<u16_t>(n), PBUF_RAM);
  if (p == nullptr) {
    PMU_LOG_WARN(ctx_.log, "mcast", "no memory for a bulletin");
    return;
  }
  pbuf_take(p, datagram, static_cast<u16_t>(n));
  const err_t err = udp_sendto_if(pcb_, p, &group, ctx_.config.bulletin_port, netif_);
  pbuf_free(p);
  if (err == ERR_OK) {
    ++counters_.sent;
  } else {
    // An IPv6 group before duplicate address detection has finished, for example.
    PMU_LOG_DEBUG(ctx_.log, "mcast", "bulletin not sent: %s", port::FromLwipErr(err).message());
  }
}

void BulletinService::OnRecv(void* arg, udp_pcb*, pbuf* p, const ip_addr_t* addr, u16_t port) {
  auto* self = static_cast<BulletinService*>(arg);
  const bool ipv6 = IP_IS_V6(addr);
  const port::PeerText peer = port::FormatPeer(addr, port);
  const std::size_t total = p->tot_len;
  if (total > proto::kMaxBulletinDatagram) {
    pbuf_free(p);
    ++self->counters_.dropped;
    PMU_LOG_WARN(self->ctx_.log, "mcast", "%s dropped: oversized datagram of %u bytes", peer.c_str(),
                 static_cast<unsigned>(total));
    return;
  }
  // Thin callback: copy out, free, then parse.
  static std::byte copy[proto::kMaxBulletinDatagram];  // main loop only
  const u16_t n = pbuf_copy_partial(p, copy, sizeof(copy), 0);
  pbuf_free(p);
  const Result<proto::BulletinDatagram> d = proto::ParseBulletin(ByteSpan(copy, n));
  if (!d.ok()) {
    ++self->counters_.dropped;
    PMU_LOG_WARN(self->ctx_.log, "mcast", "%s dropped a datagram of %u bytes: %s", peer.c_str(), n,
                 d.status().message());
    return;
  }
  ++self->counters_.received;
  const std::string_view id = proto::TrimBulletinId(d->id);
  PMU_LOG_INFO(self->ctx_.log, "mcast", "[%.*s] from %s: %u characters: %.*s%s", static_cast<int>(id.size()),
               id.data(), peer.c_str(), static_cast<unsigned>(d->characters),
               static_cast<int>(std::min<std::size_t>(d->text.size(), 80)), d->text.data(),
               d->text.size() > 80 ? "..." : "");
  if (d->characters <= proto::kBulletinTextLimit) return;

  const std::uint64_t now = self->ctx_.clock.MonotonicMs();
  if (now - self->answer_window_ms_ >= 1000) {
    self->answer_window_ms_ = now;
    self->answers_in_window_ = 0;
  }
  if (self->answers_in_window_ >= kAnswersPerSecond) {
    ++self->counters_.suppressed;
    PMU_LOG_WARN(self->ctx_.log, "mcast", "[%.*s] over-long text not answered: more than %" PRIu32 " answers this second",
                 static_cast<int>(id.size()), id.data(), kAnswersPerSecond);
    return;
  }
  ++self->answers_in_window_;
  BulletinText answer;
  answer.Format("to [%.*s]: your text has %u characters; the limit is %u", static_cast<int>(id.size()),
                id.data(), static_cast<unsigned>(d->characters), static_cast<unsigned>(proto::kBulletinTextLimit));
  self->SendToGroups(answer.view(), !ipv6, ipv6);
  ++self->counters_.answers;
  PMU_LOG_INFO(self->ctx_.log, "mcast", "answered [%.*s] in the IPv%c group: %u characters > %u",
               static_cast<int>(id.size()), id.data(), ipv6 ? '6' : '4', static_cast<unsigned>(d->characters),
               static_cast<unsigned>(proto::kBulletinTextLimit));
}

}  // namespace pmu::firmware
