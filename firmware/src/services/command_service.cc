#include "pmu/firmware/services/command_service.h"

#include <algorithm>
#include <cinttypes>

#include "altcp_util.h"
#include "pmu/port/lwip_port.h"
#include "lwip/tcp.h"
#include "lwip/timeouts.h"
#include "pmu/port/lwip_status.h"

namespace pmu::firmware {
namespace {

// One segment's worth per write: each write becomes one PBUF_RAM copy in lwIP.
constexpr std::size_t kChunk = TCP_MSS;
// The main loop is single-threaded, so one scratch buffer serves every session.
std::byte g_scratch[kChunk];

constexpr std::uint8_t kPollInterval = 2;  // lwIP coarse timer ticks of 500 ms: 1 s

}  // namespace

// ---- service -----------------------------------------------------------------------

Status CommandService::Start(std::uint16_t port, altcp_allocator_t* allocator,
                             const CommandLimits& limits, std::size_t max_sessions, const char* tag,
                             const port::TlsServer* tls) {
  limits_ = limits;
  tag_ = tag;
  tls_ = tls;
  pool_.set_limit(max_sessions);
  Result<altcp_pcb*> listener = ListenDualStack(allocator, port, this, &CommandService::OnAccept);
  if (!listener.ok()) return listener.status();
  listener_ = *listener;
  PMU_LOG_INFO(ctx_.log, tag_, "listening on TCP port %u (up to %u sessions)", port,
               static_cast<unsigned>(pool_.limit()));
  return Status::Ok();
}

err_t CommandService::OnAccept(void* arg, altcp_pcb* pcb, err_t err) {
  auto* self = static_cast<CommandService*>(arg);
  if (err != ERR_OK || pcb == nullptr) return ERR_VAL;
  const bool tls = self->tls_ != nullptr;
  if (tls && !port::TlsSessionGate::TryEnter()) return self->Refuse(pcb);
  CommandSession* session = self->pool_.Acquire(*self, pcb);
  if (session == nullptr) {
    if (tls) port::TlsSessionGate::Leave();
    return self->Refuse(pcb);
  }
  session->tls_entered_ = tls;
  ++self->counters_.accepted;
  return ERR_OK;
}

err_t CommandService::Refuse(altcp_pcb* pcb) {
  ++counters_.refused;
  const PeerText peer = RemotePeer(pcb);
  PMU_LOG_WARN(ctx_.log, tag_, "%s refused: all %u %s busy", peer.c_str(),
               static_cast<unsigned>(tls_ ? port::TlsSessionGate::limit() : pool_.limit()),
               tls_ ? "TLS sessions" : "sessions");
  altcp_arg(pcb, nullptr);
  altcp_recv(pcb, nullptr);
  // A client that speaks the protocol learns why; the others see an orderly close.
  // Over TLS nothing can be written before a handshake the device has no room for.
  static constexpr char kBusy[] = "ERROR busy: too many clients, try again later\n";
  if (tls_ == nullptr && altcp_write(pcb, kBusy, sizeof(kBusy) - 1, TCP_WRITE_FLAG_COPY) == ERR_OK) {
    altcp_output(pcb);
  }
  return CloseOrAbort(pcb);
}

// ---- session -----------------------------------------------------------------------

CommandSession::CommandSession(CommandService& service, altcp_pcb* pcb)
    : service_(service), pcb_(pcb), peer_(RemotePeer(pcb)) {
  last_progress_ms_ = started_ms_ = service_.ctx_.clock.MonotonicMs();
  altcp_arg(pcb_, this);
  altcp_recv(pcb_, &CommandSession::OnRecv);
  altcp_sent(pcb_, &CommandSession::OnSent);
  altcp_err(pcb_, &CommandSession::OnError);
  altcp_poll(pcb_, &CommandSession::OnPoll, kPollInterval);
  PMU_LOG_DEBUG(service_.ctx_.log, service_.tag_, "%s connected", peer_.c_str());
}

CommandSession::~CommandSession() { CancelTimer(); }

void CommandSession::Release() {
  CancelTimer();
  if (tls_entered_) {
    port::TlsSessionGate::Leave();
    tls_entered_ = false;
  }
  if (pcb_ != nullptr) {
    DetachCallbacks(pcb_);
    pcb_ = nullptr;
  }
  service_.pool_.Release(this);
}

void CommandSession::ArmTimer(std::uint32_t ms) {
  CancelTimer();
  sys_timeout(ms, &CommandSession::OnTimer, this);
  timer_armed_ = true;
}

void CommandSession::CancelTimer() {
  if (timer_armed_) {
    sys_untimeout(&CommandSession::OnTimer, this);
    timer_armed_ = false;
  }
}

err_t CommandSession::OnRecv(void* arg, altcp_pcb* pcb, pbuf* p, err_t err) {
  auto* self = static_cast<CommandSession*>(arg);
  if (self == nullptr) {
    if (p != nullptr) pbuf_free(p);
    return ERR_OK;
  }
  if (p == nullptr) {
    // The peer half-closed. Before a line feed that ends the command; after it, the
    // answer is still delivered (the peer can read after shutting down its side).
    self->peer_closed_ = true;
    if (self->phase_ == Phase::kReading) {
      if (self->reader_.started()) return ToErr(self->Execute());
      PMU_LOG_INFO(self->service_.ctx_.log, self->service_.tag_, "%s closed without a command",
                   self->peer_.c_str());
      return ToErr(self->Finish());
    }
    return ERR_OK;
  }
  if (err != ERR_OK) {
    pbuf_free(p);
    return ERR_OK;
  }
  // Thin callback: copy what belongs to the command out of the pbuf, free it, act.
  if (self->phase_ == Phase::kReading) {
    for (pbuf* q = p; q != nullptr && self->reader_.state() == proto::LineState::kReading;
         q = q->next) {
      self->reader_.Feed(AsBytes(q->payload, q->len));
    }
    self->last_progress_ms_ = self->service_.ctx_.clock.MonotonicMs();
  }
  // Bytes after the command are not read by anyone: acknowledge and drop them.
  altcp_recved(pcb, p->tot_len);
  pbuf_free(p);

  if (self->phase_ != Phase::kReading) return ERR_OK;
  switch (self->reader_.state()) {
    case proto::LineState::kComplete:
      return ToErr(self->Execute());
    case proto::LineState::kTooLong:
      self->CancelTimer();
      self->job_.StartError("command too long", self->service_.limits_);
      self->phase_ = Phase::kRunning;
      ++self->service_.counters_.errors;
      PMU_LOG_WARN(self->service_.ctx_.log, self->service_.tag_, "%s sent more than %u bytes without a line end",
                   self->peer_.c_str(), static_cast<unsigned>(proto::kMaxCommandLength));
      return ToErr(self->Pump());
    case proto::LineState::kReading:
      // A bare command ends after a short silence; acknowledge at once so that a
      // client holding the rest back for our ACK (Nagle) is not taken for silent.
      AckNow(pcb);
      self->ArmTimer(proto::kCommandIdleEndMs);
      return ERR_OK;
  }
  return ERR_OK;
}

CommandSession::Fate CommandSession::Execute() {
  CancelTimer();
  const ServiceContext& ctx = service_.ctx_;
  const std::uint64_t now = ctx.clock.MonotonicMs();
  bool refused = false;
  if (service_.tls_ != nullptr) {
    // The handshake is over once application data arrives: check the client now.
    const Result<port::TlsPeer> peer = service_.tls_->CheckPeer(pcb_, &refusal_);
    if (peer.ok()) {
      client_ = peer->common_name;
    } else {
      refused = true;
      if (refusal_.empty()) refusal_.Append(peer.status().message());
    }
  }
  if (refused) {
    FixedString<120> reason;
    reason.Format("client certificate not accepted: %s", refusal_.c_str());
    refusal_ = reason;
    job_.StartError(refusal_.c_str(), service_.limits_);
  } else {
    job_.Start(reader_.text(), service_.limits_, now, ctx.clock.UtcNs());
  }
  phase_ = Phase::kRunning;
  last_progress_ms_ = now;
  // Quote the command safely: ParseCommand accepts only printable ASCII, and the
  // log shows at most 64 characters of anything else.
  const std::string_view text = reader_.text();
  FixedString<64> shown;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7F) {
      shown.Append(c);
    } else {
      shown.Format("\\x%02x", u);
    }
  }
  FixedString<80> who;
  if (!client_.empty()) who.Format(" (%s)", client_.c_str());
  if (job_.outcome() == CommandJob::Outcome::kError) {
    ++service_.counters_.errors;
    PMU_LOG_WARN(ctx.log, service_.tag_, "%s%s \"%s\": ERROR %s", peer_.c_str(), who.c_str(), shown.c_str(),
                 job_.error_reason());
  } else {
    PMU_LOG_INFO(ctx.log, service_.tag_, "%s%s \"%s\"", peer_.c_str(), who.c_str(), shown.c_str());
  }
  return Pump();
}

