#include "pmu/firmware/services/tcp_echo.h"

#include <algorithm>

#include "altcp_util.h"
#include "pmu/port/lwip_port.h"
#include "lwip/pbuf.h"
#include "lwip/tcp.h"
#include "pmu/port/lwip_status.h"

namespace pmu::firmware {
namespace {
constexpr std::uint8_t kPollInterval = 2;  // 1 s
}

Status EchoService::Start(std::uint16_t port, std::size_t max_sessions) {
  pool_.set_limit(max_sessions);
  Result<altcp_pcb*> listener = ListenDualStack(nullptr, port, this, &EchoService::OnAccept);
  if (!listener.ok()) return listener.status();
  listener_ = *listener;
  PMU_LOG_INFO(ctx_.log, "echo", "listening on TCP port %u (up to %u sessions)", port,
               static_cast<unsigned>(pool_.limit()));
  return Status::Ok();
}

err_t EchoService::OnAccept(void* arg, altcp_pcb* pcb, err_t err) {
  auto* self = static_cast<EchoService*>(arg);
  if (err != ERR_OK || pcb == nullptr) return ERR_VAL;
  if (self->pool_.Acquire(*self, pcb) == nullptr) {
    // An echo stream has no room for an error text: refuse with a reset, at once.
    ++self->counters_.refused;
    PMU_LOG_WARN(self->ctx_.log, "echo", "%s refused: all %u sessions busy", RemotePeer(pcb).c_str(),
                 static_cast<unsigned>(self->pool_.limit()));
    altcp_abort(pcb);
    return ERR_ABRT;
  }
  ++self->counters_.accepted;
  return ERR_OK;
}

EchoSession::EchoSession(EchoService& service, altcp_pcb* pcb)
    : service_(service), pcb_(pcb), peer_(RemotePeer(pcb)) {
  last_progress_ms_ = service_.ctx_.clock.MonotonicMs();
  altcp_arg(pcb_, this);
  altcp_recv(pcb_, &EchoSession::OnRecv);
  altcp_sent(pcb_, &EchoSession::OnSent);
  altcp_err(pcb_, &EchoSession::OnError);
  altcp_poll(pcb_, &EchoSession::OnPoll, kPollInterval);
  PMU_LOG_DEBUG(service_.ctx_.log, "echo", "%s connected", peer_.c_str());
}

EchoSession::~EchoSession() {
  if (pending_ != nullptr) pbuf_free(pending_);
}

void EchoSession::Release() {
  if (pcb_ != nullptr) {
    DetachCallbacks(pcb_);
    pcb_ = nullptr;
  }
  service_.pool_.Release(this);
}

err_t EchoSession::OnRecv(void* arg, altcp_pcb*, pbuf* p, err_t err) {
  auto* self = static_cast<EchoSession*>(arg);
  if (self == nullptr) {
    if (p != nullptr) pbuf_free(p);
    return ERR_OK;
  }
  if (p == nullptr) {
    self->peer_closed_ = true;
    return ToErr(self->Flush());
  }
  if (err != ERR_OK) {
    pbuf_free(p);
    return ERR_OK;
  }
  self->last_progress_ms_ = self->service_.ctx_.clock.MonotonicMs();
  // Move the data out of the receive pool (PBUF_POOL) into the heap, so that a peer
  // that does not read its echo holds heap memory, bounded by our window, and not the
  // buffers every other connection needs to receive.
  pbuf* copy = pbuf_clone(PBUF_RAW, PBUF_RAM, p);
  if (copy == nullptr) {
    // lwIP keeps refused data and offers it again shortly.
    return ERR_MEM;
  }
  pbuf_free(p);
  if (self->pending_ == nullptr) {
    self->pending_ = copy;
  } else {
    pbuf_cat(self->pending_, copy);
  }
  return ToErr(self->Flush());
}

EchoSession::Fate EchoSession::Flush() {
  if (closing_) return Close();
  bool wrote = false;
  while (pending_ != nullptr) {
    // A few bytes typed by someone are not bulk; a stream of them is.
    const std::size_t room = port::SendRoom(pcb_, /*bulk=*/pending_->tot_len > 512);
    if (room == 0 || altcp_sndqueuelen(pcb_) >= TCP_SND_QUEUELEN - 1) break;
    const u16_t n = static_cast<u16_t>(std::min<std::size_t>(room, pending_->len));
    const err_t err = altcp_write(pcb_, pending_->payload, n, TCP_WRITE_FLAG_COPY);
    if (err == ERR_MEM) break;
    if (err != ERR_OK) return Abort("write failed");
    wrote = true;
    echoed_ += n;
    service_.counters_.bytes_echoed += n;
    // Open the peer's window by what is now queued on the way back.
    altcp_recved(pcb_, n);
    pending_ = pbuf_free_header(pending_, n);
  }
  if (wrote) altcp_output(pcb_);
  if (pending_ == nullptr && peer_closed_) return Close();
  return Fate::kAlive;
}

EchoSession::Fate EchoSession::Close() {
  closing_ = true;
  altcp_pcb* pcb = pcb_;
  DetachCallbacks(pcb);
  if (altcp_close(pcb) != ERR_OK) {
    altcp_arg(pcb, this);
    altcp_err(pcb, &EchoSession::OnError);
    altcp_poll(pcb, &EchoSession::OnPoll, kPollInterval);
    return Fate::kAlive;  // retried from poll
  }
  PMU_LOG_INFO(service_.ctx_.log, "echo", "%s closed by peer after %llu bytes echoed", peer_.c_str(),
               static_cast<unsigned long long>(echoed_));
  pcb_ = nullptr;
  Release();
  return Fate::kClosed;
}

EchoSession::Fate EchoSession::Abort(const char* why) {
  PMU_LOG_WARN(service_.ctx_.log, "echo", "%s aborted after %llu bytes: %s", peer_.c_str(),
               static_cast<unsigned long long>(echoed_), why);
  altcp_pcb* pcb = pcb_;
  pcb_ = nullptr;
  DetachAndAbort(pcb);
  Release();
  return Fate::kAborted;
}

err_t EchoSession::OnSent(void* arg, altcp_pcb*, u16_t) {
  auto* self = static_cast<EchoSession*>(arg);
  if (self == nullptr) return ERR_OK;
  self->last_progress_ms_ = self->service_.ctx_.clock.MonotonicMs();
  return ToErr(self->Flush());
}

err_t EchoSession::OnPoll(void* arg, altcp_pcb*) {
  auto* self = static_cast<EchoSession*>(arg);
  if (self == nullptr) return ERR_OK;
  if (self->closing_) return ToErr(self->Close());
  const std::uint64_t now = self->service_.ctx_.clock.MonotonicMs();
  const std::uint64_t limit_ms = std::uint64_t{self->service_.ctx_.config.idle_timeout_s} * 1000;
  if (now - self->last_progress_ms_ >= limit_ms) {
    ++self->service_.counters_.timeouts;
    return ToErr(self->Abort("idle timeout"));
  }
  return ToErr(self->Flush());
}

void EchoSession::OnError(void* arg, err_t err) {
  auto* self = static_cast<EchoSession*>(arg);
  if (self == nullptr) return;
  self->pcb_ = nullptr;
  PMU_LOG_INFO(self->service_.ctx_.log, "echo", "%s connection ended after %llu bytes: %s", self->peer_.c_str(),
               static_cast<unsigned long long>(self->echoed_), port::FromLwipErr(err).message());
  self->Release();
}

}  // namespace pmu::firmware
