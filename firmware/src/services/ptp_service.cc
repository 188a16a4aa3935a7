#include "pmu/firmware/services/ptp_service.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>

namespace pmu::firmware {
namespace {

namespace ptp = proto::ptp;

constexpr const char* kTag = "ptp";
constexpr std::uint32_t kTickMs = 250;
const Ipv4Address kPtpGroup{{224, 0, 1, 129}};
const Ipv4Address kPeerDelayGroup{{224, 0, 0, 107}};  // 1588-2008 Annex D

// "001122.fffe.334455-1", as ptp4l writes a port identity.
FixedString<24> FormatPortIdentity(const ptp::PortIdentity& id) {
  FixedString<24> s;
  const auto& c = id.clock;
  s.Format("%02x%02x%02x.%02x%02x.%02x%02x%02x-%u", c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7],
           static_cast<unsigned>(id.port));
  return s;
}

}  // namespace

Status PtpService::Start(const PtpSettings& settings, const MacAddress& mac, std::uint32_t stamp_uncertainty_ns) {
  const auto& m = mac.octets;
  const bool peer = settings.delay == DelayMechanism::kPeer;
  slave_.Configure(settings.domain, {m[0], m[1], m[2], 0xFF, 0xFE, m[3], m[4], m[5]}, stamp_uncertainty_ns,
                   settings.delay);
  l2_ = settings.ethernet;
  if (l2_) {
#if PMU_WITH_PTP_L2
    PMU_TRY(ethernet_.Open(ptp::kEtherType, buffer_, &PtpService::OnFrame, this));
#else
    return FailedPrecondition("PTP over Ethernet is not in this image");
#endif
  } else {
    PMU_TRY(event_.Open(ptp::kEventPort, buffer_, &PtpService::OnDatagram, this));
    PMU_TRY(general_.Open(ptp::kGeneralPort, buffer_, &PtpService::OnDatagram, this));
    event_.SetMulticastTtl(1);
    general_.SetMulticastTtl(1);
    PMU_TRY(event_.JoinGroup(port::UdpPeer::V4(kPtpGroup, 0)));
    if (peer) PMU_TRY(event_.JoinGroup(port::UdpPeer::V4(kPeerDelayGroup, 0)));
  }
  tick_.Start(kTickMs, &PtpService::OnTick, this);
  started_ = true;
  PMU_LOG_INFO(ctx_.log, kTag,
               "slave %s on %s, domain %u, %s delay, link time stamps late by up to %lu ns: unsynchronised until "
               "it locks",
               FormatPortIdentity({{m[0], m[1], m[2], 0xFF, 0xFE, m[3], m[4], m[5]}, 1}).c_str(),
               l2_ ? "Ethernet (EtherType 0x88F7, 01-1B-19-00-00-00)" : "UDP 319/320, group 224.0.1.129",
               static_cast<unsigned>(settings.domain), peer ? "peer" : "end-to-end",
               static_cast<unsigned long>(stamp_uncertainty_ns));
  return Status::Ok();
}

void PtpService::OnDatagram(void* context, ByteSpan datagram, std::size_t size, const port::UdpPeer& from) {
  auto* self = static_cast<PtpService*>(context);
  if (from.ipv6) return;
  // The stamp of the frame being handled: the newer of the two endpoints' (the other
  // holds an earlier frame's).
  const std::uint64_t rx_ns = self->event_.received_at_ns() > self->general_.received_at_ns()
                                  ? self->event_.received_at_ns()
                                  : self->general_.received_at_ns();
  self->Handle(datagram, size, rx_ns);
}

#if PMU_WITH_PTP_L2
void PtpService::OnFrame(void* context, ByteSpan payload, std::size_t size, const MacAddress& from) {
  (void)from;
  auto* self = static_cast<PtpService*>(context);
  self->Handle(payload, size, self->ethernet_.received_at_ns());
}
#endif

void PtpService::Handle(ByteSpan datagram, std::size_t size, std::uint64_t rx_ns) {
  // `datagram` holds the first kMaxMessage bytes of `size`: TLVs beyond are not read.
  const Result<ptp::Message> m = ptp::Parse(datagram, size);
  if (!m.ok()) {
    slave_.Malformed();
    PMU_LOG_DEBUG(ctx_.log, kTag, "ignored: %s", m.status().message());
    return;
  }
  switch (slave_.Receive(*m, rx_ns, ctx_.clock.MonotonicNs())) {
    case PtpSlave::Reply::kNone: break;
    case PtpSlave::Reply::kDelayRequest: SendDelayReq(); break;
    case PtpSlave::Reply::kPeerDelayAnswer: AnswerPeerDelay(); break;
  }
  FollowState();
}