CommandSession::Fate CommandSession::Pump() {
  if (phase_ != Phase::kRunning) return Fate::kAlive;
  const ServiceContext& ctx = service_.ctx_;
  bool wrote = false;
  while (!job_.done()) {
    const std::uint64_t now = ctx.clock.MonotonicMs();
    const std::uint64_t wait = job_.WaitMs(now);
    if (wait > 0) {
      ArmTimer(static_cast<std::uint32_t>(wait));
      break;
    }
    const std::size_t room = std::min<std::size_t>(
        port::SendRoom(pcb_, /*bulk=*/job_.outcome() == CommandJob::Outcome::kFloodme), kChunk);
    if (room == 0 || altcp_sndqueuelen(pcb_) >= TCP_SND_QUEUELEN - 1) break;  // sent() resumes
    const std::size_t n = job_.Peek(MutableByteSpan(g_scratch, room));
    const bool last_of_message = n == job_.message_remaining();
    const u8_t flags = TCP_WRITE_FLAG_COPY | (last_of_message ? 0 : TCP_WRITE_FLAG_MORE);
    const err_t err = altcp_write(pcb_, g_scratch, static_cast<u16_t>(n), flags);
    if (err == ERR_MEM) break;  // heap or queue full: the next sent() or poll retries
    if (err != ERR_OK) return Abort("write failed");
    const bool pause = last_of_message && job_.pause_after_message();
    job_.Consume(ByteSpan(g_scratch, n), now);
    service_.counters_.bytes_sent += n;
    wrote = true;
    if (pause) {
      // Each message of CMD_short:d with d > 0 leaves in its own segment.
      altcp_output(pcb_);
      wrote = false;
    }
  }
  if (wrote) altcp_output(pcb_);
  if (job_.done()) {
    switch (job_.outcome()) {
      case CommandJob::Outcome::kFloodme:
        PMU_LOG_INFO(ctx.log, service_.tag_, "%s floodme sent %llu bytes sha256=%s", peer_.c_str(),
                     static_cast<unsigned long long>(job_.bytes_consumed()),
                     port::Sha256::ToHex(job_.floodme_digest()).c_str());
        break;
      case CommandJob::Outcome::kShort:
        PMU_LOG_INFO(ctx.log, service_.tag_, "%s short sent %" PRIu32 " messages in %llu ms", peer_.c_str(),
                     job_.messages_completed(),
                     static_cast<unsigned long long>(ctx.clock.MonotonicMs() - started_ms_));
        break;
      default:
        break;
    }
    if (job_.outcome() != CommandJob::Outcome::kError) ++service_.counters_.completed;
    return Finish();
  }
  return Fate::kAlive;
}

