#include "pmu/firmware/services/c37118_service.h"

#include <cinttypes>

#include <cstring>


namespace pmu::firmware {
namespace {

namespace c37 = proto::c37118;

constexpr const char* kTag = "c37";

const char* CommandName(c37::CommandCode c) {
  switch (c) {
    case c37::CommandCode::kDataOff: return "data off";
    case c37::CommandCode::kDataOn: return "data on";
    case c37::CommandCode::kSendHeader: return "send header";
    case c37::CommandCode::kSendConfig1: return "send CFG-1";
    case c37::CommandCode::kSendConfig2: return "send CFG-2";
    case c37::CommandCode::kSendConfig3: return "send CFG-3";
    case c37::CommandCode::kExtended: return "extended frame";
  }
  return "unknown command";
}

}  // namespace

// ---- service ------------------------------------------------------------------------

Status C37Service::Start() {
  const C37Config& c = ctx_.config.c37;
  // A PDC beyond the limit is reset at once: it cannot be told why in C37.118.2.
  port::ListenOptions options;
  options.tag = kTag;
  options.port = c.port;
  options.max_sessions = c.max_clients;
  PMU_TRY(listener_.Listen(options));
  PMU_TRY(udp_.Open(c.udp_port, udp_datagram_, &C37Service::OnUdp, this));
  if (c.multicast) {
    udp_.SetMulticastTtl(1);  // this link only, like the bulletins
    Subscriber& m = subscribers_[kMaxUdpSubscribers];
    m.used = m.permanent = true;
    m.peer = port::UdpPeer::V4(c.multicast_group4, c.multicast_port);
    m.next_config_ms = 0;
  }
  last_offset_ns_ = ctx_.clock.offset_ns();
  PMU_LOG_INFO(ctx_.log, kTag, "IDCODE %u '%s': TCP port %u (up to %u PDCs), UDP port %u (up to %u PDCs)%s%s; "
               "%u frames/s, version %u, CFGCNT %u",
               c.idcode, c.station.c_str(), c.port, static_cast<unsigned>(c.max_clients), c.udp_port,
               static_cast<unsigned>(kMaxUdpSubscribers), c.multicast ? ", multicast to " : "", c.multicast ? FormatIpv4(c.multicast_group4).c_str() : "",
               c.rate, c.version, pmu_->config_count());
  return Status::Ok();
}

void C37Service::ConfigurationChanged() {
  const C37Config& c = ctx_.config.c37;
  listener_.set_max_sessions(c.max_clients);
  PMU_LOG_INFO(ctx_.log, kTag, "configuration changed: CFGCNT %u; '%s', %u frames/s; PDCs are told by STAT bit 10",
               pmu_->config_count(), c.station.c_str(), c.rate);
}

std::size_t C37Service::udp_subscribers() const {
  std::size_t n = 0;
  for (const Subscriber& s : subscribers_) n += s.used && !s.permanent;
  return n;
}

ClockQuality C37Service::Quality() {
  const std::int64_t offset = ctx_.clock.offset_ns();
  const std::uint64_t now = ctx_.clock.MonotonicMs();
  if (offset != last_offset_ns_) {
    last_offset_ns_ = offset;
    step_ms_ = now;
  }
  ClockQuality q;
  q.stepped = offset != 0;
  q.offset_ns = offset;
  q.since_step_ms = now - step_ms_;
  return q;
}

ByteSpan C37Service::Encode(Reply reply) {
  const ClockQuality q = Quality();
  const std::int64_t now = ctx_.clock.UtcNs();
  Result<std::size_t> n = InvalidArgument("no reply");
  switch (reply) {
    case Reply::kNone: return {};
    case Reply::kHeader:
      n = pmu_->EncodeHeader(now, q, scratch_);
      ++counters_.header_frames;
      break;
    case Reply::kConfig1: n = pmu_->EncodeConfig(c37::FrameType::kConfig1, now, q, scratch_); break;
    case Reply::kConfig2: n = pmu_->EncodeConfig(c37::FrameType::kConfig2, now, q, scratch_); break;
    case Reply::kConfig3: n = pmu_->EncodeConfig(c37::FrameType::kConfig3, now, q, scratch_); break;
  }
  if (!n.ok()) {
    PMU_LOG_ERROR(ctx_.log, kTag, "cannot encode a reply: %s", n.status().message());
    return {};
  }
  if (reply != Reply::kHeader) ++counters_.config_frames;
  if (*n > largest_reply_) largest_reply_ = *n;
  return ByteSpan(scratch_, *n);
}

C37Service::Reply C37Service::Command(const c37::Frame& frame, const char* peer, bool* data_on, std::uint16_t* seen) {
  if (frame.type != c37::FrameType::kCommand) {
    ++counters_.ignored_frames;
    PMU_LOG_DEBUG(ctx_.log, kTag, "%s sent a frame of type %u; ignored", peer, static_cast<unsigned>(frame.type));
    return Reply::kNone;
  }
  const Result<c37::CommandFrame> cmd = c37::DecodeCommand(frame);
  if (!cmd.ok()) {
    ++counters_.rejected_frames;
    PMU_LOG_WARN(ctx_.log, kTag, "%s bad command frame: %s", peer, cmd.status().message());
    return Reply::kNone;
  }
  if (cmd->idcode != pmu_->idcode()) {
    PMU_LOG_DEBUG(ctx_.log, kTag, "%s addressed IDCODE %u; this PMU is %u (answered anyway)", peer, cmd->idcode,
                  pmu_->idcode());
  }
  const auto code = cmd->command;
  PMU_LOG_INFO(ctx_.log, kTag, "%s %s (0x%04x)", peer, CommandName(code), static_cast<unsigned>(code));
  switch (code) {
    case c37::CommandCode::kDataOff: *data_on = false; return Reply::kNone;
    case c37::CommandCode::kDataOn: *data_on = true; return Reply::kNone;
    case c37::CommandCode::kSendHeader: return Reply::kHeader;
    case c37::CommandCode::kSendConfig1: *seen = pmu_->config_count(); return Reply::kConfig1;
    case c37::CommandCode::kSendConfig2: *seen = pmu_->config_count(); return Reply::kConfig2;
    case c37::CommandCode::kSendConfig3: *seen = pmu_->config_count(); return Reply::kConfig3;
    default:
      ++counters_.ignored_frames;  // extended frames and user-defined codes
      return Reply::kNone;
  }
}

void C37Service::Publish(const Estimate& estimate) {
  static std::byte frame[C37Pmu::kMaxDataFrame];
  static std::byte marked[C37Pmu::kMaxDataFrame];
  const ClockQuality q = Quality();
  const Result<std::size_t> n = pmu_->EncodeData(estimate, q, frame);
  if (!n.ok()) {
    PMU_LOG_ERROR(ctx_.log, kTag, "cannot encode a data frame: %s", n.status().message());
    return;
  }
  const ByteSpan plain(frame, *n);
  bool have_marked = false;
  auto for_pdc = [&](std::uint16_t seen) -> ByteSpan {
    if (seen == pmu_->config_count()) return plain;
    if (!have_marked) {
      std::memcpy(marked, frame, *n);
      // Cannot fail on a frame just encoded whole.
      (void)proto::c37118::SetDataStatBits(MutableByteSpan(marked, *n), proto::c37118::kStatConfigChange);
      have_marked = true;
    }
    return ByteSpan(marked, *n);
  };
  listener_.ForEachSession([&](C37Session& s) {
    if (!s.data_on_) return;
    if (s.Send(for_pdc(s.config_count_seen_), true)) {
      ++counters_.data_frames;
    } else {
      ++counters_.data_dropped;
    }
  });
  const std::uint64_t now = ctx_.clock.MonotonicMs();
  ExpireLeases(now);
  for (Subscriber& sub : subscribers_) {
    if (!sub.used) continue;
    if (now >= sub.next_config_ms) {
      const ByteSpan cfg = Encode(Reply::kConfig2);
      if (!cfg.empty()) SendUdp(cfg, sub.peer);
      sub.config_count_seen = pmu_->config_count();
      sub.next_config_ms = now + std::uint64_t{ctx_.config.c37.udp_config_period_s} * 1000;
    }
    SendUdp(for_pdc(sub.config_count_seen), sub.peer);
    ++counters_.data_frames;
  }
}

void C37Service::SendUdp(ByteSpan frame, const port::UdpPeer& to) {
  if (udp_.SendTo(frame, to).ok()) return;
  ++counters_.data_dropped;
  ++counters_.dropped_memory;
}

void C37Service::OnUdp(void* context, ByteSpan datagram, std::size_t size, const port::UdpPeer& from) {
  auto* self = static_cast<C37Service*>(context);
  const port::PeerText peer = from.Text();
  if (size > datagram.size()) {
    ++self->counters_.rejected_frames;
    PMU_LOG_WARN(self->ctx_.log, kTag, "udp %s datagram of %u bytes ignored", peer.c_str(),
                 static_cast<unsigned>(size));
    return;
  }
  const Result<c37::Frame> frame = c37::ParseFrame(datagram);
  if (!frame.ok()) {
    ++self->counters_.rejected_frames;
    PMU_LOG_WARN(self->ctx_.log, kTag, "udp %s bad frame: %s", peer.c_str(), frame.status().message());
    return;
  }
  ++self->counters_.udp_commands;
  self->ExpireLeases(self->ctx_.clock.MonotonicMs());  // an expired slot is free for this one
  // The subscriber this address already is, if any.
  Subscriber* sub = nullptr;
  for (Subscriber& s : self->subscribers_) {
    if (s.used && !s.permanent && s.peer == from) sub = &s;
  }
  bool data_on = sub != nullptr;
  std::uint16_t seen = sub ? sub->config_count_seen : self->pmu_->config_count();
  FixedString<64> tag;
  tag.Format("udp %s", peer.c_str());
  const Reply reply = self->Command(*frame, tag.c_str(), &data_on, &seen);
  if (data_on && sub == nullptr) {
    for (Subscriber& s : self->subscribers_) {
      if (!s.used && &s != &self->subscribers_[kMaxUdpSubscribers]) {
        sub = &s;
        break;
      }
    }
    if (sub == nullptr) {
      ++self->counters_.udp_refused;
      PMU_LOG_WARN(self->ctx_.log, kTag, "%s data on refused: all %u UDP subscriber slots taken", tag.c_str(),
                   static_cast<unsigned>(kMaxUdpSubscribers));
    } else {
      *sub = Subscriber{};
      sub->used = true;
      sub->peer = from;
      sub->config_count_seen = seen;
      // The first CFG-2 follows one period after data on: the PDC asked for it already.
      sub->next_config_ms = self->ctx_.clock.MonotonicMs() + std::uint64_t{self->ctx_.config.c37.udp_config_period_s} * 1000;
      const auto now_subscribed = static_cast<std::uint32_t>(self->udp_subscribers());
      if (now_subscribed > self->counters_.udp_peak) self->counters_.udp_peak = now_subscribed;
    }
  } else if (!data_on && sub != nullptr) {
    sub->used = false;
  } else if (sub != nullptr) {
    sub->config_count_seen = seen;
  }
  if (sub != nullptr && sub->used) {
    sub->lease_until_ms = self->ctx_.clock.MonotonicMs() + std::uint64_t{self->ctx_.config.c37.udp_lease_s} * 1000;
  }
  const ByteSpan bytes = self->Encode(reply);
  if (!bytes.empty()) self->SendUdp(bytes, from);
}

void C37Service::ExpireLeases(std::uint64_t now_ms) {
  for (Subscriber& s : subscribers_) {
    if (!s.used || s.permanent || now_ms < s.lease_until_ms) continue;
    s.used = false;
    ++counters_.udp_expired;
    PMU_LOG_INFO(ctx_.log, kTag, "udp %s subscription ended: no command for %u s (lease)",
                 s.peer.Text().c_str(), static_cast<unsigned>(ctx_.config.c37.udp_lease_s));
  }
}

// ---- session ------------------------------------------------------------------------

C37Session::C37Session(C37Service& service, port::Connection& connection)
    : service_(service), connection_(connection), config_count_seen_(service.pmu_->config_count()) {
  PMU_LOG_INFO(service_.ctx_.log, kTag, "%s connected", connection_.peer().c_str());
}

bool C37Session::Send(ByteSpan frame, bool data) {
  // Data frames wait behind at most the largest reply (a configuration frame) and
  // kMaxQueuedDataFrames - 1 others.
  const std::size_t data_limit = kMaxQueuedDataFrames * frame.size() + service_.largest_reply_;
  if (data && connection_.unacknowledged() + frame.size() > data_limit) {
    Dropped(&C37Counters::dropped_queue, &C37SessionCounters::dropped_queue, data);
    return false;
  }
  if (connection_.SendRoom(/*bulk=*/false) < frame.size()) {
    Dropped(&C37Counters::dropped_room, &C37SessionCounters::dropped_room, data);
    return false;
  }
  if (!connection_.Write(frame, /*more=*/false).ok()) {
    Dropped(&C37Counters::dropped_memory, &C37SessionCounters::dropped_memory, data);
    return false;
  }
  connection_.Flush();  // each frame leaves at once
  if (data) ++counters_.data_frames;
  return true;
}

void C37Session::Dropped(std::uint64_t C37Counters::*service_reason, std::uint32_t C37SessionCounters::*reason,
                         bool data) {
  ++(service_.counters_.*service_reason);
  ++(counters_.*reason);
  if (!data) {
    ++service_.counters_.replies_dropped;
    ++counters_.replies_dropped;
  }
}

void C37Session::StatsLine(ReportLine& t) const {
  const C37SessionCounters& c = counters_;
  t.Format("c37 pdc %s data_on=%u data=%" PRIu32 " dropped queue=%" PRIu32 " room=%" PRIu32 " memory=%" PRIu32
           " replies=%" PRIu32,
           connection_.peer().c_str(), data_on_ ? 1u : 0u, c.data_frames, c.dropped_queue, c.dropped_room,
           c.dropped_memory, c.replies_dropped);
}

void C37Session::OnReceive() {
  C37Service& service = service_;
  // The decoder copies what it needs out of each piece; replies go out as the commands
  // are decoded.
  for (ByteSpan input = connection_.Peek(); !input.empty(); input = connection_.Peek()) {
    const std::size_t size = input.size();
    for (;;) {
      const std::uint64_t rejected = decoder_.frames_rejected();
      const auto out = decoder_.Feed(input);
      input = input.subspan(out.consumed);
      if (decoder_.frames_rejected() != rejected) {
        ++service.counters_.rejected_frames;
        PMU_LOG_WARN(service.ctx_.log, kTag, "%s frame rejected: %s", connection_.peer().c_str(),
                     decoder_.last_error().message());
      }
      if (!out.frame) break;
      ++service.counters_.commands;
      const C37Service::Reply reply = service.Command(*out.frame, connection_.peer().c_str(), &data_on_,
                                                      &config_count_seen_);
      const ByteSpan bytes = service.Encode(reply);
      if (!bytes.empty() && !Send(bytes, false)) {
        PMU_LOG_WARN(service.ctx_.log, kTag, "%s reply of %u bytes dropped: send buffer full",
                     connection_.peer().c_str(), static_cast<unsigned>(bytes.size()));
      }
    }
    connection_.Consume(size);
  }
}

void C37Session::OnPeerClosed() {
  PMU_LOG_INFO(service_.ctx_.log, kTag, "%s closed the connection", connection_.peer().c_str());
  connection_.Close();
}

void C37Session::OnEnded(const char* why) {
  const C37SessionCounters& c = counters_;
  PMU_LOG_INFO(service_.ctx_.log, kTag,
               "%s connection ended: %s; %" PRIu32 " data frames sent, dropped: queue %" PRIu32 " room %" PRIu32
               " memory %" PRIu32 ", replies %" PRIu32,
               connection_.peer().c_str(), why, c.data_frames, c.dropped_queue, c.dropped_room, c.dropped_memory,
               c.replies_dropped);
}

bool C37Service::StatsLine(std::size_t index, ReportLine& t) const {
  const C37Counters& c = counters_;
  if (index == 0) {
    if (!listener_.Summary(t)) return false;
    t.Format(" commands=%" PRIu32 " ignored=%" PRIu32 " rejected=%" PRIu32 " udp_commands=%" PRIu32
             " udp_subscribers=%u udp_peak=%" PRIu32 " udp_expired=%" PRIu32 " data=%llu dropped=%llu config=%" PRIu32
             " header=%" PRIu32 " cfgcnt=%u",
             c.commands, c.ignored_frames, c.rejected_frames, c.udp_commands, static_cast<unsigned>(udp_subscribers()),
             c.udp_peak, c.udp_expired, static_cast<unsigned long long>(c.data_frames),
             static_cast<unsigned long long>(c.data_dropped), c.config_frames, c.header_frames,
             static_cast<unsigned>(pmu_->config_count()));
    return true;
  }
  if (index == 1) {
    t.Format("c37 drops queue=%llu room=%llu memory=%llu replies=%" PRIu32,
             static_cast<unsigned long long>(c.dropped_queue), static_cast<unsigned long long>(c.dropped_room),
             static_cast<unsigned long long>(c.dropped_memory), c.replies_dropped);
    return true;
  }
  // A line per connected PDC, then the connection layer's.
  std::size_t session = index - 2;
  bool found = false;
  listener_.ForEachSession([&](const C37Session& s) {
    if (found || session-- != 0) return;
    s.StatsLine(t);
    found = true;
  });
  if (found) return true;
  return listener_.ConnectionLine(index - 2 - listener_.sessions(), t);
}

}  // namespace pmu::firmware
