#include "pmu/firmware/services/sntp_service.h"

#include <cinttypes>

namespace pmu::firmware {
namespace {

constexpr const char* kTag = "sntp";
constexpr std::uint32_t kTickMs = 250;

}  // namespace

Status SntpService::Start(std::uint32_t stamp_uncertainty_ns) {
  const DeviceConfig& c = ctx_.config;
  server_ = c.sntp_server_v6 ? port::UdpPeer::V6(c.sntp_server6, proto::ntp::kPort)
                             : port::UdpPeer::V4(c.sntp_server4, proto::ntp::kPort);
  client_.Configure(c.sntp_poll_s * 1000, stamp_uncertainty_ns, c.time_holdover_ppb);
  PMU_TRY(endpoint_.Open(kLocalPort, buffer_, &SntpService::OnDatagram, this));
  tick_.Start(kTickMs, &SntpService::OnTick, this);
  started_ = true;
  PMU_LOG_INFO(ctx_.log, kTag, "client of %s every %lu s from UDP %u, link time stamps late by up to %lu ns: "
               "unsynchronised until it locks", server_.Text().c_str(), static_cast<unsigned long>(c.sntp_poll_s),
               static_cast<unsigned>(kLocalPort), static_cast<unsigned long>(stamp_uncertainty_ns));
  return Status::Ok();
}

void SntpService::OnDatagram(void* context, ByteSpan datagram, std::size_t size, const port::UdpPeer& from) {
  auto* self = static_cast<SntpService*>(context);
  (void)size;  // extension fields and a MAC beyond 48 bytes are not read
  if (!(from == self->server_)) {
    ++self->strangers_;
    return;
  }
  const Status s = self->client_.Receive(datagram, self->endpoint_.received_at_ns());
  if (!s.ok()) PMU_LOG_DEBUG(self->ctx_.log, kTag, "reply not used: %s", s.message());
  self->FollowState();
}

void SntpService::SendRequest() {
  std::byte out[proto::ntp::kPacketSize];
  const std::size_t n = client_.WriteRequest(out, ctx_.clock.MonotonicNs());
  if (!endpoint_.SendTo(ByteSpan(out, n), server_).ok()) ++send_failures_;
}

void SntpService::OnTick(void* context) {
  auto* self = static_cast<SntpService*>(context);
  const std::uint64_t now = self->ctx_.clock.MonotonicNs();
  self->client_.Tick(now);
  if (self->client_.Due(now)) self->SendRequest();
  self->FollowState();
  self->tick_.Start(kTickMs, &SntpService::OnTick, self);
}

void SntpService::FollowState() {
  if (client_.stopped() && !logged_stop_) {
    PMU_LOG_WARN(ctx_.log, kTag, "%s refuses this client (kiss-o'-death): no more requests", server_.Text().c_str());
    logged_stop_ = true;
  }
  const SntpState state = client_.state();
  if (state == logged_state_) return;
  if (state == SntpState::kLocked) {
    PMU_LOG_INFO(ctx_.log, kTag, "locked to %s (stratum %u): error within %llu ns", server_.Text().c_str(),
                 static_cast<unsigned>(client_.stratum()),
                 static_cast<unsigned long long>(ctx_.clock.Error().error_ns));
  } else if (state == SntpState::kHoldover) {
    PMU_LOG_WARN(ctx_.log, kTag, "server %s lost: holdover", server_.Text().c_str());
  }
  logged_state_ = state;
}

bool SntpService::StatsLine(std::size_t index, ReportLine& t) const {
  if (index > 1 || !started_) return false;
  const TimeError e = ctx_.clock.Error();
  if (index == 0) {
    t.Format("sntp state=%s server=%s stratum=%u poll_s=%lu offset_ns=%lld delay_ns=%lld freq_ppb=%+.3f clock=%s "
             "error_ns=%llu",
             SntpStateName(client_.state()), server_.Text().c_str(), static_cast<unsigned>(client_.stratum()),
             static_cast<unsigned long>(client_.poll_ms() / 1000), static_cast<long long>(client_.last_offset_ns()),
             static_cast<long long>(client_.last_delay_ns()),
             static_cast<double>(ctx_.clock.frequency_ppt()) / 1000.0, SyncStateName(e.state),
             static_cast<unsigned long long>(e.error_ns));
    return true;
  }
  const SntpCounters& c = client_.counters();
  t.Format("sntp requests=%" PRIu32 " replies=%" PRIu32 " used=%" PRIu32 " refused=%" PRIu32 " kisses=%" PRIu32
           " outliers=%" PRIu32 " malformed=%" PRIu32 " strangers=%" PRIu32 " steps=%" PRIu32 " losses=%" PRIu32
           " send_failures=%" PRIu32,
           c.requests, c.replies, c.used, c.refused, c.kisses, c.outliers, c.malformed, strangers_, c.steps,
           c.losses, send_failures_);
  return true;
}

}  // namespace pmu::firmware