CommandSession::Fate CommandSession::Finish() {
  CancelTimer();
  phase_ = Phase::kClosing;
  if (service_.tls_ != nullptr && !close_notify_queued_) {
    // End of data over TLS is a close_notify, so the client can tell it from a cut.
    if (!port::TlsCloseNotify(pcb_).ok()) return Fate::kAlive;  // retried from sent() and poll()
    close_notify_queued_ = true;
  }
  // Unsent data and the FIN leave after close; lwIP owns the PCB from here.
  altcp_pcb* pcb = pcb_;
  DetachCallbacks(pcb);
  if (altcp_close(pcb) != ERR_OK) {
    // Out of memory for the FIN: keep the callbacks and retry from poll.
    altcp_arg(pcb, this);
    altcp_err(pcb, &CommandSession::OnError);
    altcp_recv(pcb, &CommandSession::OnRecv);
    altcp_poll(pcb, &CommandSession::OnPoll, kPollInterval);
    return Fate::kAlive;
  }
  pcb_ = nullptr;
  Release();
  return Fate::kClosed;
}

CommandSession::Fate CommandSession::Abort(const char* why) {
  PMU_LOG_WARN(service_.ctx_.log, service_.tag_, "%s aborted: %s", peer_.c_str(), why);
  altcp_pcb* pcb = pcb_;
  CancelTimer();
  pcb_ = nullptr;
  DetachAndAbort(pcb);
  Release();
  return Fate::kAborted;
}

