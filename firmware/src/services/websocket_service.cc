#include "pmu/firmware/services/websocket_service.h"

#include <algorithm>
#include <cstring>

#include "altcp_util.h"
#include "pmu/port/lwip_port.h"
#include "lwip/tcp.h"
#include "lwip/timeouts.h"
#include "pmu/port/lwip_status.h"

namespace pmu::firmware {
namespace {

namespace ws = proto::websocket;

// One frame per write, header included, at most one segment: each write is whole in
// the send queue (tcp_write queues all of it or nothing), so the stream is at a frame
// boundary after every write and a pong or the close can always go next.
constexpr std::size_t kChunk = TCP_MSS;
static_assert(kChunk >= ws::kMaxFrameHeaderSize + ws::kMaxControlPayload);
static_assert(kChunk >= ws::kMaxHandshakeResponseSize);
// The main loop is single-threaded: one buffer for what is being written, one for
// what is being read, shared by every session.
std::byte g_tx[kChunk];
std::byte g_rx[512];

// RAM: a slot is the 2 KiB handshake buffer plus the decoder, the job and the command,
// 3.3 KiB on a 64-bit host (less on the board). Keep it there.
static_assert(sizeof(WebSocketSession) <= 3584, "a WebSocket session slot grew past 3.5 KiB");

constexpr std::uint8_t kPollInterval = 2;         // lwIP coarse ticks of 500 ms: 1 s
constexpr std::uint8_t kRefusedPollInterval = 4;  // a refused client has 2 s to close

// The one path served; a query string is allowed and ignored.
bool PathServed(std::string_view target) { return target == "/" || target.substr(0, 2) == "/?"; }

}  // namespace

// ---- service -----------------------------------------------------------------------

Status WebSocketService::Start(std::uint16_t port, const CommandLimits& limits, std::size_t max_sessions,
                               std::uint64_t max_message, std::uint32_t handshake_timeout_ms) {
  limits_ = limits;
  limits_.error_line_feed = false;  // a WebSocket message carries its own end
  max_message_ = max_message;
  handshake_timeout_ms_ = handshake_timeout_ms;
  pool_.set_limit(max_sessions);
  Result<altcp_pcb*> listener = ListenDualStack(nullptr, port, this, &WebSocketService::OnAccept);
  if (!listener.ok()) return listener.status();
  listener_ = *listener;
  PMU_LOG_INFO(ctx_.log, "ws", "listening on TCP port %u (up to %u sessions, messages up to %llu bytes)", port,
               static_cast<unsigned>(pool_.limit()), static_cast<unsigned long long>(max_message_));
  return Status::Ok();
}

err_t WebSocketService::OnAccept(void* arg, altcp_pcb* pcb, err_t err) {
  auto* self = static_cast<WebSocketService*>(arg);
  if (err != ERR_OK || pcb == nullptr) return ERR_VAL;
  WebSocketSession* session = self->pool_.Acquire(*self, pcb);
  if (session == nullptr) return self->Refuse(pcb);
  ++self->counters_.accepted;
  return ERR_OK;
}

err_t WebSocketService::Refuse(altcp_pcb* pcb) {
  ++counters_.refused;
  const PeerText peer = RemotePeer(pcb);
  PMU_LOG_WARN(ctx_.log, "ws", "%s refused with 503: all %u sessions busy", peer.c_str(),
               static_cast<unsigned>(pool_.limit()));
  // Answer at once, before the request, then shut only our side: closing both would
  // make lwIP reset the connection when the request arrives, and the client might
  // lose the answer. The client's bytes are discarded; its close ends the connection.
  char* text = reinterpret_cast<char*>(g_tx);
  const std::size_t n = ws::WriteRejectResponse(ws::HttpStatus::kServiceUnavailable,
                                                "too many WebSocket clients, try again later",
                                                std::span<char>(text, kChunk));
  altcp_arg(pcb, this);
  altcp_recv(pcb, &WebSocketService::OnRefusedRecv);
  altcp_sent(pcb, nullptr);
  altcp_err(pcb, nullptr);
  altcp_poll(pcb, &WebSocketService::OnRefusedPoll, kRefusedPollInterval);
  if (altcp_write(pcb, text, static_cast<u16_t>(n), TCP_WRITE_FLAG_COPY) != ERR_OK ||
      altcp_shutdown(pcb, 0, 1) != ERR_OK) {
    return CloseRefused(pcb);
  }
  return ERR_OK;
}

err_t WebSocketService::OnRefusedRecv(void*, altcp_pcb* pcb, pbuf* p, err_t) {
  if (p == nullptr) return CloseRefused(pcb);
  altcp_recved(pcb, p->tot_len);
  pbuf_free(p);
  return ERR_OK;
}

err_t WebSocketService::OnRefusedPoll(void*, altcp_pcb* pcb) { return CloseRefused(pcb); }

err_t WebSocketService::CloseRefused(altcp_pcb* pcb) {
  DetachCallbacks(pcb);
  return CloseOrAbort(pcb);
}

// ---- session: life cycle -------------------------------------------------------------

WebSocketSession::WebSocketSession(WebSocketService& service, altcp_pcb* pcb)
    : service_(service),
      pcb_(pcb),
      decoder_(ws::Role::kServer, service.max_message_),
      peer_(RemotePeer(pcb)) {
  last_progress_ms_ = started_ms_ = service_.ctx_.clock.MonotonicMs();
  altcp_arg(pcb_, this);
  altcp_recv(pcb_, &WebSocketSession::OnRecv);
  altcp_sent(pcb_, &WebSocketSession::OnSent);
  altcp_err(pcb_, &WebSocketSession::OnError);
  altcp_poll(pcb_, &WebSocketSession::OnPoll, kPollInterval);
  PMU_LOG_DEBUG(service_.ctx_.log, "ws", "%s connected", peer_.c_str());
}

WebSocketSession::~WebSocketSession() { CancelTimer(); }

void WebSocketSession::Release() {
  CancelTimer();
  if (pcb_ != nullptr) {
    DetachCallbacks(pcb_);
    pcb_ = nullptr;
  }
  service_.pool_.Release(this);
}

void WebSocketSession::ArmTimer(std::uint32_t ms) {
  CancelTimer();
  sys_timeout(ms, &WebSocketSession::OnTimer, this);
  timer_armed_ = true;
}

void WebSocketSession::CancelTimer() {
  if (timer_armed_) {
    sys_untimeout(&WebSocketSession::OnTimer, this);
    timer_armed_ = false;
  }
}

WebSocketSession::Fate WebSocketSession::Finish() {
  CancelTimer();
  finishing_ = true;
  altcp_pcb* pcb = pcb_;
  DetachCallbacks(pcb);
  if (altcp_close(pcb) != ERR_OK) {
    // Out of memory for the FIN: keep the callbacks and retry from poll.
    altcp_arg(pcb, this);
    altcp_err(pcb, &WebSocketSession::OnError);
    altcp_recv(pcb, &WebSocketSession::OnRecv);
    altcp_poll(pcb, &WebSocketSession::OnPoll, kPollInterval);
    return Fate::kAlive;
  }
  pcb_ = nullptr;
  Release();
  return Fate::kClosed;
}

WebSocketSession::Fate WebSocketSession::Abort(const char* why) {
  PMU_LOG_WARN(service_.ctx_.log, "ws", "%s aborted: %s", peer_.c_str(), why);
  altcp_pcb* pcb = pcb_;
  CancelTimer();
  pcb_ = nullptr;
  DetachAndAbort(pcb);
  Release();
  return Fate::kAborted;
}

WebSocketSession::Fate WebSocketSession::Drain() {
  CancelTimer();
  phase_ = Phase::kDraining;
  wait_from_ms_ = service_.ctx_.clock.MonotonicMs();
  // The FIN follows what is queued; the client's bytes are still read (and dropped),
  // so no reset cuts off the answer it has not read yet.
  if (altcp_shutdown(pcb_, 0, 1) != ERR_OK) return Finish();
  return Fate::kAlive;
}

// ---- session: lwIP callbacks ---------------------------------------------------------

err_t WebSocketSession::OnRecv(void* arg, altcp_pcb* pcb, pbuf* p, err_t err) {
  auto* self = static_cast<WebSocketSession*>(arg);
  if (self == nullptr) {
    if (p != nullptr) pbuf_free(p);
    return ERR_OK;
  }
  if (p == nullptr) return ToErr(self->OnPeerFin());
  if (err != ERR_OK) {
    pbuf_free(p);
    return ERR_OK;
  }
  // The device never holds input back: everything is acknowledged to the window at
  // once, and what is not the handshake, the command or a control frame is dropped.
  altcp_recved(pcb, p->tot_len);
  self->last_progress_ms_ = self->service_.ctx_.clock.MonotonicMs();
  Fate fate = Fate::kAlive;
  for (u16_t offset = 0; offset < p->tot_len && fate == Fate::kAlive;) {
    const u16_t n = pbuf_copy_partial(p, g_rx, static_cast<u16_t>(std::min<std::size_t>(sizeof(g_rx),
                                                                                         p->tot_len - offset)),
                                      offset);
    if (n == 0) break;
    offset = static_cast<u16_t>(offset + n);
    fate = self->OnBytes(MutableByteSpan(g_rx, n));
  }
  pbuf_free(p);
  if (fate != Fate::kAlive) return ToErr(fate);
  return ToErr(self->Pump());
}

err_t WebSocketSession::OnSent(void* arg, altcp_pcb*, u16_t) {
  auto* self = static_cast<WebSocketSession*>(arg);
  if (self == nullptr) return ERR_OK;
  self->last_progress_ms_ = self->service_.ctx_.clock.MonotonicMs();
  return ToErr(self->Pump());
}

err_t WebSocketSession::OnPoll(void* arg, altcp_pcb*) {
  auto* self = static_cast<WebSocketSession*>(arg);
  if (self == nullptr) return ERR_OK;
  if (self->finishing_) return ToErr(self->Finish());
  const Fate fate = self->CheckTimeouts(self->service_.ctx_.clock.MonotonicMs());
  if (fate != Fate::kAlive) return ToErr(fate);
  // Retry what failed for lack of memory.
  return ToErr(self->Pump());
}

void WebSocketSession::OnError(void* arg, err_t err) {
  auto* self = static_cast<WebSocketSession*>(arg);
  if (self == nullptr) return;
  // The PCB is already gone.
  self->pcb_ = nullptr;
  if (err != ERR_CLSD) ++self->service_.counters_.resets;
  PMU_LOG_INFO(self->service_.ctx_.log, "ws", "%s connection ended: %s", self->peer_.c_str(),
               port::FromLwipErr(err).message());
  self->Release();
}

void WebSocketSession::OnTimer(void* arg) {
  auto* self = static_cast<WebSocketSession*>(arg);
  self->timer_armed_ = false;
  (void)self->Pump();
}

WebSocketSession::Fate WebSocketSession::CheckTimeouts(std::uint64_t now) {
  const ServiceContext& ctx = service_.ctx_;
  WebSocketCounters& counters = service_.counters_;
  const std::uint64_t idle_limit_ms = std::uint64_t{ctx.config.idle_timeout_s} * 1000;
  switch (phase_) {
    case Phase::kHandshake:
      if (now - started_ms_ >= service_.handshake_timeout_ms_) {
        ++counters.timeouts;
        return Abort("no complete WebSocket handshake before the handshake timeout");
      }
      return Fate::kAlive;
    case Phase::kOpen:
      if (now - last_progress_ms_ >= idle_limit_ms) {
        ++counters.timeouts;
        return Abort("no command before the idle timeout");
      }
      return Fate::kAlive;
    case Phase::kRunning:
    case Phase::kClosing: {
      // Waiting for our own delay is not idleness; waiting for the peer to read is.
      const bool waiting_for_peer =
          altcp_sndbuf(pcb_) < TCP_SND_BUF && (phase_ == Phase::kClosing || job_.WaitMs(now) == 0);
      if (!waiting_for_peer) last_progress_ms_ = now;
      if (waiting_for_peer && now - last_progress_ms_ >= idle_limit_ms) {
        ++counters.timeouts;
        return Abort("peer stopped reading (idle timeout)");
      }
      if (close_sent_ && now - wait_from_ms_ >= kWebSocketCloseWaitMs) {
        ++counters.timeouts;
        PMU_LOG_INFO(ctx.log, "ws", "%s sent no close frame within %u ms; closing", peer_.c_str(),
                     static_cast<unsigned>(kWebSocketCloseWaitMs));
        return Finish();
      }
      return Fate::kAlive;
    }
    case Phase::kDraining:
      if (now - wait_from_ms_ >= kWebSocketCloseWaitMs) return Finish();
      return Fate::kAlive;
  }
  return Fate::kAlive;
}

// ---- session: input --------------------------------------------------------------------

WebSocketSession::Fate WebSocketSession::OnPeerFin() {
  const ServiceContext& ctx = service_.ctx_;
  switch (phase_) {
    case Phase::kHandshake:
      PMU_LOG_INFO(ctx.log, "ws", "%s closed before completing the handshake", peer_.c_str());
      break;
    case Phase::kOpen:
    case Phase::kRunning:
      // A TCP close without a close frame: the WebSocket closed abnormally (1006).
      ++service_.counters_.resets;
      PMU_LOG_INFO(ctx.log, "ws", "%s closed TCP without a close frame", peer_.c_str());
      break;
    case Phase::kClosing:
      if (!peer_close_seen_) {
        PMU_LOG_INFO(ctx.log, "ws", "%s closed TCP without answering the close", peer_.c_str());
      }
      break;
    case Phase::kDraining:
      break;
  }
  return Finish();
}

WebSocketSession::Fate WebSocketSession::OnBytes(MutableByteSpan data) {
  while (!data.empty()) {
    switch (phase_) {
      case Phase::kHandshake: {
        const std::size_t used = head_.Feed(data);
        data = data.subspan(used);
        if (head_.state() == ws::HttpHeadReader::State::kReading) return Fate::kAlive;
        const Fate fate = Handshake();
        if (fate != Fate::kAlive) return fate;
        break;  // the bytes after the head are frames (or are drained)
      }
      case Phase::kOpen:
      case Phase::kRunning:
      case Phase::kClosing:
        return OnFrames(data);
      case Phase::kDraining:
        return Fate::kAlive;
    }
  }
  return Fate::kAlive;
}

WebSocketSession::Fate WebSocketSession::Handshake() {
  const ServiceContext& ctx = service_.ctx_;
  ws::UpgradeRequest request;
  if (head_.state() == ws::HttpHeadReader::State::kTooLarge) {
    request.response = ws::HttpStatus::kRequestHeaderFieldsTooLarge;
    request.reason = "request head larger than 2048 bytes";
  } else {
    request = ws::ParseUpgradeRequest(head_.head());
    if (request.response == ws::HttpStatus::kSwitchingProtocols && !PathServed(request.path)) {
      request.response = ws::HttpStatus::kNotFound;
      request.reason = "no WebSocket service at this path; use /";
    }
  }
  char* text = reinterpret_cast<char*>(g_tx);
  const std::size_t n = ws::WriteHandshakeResponse(request, std::span<char>(text, kChunk));
  err_t err = ERR_OK;
  if (n == 0 || !WriteWhole(n, err)) return Abort("no room for the handshake response");
  altcp_output(pcb_);
  if (request.response != ws::HttpStatus::kSwitchingProtocols) {
    ++service_.counters_.rejected;
    PMU_LOG_WARN(ctx.log, "ws", "%s handshake refused with %u: %s", peer_.c_str(),
                 static_cast<unsigned>(request.response), request.reason);
    return Drain();
  }
  ++service_.counters_.upgraded;
  phase_ = Phase::kOpen;
  PMU_LOG_DEBUG(ctx.log, "ws", "%s upgraded to WebSocket", peer_.c_str());
  return Fate::kAlive;
}

WebSocketSession::Fate WebSocketSession::OnFrames(MutableByteSpan& data) {
  for (;;) {
    if (decoder_.finished()) return Fate::kAlive;  // bytes after a close are not looked at
    const ws::MessageEvent ev = decoder_.Next(data);
    switch (ev.kind) {
      case ws::MessageEvent::Kind::kNeedMore:
        return Fate::kAlive;
      case ws::MessageEvent::Kind::kData:
        OnData(ev);
        break;
      case ws::MessageEvent::Kind::kPing:
        // Answered between two frames, before anything else; only the latest ping is
        // owed an answer (RFC 6455 section 5.5.3). None after our close.
        if (!close_queued_) {
          pong_pending_ = true;
          pong_size_ = static_cast<std::uint8_t>(ev.data.size());
          if (!ev.data.empty()) std::memcpy(pong_, ev.data.data(), ev.data.size());
        }
        break;
      case ws::MessageEvent::Kind::kPong:
        break;
      case ws::MessageEvent::Kind::kClose:
        return OnPeerClose(ev.close_code);
      case ws::MessageEvent::Kind::kError:
        ++service_.counters_.protocol_errors;
        PMU_LOG_WARN(service_.ctx_.log, "ws", "%s broke the protocol (%s): closing with %u", peer_.c_str(),
                     ev.error.reason, ev.error.close_code);
        if (close_sent_) return Finish();
        QueueClose(ev.error.close_code, ev.error.reason, AfterClose::kDrain);
        return Fate::kAlive;
    }
  }
}

void WebSocketSession::OnData(const ws::MessageEvent& ev) {
  if (phase_ != Phase::kOpen) {
    // One command per connection: later messages are read and dropped, as bytes after
    // the command are on 5003.
    if (ev.last && ++ignored_messages_ == 1) {
      PMU_LOG_INFO(service_.ctx_.log, "ws", "%s sent another message; ignored (one command per connection)",
                   peer_.c_str());
    }
    return;
  }
  if (ev.first) command_binary_ = ev.message_type == ws::Opcode::kBinary;
  const std::string_view piece = AsText(ev.data);
  if (command_.size() + piece.size() > command_.capacity()) {
    command_too_long_ = true;
  } else {
    command_.Append(piece);
  }
  if (ev.last) Execute();
}

WebSocketSession::Fate WebSocketSession::OnPeerClose(std::uint16_t code) {
  peer_close_seen_ = true;
  if (close_queued_) {
    // The client answers our close (or closed at the same time): the closing
    // handshake is complete once ours is out.
    if (close_sent_) return Finish();
    after_close_ = AfterClose::kCloseTcp;
    return Fate::kAlive;
  }
  ++service_.counters_.peer_closes;
  PMU_LOG_INFO(service_.ctx_.log, "ws", "%s closed the WebSocket (code %u)%s", peer_.c_str(), code,
               phase_ == Phase::kRunning ? " before the answer was complete" : "");
  // Echo the code (an empty close is echoed empty), then close TCP.
  QueueClose(code, "", AfterClose::kCloseTcp);
  return Fate::kAlive;
}

void WebSocketSession::Execute() {
  const ServiceContext& ctx = service_.ctx_;
  const std::uint64_t now = ctx.clock.MonotonicMs();
  if (command_binary_) {
    job_.StartError("command must be a text message", service_.limits_);
    close_after_job_ = ws::kCloseUnsupportedData;
  } else if (command_too_long_) {
    job_.StartError("command too long", service_.limits_);
  } else {
    job_.Start(command_.view(), service_.limits_, now, ctx.clock.UtcNs());
  }
  phase_ = Phase::kRunning;
  last_progress_ms_ = now;
  FixedString<64> shown;
  for (char c : command_.view()) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7F) {
      shown.Append(c);
    } else {
      shown.Format("\\x%02x", u);
    }
  }
  if (job_.outcome() == CommandJob::Outcome::kError) {
    ++service_.counters_.errors;
    PMU_LOG_WARN(ctx.log, "ws", "%s %s\"%s\": ERROR %s", peer_.c_str(), command_binary_ ? "binary " : "",
                 shown.c_str(), job_.error_reason());
  } else {
    PMU_LOG_INFO(ctx.log, "ws", "%s \"%s\"", peer_.c_str(), shown.c_str());
  }
}

