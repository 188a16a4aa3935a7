#include "pmu/firmware/services/bulletin_service.h"

#include <cinttypes>
#include <cstring>

namespace pmu::firmware {
namespace {
constexpr const char* kTag = "mcast";
}

Status BulletinService::Start(DescribeState describe, void* describe_context) {
  const DeviceConfig& c = ctx_.config;
  describe_ = describe;
  describe_context_ = describe_context;
  group4_ = port::UdpPeer::V4(c.bulletin_group4, c.bulletin_port);
  group6_ = port::UdpPeer::V6(c.bulletin_group6, c.bulletin_port);
  PMU_TRY(endpoint_.Open(c.bulletin_port, datagram_, &BulletinService::OnDatagram, this));
  endpoint_.SetMulticastTtl(c.bulletin_ttl);
  if (c.ipv4_enabled) PMU_TRY(endpoint_.JoinGroup(group4_));
  if (c.ipv6_enabled) PMU_TRY(endpoint_.JoinGroup(group6_));
  PMU_LOG_INFO(ctx_.log, kTag, "bulletin channel on UDP port %u: %s%s%s, identifier '%s', every %" PRIu32 " s",
               c.bulletin_port, c.ipv4_enabled ? FormatIpv4(c.bulletin_group4).c_str() : "",
               c.ipv4_enabled && c.ipv6_enabled ? " and " : "",
               c.ipv6_enabled ? FormatIpv6(c.bulletin_group6).c_str() : "", c.bulletin_id.c_str(),
               c.bulletin_period_s);
  timer_.Start(c.bulletin_period_s * 1000, &BulletinService::OnTimer, this);
  return Status::Ok();
}

void BulletinService::OnTimer(void* context) {
  auto* self = static_cast<BulletinService*>(context);
  const DeviceConfig& c = self->ctx_.config;
  BulletinText text;
  self->describe_(self->describe_context_, text);
  self->SendToGroups(text.view(), c.ipv4_enabled, c.ipv6_enabled);
  self->timer_.Start(c.bulletin_period_s * 1000, &BulletinService::OnTimer, self);
}

void BulletinService::SendToGroups(std::string_view text, bool ipv4, bool ipv6) {
  if (ipv4) Send(text, group4_);
  if (ipv6) Send(text, group6_);
}

void BulletinService::Send(std::string_view text, const port::UdpPeer& group) {
  char datagram[proto::kBulletinIdLength + BulletinText::capacity()];
  const std::size_t n = proto::FormatBulletin(ctx_.config.bulletin_id.view(), text, datagram);
  if (n == 0) return;
  const Status s = endpoint_.SendTo(AsBytes(datagram, n), group);
  if (s.ok()) {
    ++counters_.sent;
  } else {
    // An IPv6 group before duplicate address detection has finished, for example.
    PMU_LOG_DEBUG(ctx_.log, kTag, "bulletin not sent: %s", s.message());
  }
}

void BulletinService::OnDatagram(void* self, ByteSpan datagram, std::size_t size, const port::UdpPeer& from) {
  static_cast<BulletinService*>(self)->Handle(datagram, size, from);
}

void BulletinService::Handle(ByteSpan datagram, std::size_t size, const port::UdpPeer& from) {
  const bool ipv6 = from.ipv6;
  const port::PeerText peer = from.Text();
  if (size > proto::kMaxBulletinDatagram) {
    ++counters_.dropped;
    PMU_LOG_WARN(ctx_.log, kTag, "%s dropped: oversized datagram of %u bytes", peer.c_str(),
                 static_cast<unsigned>(size));
    return;
  }
  const Result<proto::BulletinDatagram> d = proto::ParseBulletin(datagram);
  if (!d.ok()) {
    ++counters_.dropped;
    PMU_LOG_WARN(ctx_.log, kTag, "%s dropped a datagram of %u bytes: %s", peer.c_str(),
                 static_cast<unsigned>(size), d.status().message());
    return;
  }
  ++counters_.received;
  const std::string_view id = proto::TrimBulletinId(d->id);
  PMU_LOG_INFO(ctx_.log, kTag, "[%.*s] from %s: %u characters: %.*s%s", static_cast<int>(id.size()),
               id.data(), peer.c_str(), static_cast<unsigned>(d->characters),
               static_cast<int>(std::min<std::size_t>(d->text.size(), 80)), d->text.data(),
               d->text.size() > 80 ? "..." : "");
  if (d->characters <= proto::kBulletinTextLimit) return;

  const std::uint64_t now = ctx_.clock.MonotonicMs();
  if (now - answer_window_ms_ >= 1000) {
    answer_window_ms_ = now;
    answers_in_window_ = 0;
  }
  if (answers_in_window_ >= kAnswersPerSecond) {
    ++counters_.suppressed;
    PMU_LOG_WARN(ctx_.log, kTag, "[%.*s] over-long text not answered: more than %" PRIu32 " answers this second",
                 static_cast<int>(id.size()), id.data(), kAnswersPerSecond);
    return;
  }
  ++answers_in_window_;
  BulletinText answer;
  answer.Format("to [%.*s]: your text has %u characters; the limit is %u", static_cast<int>(id.size()),
                id.data(), static_cast<unsigned>(d->characters), static_cast<unsigned>(proto::kBulletinTextLimit));
  SendToGroups(answer.view(), !ipv6, ipv6);
  ++counters_.answers;
  PMU_LOG_INFO(ctx_.log, kTag, "answered [%.*s] in the IPv%c group: %u characters > %u",
               static_cast<int>(id.size()), id.data(), ipv6 ? '6' : '4', static_cast<unsigned>(d->characters),
               static_cast<unsigned>(proto::kBulletinTextLimit));
}

bool BulletinService::StatsLine(std::size_t index, ReportLine& t) const {
  if (index != 0) return false;
  const BulletinCounters& b = counters_;
  t.Format("mcast sent=%" PRIu32 " received=%" PRIu32 " dropped=%" PRIu32 " answers=%" PRIu32 " suppressed=%" PRIu32,
           b.sent, b.received, b.dropped, b.answers, b.suppressed);
  return true;
}

}  // namespace pmu::firmware