err_t CommandSession::OnSent(void* arg, altcp_pcb*, u16_t) {
  auto* self = static_cast<CommandSession*>(arg);
  if (self == nullptr) return ERR_OK;
  self->last_progress_ms_ = self->service_.ctx_.clock.MonotonicMs();
  if (self->phase_ == Phase::kClosing) return ToErr(self->Finish());
  return ToErr(self->Pump());
}

err_t CommandSession::OnPoll(void* arg, altcp_pcb*) {
  auto* self = static_cast<CommandSession*>(arg);
  if (self == nullptr) return ERR_OK;
  if (self->phase_ == Phase::kClosing) return ToErr(self->Finish());
  const ServiceContext& ctx = self->service_.ctx_;
  const std::uint64_t now = ctx.clock.MonotonicMs();
  const std::uint64_t idle_limit_ms = std::uint64_t{ctx.config.idle_timeout_s} * 1000;
  // Waiting for our own delay is not idleness; waiting for the peer is.
  const bool waiting_for_peer =
      self->phase_ == Phase::kReading ||
      (altcp_sndbuf(self->pcb_) < TCP_SND_BUF && self->job_.WaitMs(now) == 0);
  if (!waiting_for_peer) self->last_progress_ms_ = now;
  if (waiting_for_peer && now - self->last_progress_ms_ >= idle_limit_ms) {
    ++self->service_.counters_.timeouts;
    return ToErr(self->Abort(self->phase_ == Phase::kReading ? "no command before the idle timeout"
                                                             : "peer stopped reading (idle timeout)"));
  }
  // Retry a write that failed for lack of memory.
  return ToErr(self->Pump());
}

void CommandSession::OnError(void* arg, err_t err) {
  auto* self = static_cast<CommandSession*>(arg);
  if (self == nullptr) return;
  // A failed TLS handshake: let its alert reach the client (see TlsLetAlertOut).
  if (err == ERR_CLSD) port::TlsLetAlertOut(self->pcb_);
  // The PCB is already gone.
  self->pcb_ = nullptr;
  ++self->service_.counters_.resets;
  PMU_LOG_INFO(self->service_.ctx_.log, self->service_.tag_, "%s connection ended: %s", self->peer_.c_str(),
               port::FromLwipErr(err).message());
  self->Release();
}

void CommandSession::OnTimer(void* arg) {
  auto* self = static_cast<CommandSession*>(arg);
  self->timer_armed_ = false;
  if (self->phase_ == Phase::kReading) {
    if (self->reader_.started()) (void)self->Execute();
    return;
  }
  (void)self->Pump();
}

}  // namespace pmu::firmware