void WebSocketSession::QueueClose(std::uint16_t code, const char* reason, AfterClose after) {
  CancelTimer();
  phase_ = Phase::kClosing;
  close_queued_ = true;
  close_code_ = code;
  close_reason_ = reason;
  after_close_ = after;
  pong_pending_ = false;
}

// ---- session: output -------------------------------------------------------------------

bool WebSocketSession::WriteWhole(std::size_t size, err_t& err) {
  err = ERR_OK;
  if (size == 0 || altcp_sndbuf(pcb_) < size || altcp_sndqueuelen(pcb_) >= TCP_SND_QUEUELEN - 1) return false;
  const err_t e = altcp_write(pcb_, g_tx, static_cast<u16_t>(size), TCP_WRITE_FLAG_COPY);
  if (e == ERR_OK) return true;
  if (e != ERR_MEM) err = e;  // ERR_MEM: heap or segments short; the next sent() or poll retries
  return false;
}

WebSocketSession::Fate WebSocketSession::Pump() {
  if (pcb_ == nullptr || finishing_ || phase_ == Phase::kHandshake || phase_ == Phase::kDraining) {
    return Fate::kAlive;
  }
  bool wrote = false;
  err_t err = ERR_OK;
  if (pong_pending_) {
    const std::size_t n = ws::EncodeFrame(ws::Opcode::kPong, true, ByteSpan(pong_, pong_size_), std::nullopt,
                                          MutableByteSpan(g_tx, kChunk));
    if (WriteWhole(n, err)) {
      pong_pending_ = false;
      wrote = true;
      ++service_.counters_.pings;
    }
    if (err != ERR_OK) return Abort("write failed");
  }
  if (!pong_pending_ && phase_ == Phase::kRunning) {
    const Fate fate = PumpData(wrote);
    if (fate != Fate::kAlive) return fate;
  }
  if (close_queued_ && !close_sent_ && !pong_pending_) {
    const std::size_t n = ws::EncodeCloseFrame(close_code_, close_reason_, std::nullopt, MutableByteSpan(g_tx, kChunk));
    if (WriteWhole(n, err)) {
      close_sent_ = true;
      wrote = true;
      wait_from_ms_ = service_.ctx_.clock.MonotonicMs();
    }
    if (err != ERR_OK) return Abort("write failed");
  }
  if (wrote) altcp_output(pcb_);
  if (!close_sent_) return Fate::kAlive;
  switch (after_close_) {
    case AfterClose::kWaitForPeer:
      return peer_close_seen_ ? Finish() : Fate::kAlive;
    case AfterClose::kCloseTcp:
      return Finish();
    case AfterClose::kDrain:
      return Drain();
  }
  return Fate::kAlive;
}