std::uint64_t PtpService::Send(ByteSpan message, bool event, bool peer) {
  Status s = Status::Ok();
  std::uint64_t stamp = 0;
#if PMU_WITH_PTP_L2
  if (l2_) {
    MacAddress to;
    const auto& group = peer ? ptp::kL2PeerGroup : ptp::kL2Group;
    std::copy(group.begin(), group.end(), to.octets.begin());
    s = ethernet_.SendTo(to, message);
    stamp = ethernet_.sent_at_ns();
  }
#endif
  if (!l2_) {
    port::UdpEndpoint& e = event ? event_ : general_;
    s = e.SendTo(message, port::UdpPeer::V4(peer ? kPeerDelayGroup : kPtpGroup,
                                             event ? ptp::kEventPort : ptp::kGeneralPort));
    stamp = e.sent_at_ns();
  }
  if (!s.ok()) {
    ++send_failures_;
    return 0;
  }
  return stamp;
}

void PtpService::SendDelayReq() {
  std::byte out[ptp::kPdelaySize];
  const std::size_t n = slave_.WriteDelayReq(out);
  slave_.DelayReqSent(Send(ByteSpan(out, n), true, slave_.mechanism() == DelayMechanism::kPeer));
}

void PtpService::AnswerPeerDelay() {
  std::byte out[ptp::kPdelaySize];
  slave_.PeerDelayRespSent(Send(ByteSpan(out, slave_.WritePeerDelayResp(out)), true, true));
  if (const std::size_t n = slave_.WritePeerDelayRespFollowUp(out); n > 0) Send(ByteSpan(out, n), false, true);
}

void PtpService::OnTick(void* context) {
  auto* self = static_cast<PtpService*>(context);
  self->slave_.Tick(self->ctx_.clock.MonotonicNs());
  self->FollowState();
  self->tick_.Start(kTickMs, &PtpService::OnTick, self);
}

void PtpService::FollowState() {
  const PtpState state = slave_.state();
  const ptp::PortIdentity master = slave_.master();
  if (state == logged_state_ && master == logged_master_) return;
  if (!(master == logged_master_) && slave_.has_master()) {
    const ptp::PowerProfileTlv power = slave_.master_power_profile();
    if (power.present) {
      PMU_LOG_INFO(ctx_.log, kTag, "master %s selected: C37.238-%s grandmaster %u, time inaccuracy %llu ns",
                   FormatPortIdentity(master).c_str(), power.subtype == 1 ? "2011" : "2017",
                   static_cast<unsigned>(power.grandmaster_id), static_cast<unsigned long long>(power.inaccuracy_ns));
    } else {
      PMU_LOG_INFO(ctx_.log, kTag, "master %s selected", FormatPortIdentity(master).c_str());
    }
  }
  if (state != logged_state_) {
    if (state == PtpState::kListening) {
      PMU_LOG_WARN(ctx_.log, kTag, "master %s lost: holdover", FormatPortIdentity(logged_master_).c_str());
    } else if (state == PtpState::kSlave) {
      PMU_LOG_INFO(ctx_.log, kTag, "locked to %s: error within %llu ns", FormatPortIdentity(master).c_str(),
                   static_cast<unsigned long long>(ctx_.clock.Error().error_ns));
    } else {
      PMU_LOG_INFO(ctx_.log, kTag, "%s", PtpStateName(state));
    }
  }
  logged_state_ = state;
  logged_master_ = master;
}

bool PtpService::StatsLine(std::size_t index, ReportLine& t) const {
  if (index > 1 || !started_) return false;
  const TimeError e = ctx_.clock.Error();
  if (index == 0) {
    char delay[24] = "none";
    if (slave_.has_path_delay()) std::snprintf(delay, sizeof(delay), "%lld", static_cast<long long>(slave_.mean_path_delay_ns()));
    t.Format("ptp state=%s master=%s offset_ns=%lld mean_path_delay_ns=%s freq_ppb=%+.3f clock=%s error_ns=%llu",
             PtpStateName(slave_.state()),
             slave_.has_master() ? FormatPortIdentity(slave_.master()).c_str() : "none",
             static_cast<long long>(slave_.last_offset_ns()), delay,
             static_cast<double>(ctx_.clock.frequency_ppt()) / 1000.0, SyncStateName(e.state),
             static_cast<unsigned long long>(e.error_ns));
    return true;
  }
  const PtpCounters& c = slave_.counters();
  t.Format("ptp received=%" PRIu32 " malformed=%" PRIu32 " other_domain=%" PRIu32 " announces=%" PRIu32
           " syncs=%" PRIu32 " delay_req=%" PRIu32 " delay_resp=%" PRIu32 " peer_answers=%" PRIu32
           " steps=%" PRIu32
           " master_changes=%" PRIu32 " master_losses=%" PRIu32 " outliers=%" PRIu32 " spikes=%" PRIu32
           " send_failures=%" PRIu32,
           c.received, c.malformed, c.other_domain, c.announces, c.syncs, c.delay_requests, c.delay_responses,
           c.peer_requests, c.steps, c.master_changes, c.master_losses, c.outliers, c.spikes, send_failures_);
  return true;
}

}  // namespace pmu::firmware
