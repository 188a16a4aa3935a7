#include "pmu/firmware/services/reset_service.h"

#include <cinttypes>

#include "altcp_util.h"
#include "pmu/port/lwip_status.h"
#include "pmu/proto/reset.h"

namespace pmu::firmware {
namespace {

// Printable, quoted text of a datagram for the log.
FixedString<80> Shown(ByteSpan data) {
  FixedString<80> s;
  for (std::byte b : data.first(std::min<std::size_t>(data.size(), 40))) {
    const auto c = std::to_integer<unsigned>(b);
    if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
      s.Append(static_cast<char>(c));
    } else {
      s.Format("\\x%02x", c);
    }
  }
  if (data.size() > 40) s.Append("...");
  return s;
}

}  // namespace

Status ResetService::Start(std::uint16_t port) {
  pcb_ = udp_new_ip_type(IPADDR_TYPE_ANY);
  if (pcb_ == nullptr) return ResourceExhausted("no UDP PCB for the reset service");
  const err_t err = udp_bind(pcb_, IP_ANY_TYPE, port);
  if (err != ERR_OK) {
    udp_remove(pcb_);
    pcb_ = nullptr;
    return port::FromLwipErr(err);
  }
  udp_recv(pcb_, &ResetService::OnRecv, this);
  const DeviceConfig& c = ctx_.config;
  PMU_LOG_INFO(ctx_.log, "reset", "listening on UDP port %u: loss %" PRIu32 ".%06" PRIu32 ", families %s%s", port,
               c.reset_loss_ppm / 1'000'000, c.reset_loss_ppm % 1'000'000, ResetFamiliesName(c.reset_families),
               c.reset_families == ResetFamilies::kAlternate ? " (each in turn)" : "");
  return Status::Ok();
}

bool ResetService::Answers(bool ipv6, std::uint64_t now_ms) const {
  switch (ctx_.config.reset_families) {
    case ResetFamilies::kBoth: return true;
    case ResetFamilies::kIpv4: return !ipv6;
    case ResetFamilies::kIpv6: return ipv6;
    case ResetFamilies::kAlternate: {
      // IPv4 in even periods since boot, IPv6 in odd ones.
      const std::uint64_t period = now_ms / (std::uint64_t{ctx_.config.reset_alternate_s} * 1000);
      return (period % 2 == 1) == ipv6;
    }
  }
  return false;
}

void ResetService::OnRecv(void* arg, udp_pcb*, pbuf* p, const ip_addr_t* addr, u16_t port) {
  auto* self = static_cast<ResetService*>(arg);
  // Thin callback: copy at most one byte more than a request may have, free, act.
  std::byte copy[proto::kMaxResetDatagram + 1];
  const std::size_t total = p->tot_len;
  const u16_t n = pbuf_copy_partial(p, copy, sizeof(copy), 0);
  pbuf_free(p);
  self->Handle(ByteSpan(copy, n), total, addr, port);
}

void ResetService::Handle(ByteSpan datagram, std::size_t total_size, const ip_addr_t* addr, u16_t port) {
  ++counters_.received;
  const std::uint64_t now = ctx_.clock.MonotonicMs();
  const bool ipv6 = IP_IS_V6(addr);
  const PeerText peer = FormatPeer(addr, port);
  if (!Answers(ipv6, now)) {
    ++counters_.inactive_family;
    PMU_LOG_DEBUG(ctx_.log, "reset", "%s ignored: not answering over IPv%c now", peer.c_str(), ipv6 ? '6' : '4');
    return;
  }
  if (prng_.Chance(ctx_.config.reset_loss_ppm)) {
    ++counters_.lost;
    PMU_LOG_DEBUG(ctx_.log, "reset", "%s request lost (emulated loss)", peer.c_str());
    return;
  }
  if (total_size > proto::kMaxResetDatagram) {
    ++counters_.malformed;
    PMU_LOG_WARN(ctx_.log, "reset", "%s ignored: oversized datagram of %u bytes", peer.c_str(),
                 static_cast<unsigned>(total_size));
    return;
  }
  const Result<proto::ResetRequest> request = proto::ParseResetRequest(datagram);
  if (!request.ok()) {
    ++counters_.malformed;
    PMU_LOG_WARN(ctx_.log, "reset", "%s ignored \"%s\": %s", peer.c_str(), Shown(datagram).c_str(),
                 request.status().message());
    return;
  }
  if (!request->token.empty()) {
    if (const auto first = cache_.Find(request->token, now)) {
      ++counters_.duplicates;
      PMU_LOG_INFO(ctx_.log, "reset", "%s RESET:%" PRIu32 ";id=%.*s repeated: OFFSET=%" PRIu32 " again, clock unchanged",
                   peer.c_str(), request->seconds, static_cast<int>(request->token.size()),
                   request->token.data(), *first);
      Answer(*first, addr, port);
      return;
    }
  }
  const auto offset = static_cast<std::uint32_t>(prng_.UniformInclusive(request->seconds));
  ctx_.clock.AdvanceNs(std::int64_t{offset} * 1'000'000'000);
  if (!request->token.empty()) cache_.Insert(request->token, offset, now);
  ++counters_.answered;
  counters_.advanced_s += offset;
  PMU_LOG_INFO(ctx_.log, "reset", "%s RESET:%" PRIu32 "%s%.*s -> OFFSET=%" PRIu32 ", clock offset now %+lld s", peer.c_str(),
               request->seconds, request->token.empty() ? "" : ";id=",
               static_cast<int>(request->token.size()), request->token.data(), offset,
               static_cast<long long>(ctx_.clock.offset_ns() / 1'000'000'000));
  Answer(offset, addr, port);
}

void ResetService::Answer(std::uint32_t offset, const ip_addr_t* addr, u16_t port) {
  char text[24];
  const std::size_t n = proto::FormatResetAnswer(offset, text);
  pbuf* p = pbuf_alloc(PBUF_TRANSPORT, static_cast<u16_t>(n), PBUF_RAM);
  if (p == nullptr) {
    PMU_LOG_WARN(ctx_.log, "reset", "no memory for the answer OFFSET=%" PRIu32, offset);
    return;
  }
  pbuf_take(p, text, static_cast<u16_t>(n));
  const err_t err = udp_sendto(pcb_, p, addr, port);
  pbuf_free(p);
  if (err != ERR_OK) {
    PMU_LOG_WARN(ctx_.log, "reset", "answer OFFSET=%" PRIu32 " not sent: %s", offset, port::FromLwipErr(err).message());
  }
}

}  // namespace pmu::firmware