WebSocketSession::Fate WebSocketSession::PumpData(bool& wrote) {
  const ServiceContext& ctx = service_.ctx_;
  while (!job_.done()) {
    const std::uint64_t now = ctx.clock.MonotonicMs();
    const std::uint64_t wait = job_.WaitMs(now);
    if (wait > 0) {
      if (!timer_armed_) ArmTimer(static_cast<std::uint32_t>(wait));
      return Fate::kAlive;
    }
    const std::size_t room = std::min<std::size_t>(
        port::SendRoom(pcb_, /*bulk=*/job_.outcome() == CommandJob::Outcome::kFloodme), kChunk);
    if (room < 3 || altcp_sndqueuelen(pcb_) >= TCP_SND_QUEUELEN - 1) return Fate::kAlive;  // sent() resumes
    // The largest payload whose frame fits the room: a 2-byte header up to 125 bytes,
    // a 4-byte one above (a frame never exceeds one segment, so never the 64-bit form).
    const std::size_t max_payload = room - 2 <= ws::kMaxControlPayload ? room - 2 : room - 4;
    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(max_payload, job_.message_remaining()));
    const std::size_t head = ws::FrameHeaderSize(want, false);
    const std::size_t n = job_.Peek(MutableByteSpan(g_tx + head, want));
    const bool last = n == job_.message_remaining();
    // Commit the framer only once the frame is queued.
    ws::MessageFramer framer = job_.at_message_start() ? ws::MessageFramer(ws::Opcode::kText) : framer_;
    if (framer.WriteFrameHeader(n, last, MutableByteSpan(g_tx, head)) != head) return Abort("framing failed");
    const err_t err = altcp_write(pcb_, g_tx, static_cast<u16_t>(head + n),
                                  TCP_WRITE_FLAG_COPY | (last ? 0 : TCP_WRITE_FLAG_MORE));
    if (err == ERR_MEM) return Fate::kAlive;  // heap or queue full: the next sent() or poll retries
    if (err != ERR_OK) return Abort("write failed");
    framer_ = framer;
    const bool pause = last && job_.pause_after_message();
    job_.Consume(ByteSpan(g_tx + head, n), now);
    ++service_.counters_.frames_sent;
    service_.counters_.bytes_sent += n;
    wrote = true;
    if (pause) {
      // Each message of CMD_short:d with d > 0 leaves in its own segment.
      altcp_output(pcb_);
      wrote = false;
    }
  }
  LogJobDone();
  if (job_.outcome() != CommandJob::Outcome::kError) ++service_.counters_.completed;
  QueueClose(close_after_job_, "", AfterClose::kWaitForPeer);
  return Fate::kAlive;
}

void WebSocketSession::LogJobDone() {
  const ServiceContext& ctx = service_.ctx_;
  switch (job_.outcome()) {
    case CommandJob::Outcome::kFloodme:
      PMU_LOG_INFO(ctx.log, "ws", "%s floodme sent %llu bytes sha256=%s", peer_.c_str(),
                   static_cast<unsigned long long>(job_.bytes_consumed()),
                   port::Sha256::ToHex(job_.floodme_digest()).c_str());
      break;
    case CommandJob::Outcome::kShort:
      PMU_LOG_INFO(ctx.log, "ws", "%s short sent %lu messages in %llu ms", peer_.c_str(),
                   static_cast<unsigned long>(job_.messages_completed()),
                   static_cast<unsigned long long>(ctx.clock.MonotonicMs() - started_ms_));
      break;
    default:
      break;
  }
}

}  // namespace pmu::firmware
