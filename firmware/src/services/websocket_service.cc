#include "pmu/firmware/services/websocket_service.h"

#include <cinttypes>

#include <algorithm>
#include <cstring>

#include "pmu/crypto/sha256.h"

namespace pmu::firmware {
namespace {

namespace ws = proto::websocket;

constexpr const char* kTag = "ws";

// One frame per write, header included, at most one segment: each write is whole in
// the send queue, so the stream is at a frame boundary after every write and a pong or
// the close can always go next.
constexpr std::size_t kChunk = port::kSegmentSize;
static_assert(kChunk >= ws::kMaxFrameHeaderSize + ws::kMaxControlPayload);
static_assert(kChunk >= ws::kMaxHandshakeResponseSize);
// The main loop is single-threaded: one buffer for what is being written, one for
// what is being read, shared by every session.
std::byte g_outgoing[kChunk];
std::byte g_incoming[512];
// The 503 answer beyond the session limit, written once at start.
char g_busy[ws::kMaxHandshakeResponseSize];

// RAM: a slot is the 2 KiB handshake buffer, which the decoder, the job and the command
// use after the upgrade, and the session's own state: about 2.3 KiB on a 64-bit host
// (less on the board). Keep it there.
static_assert(sizeof(WebSocketSession) <= 2560, "a WebSocket session slot grew past 2.5 KiB");

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
  const std::size_t busy = ws::WriteRejectResponse(ws::HttpStatus::kServiceUnavailable,
                                                   "too many WebSocket clients, try again later", g_busy);
  port::ListenOptions options;
  options.tag = kTag;
  options.port = port;
  options.max_sessions = max_sessions;
  options.refusal = port::Refusal::kAnswer;
  options.refusal_text = std::string_view(g_busy, busy);
  PMU_TRY(listener_.Listen(options));
  PMU_LOG_INFO(ctx_.log, kTag, "listening on TCP port %u (up to %u sessions, messages up to %llu bytes)", port,
               static_cast<unsigned>(max_sessions), static_cast<unsigned long long>(max_message_));
  return Status::Ok();
}

// ---- session: life cycle -------------------------------------------------------------

WebSocketSession::WebSocketSession(WebSocketService& service, port::Connection& connection)
    : service_(service), connection_(connection) {
  last_progress_ms_ = started_ms_ = service_.ctx_.clock.MonotonicMs();
  PMU_LOG_DEBUG(service_.ctx_.log, kTag, "%s connected", connection_.peer().c_str());
}

void WebSocketSession::Finish() {
  phase_ = Phase::kDone;
  connection_.Close();
}

void WebSocketSession::Abort(const char* why) {
  PMU_LOG_WARN(service_.ctx_.log, kTag, "%s aborted: %s", connection_.peer().c_str(), why);
  phase_ = Phase::kDone;
  connection_.Abort();
}

void WebSocketSession::Drain() {
  connection_.StopTimer();
  phase_ = Phase::kDraining;
  wait_from_ms_ = service_.ctx_.clock.MonotonicMs();
  // The FIN follows what is queued; the client's bytes are still read (and dropped),
  // so no reset cuts off the answer it has not read yet.
  connection_.DiscardInput();
  connection_.ShutdownOutput();
}

void WebSocketSession::OnEnded(const char* why) {
  if (phase_ == Phase::kOpen || phase_ == Phase::kRunning) ++service_.counters_.resets;
  PMU_LOG_INFO(service_.ctx_.log, kTag, "%s connection ended: %s", connection_.peer().c_str(), why);
}

// ---- session: events ----------------------------------------------------------------

void WebSocketSession::OnReceive() {
  // The device never holds input back: everything is consumed at once, and what is
  // not the handshake, the command or a control frame is dropped.
  last_progress_ms_ = service_.ctx_.clock.MonotonicMs();
  for (ByteSpan held = connection_.Peek(); !held.empty() && !done(); held = connection_.Peek()) {
    const std::size_t n = std::min(held.size(), sizeof(g_incoming));
    std::memcpy(g_incoming, held.data(), n);
    connection_.Consume(n);
    OnBytes(MutableByteSpan(g_incoming, n));
  }
  Pump();
}

void WebSocketSession::OnSent() {
  last_progress_ms_ = service_.ctx_.clock.MonotonicMs();
  Pump();
}

void WebSocketSession::OnTick() {
  CheckTimeouts(service_.ctx_.clock.MonotonicMs());
  Pump();  // retry what failed for lack of memory
}

void WebSocketSession::CheckTimeouts(std::uint64_t now) {
  const ServiceContext& ctx = service_.ctx_;
  WebSocketCounters& counters = service_.counters_;
  const std::uint64_t idle_limit_ms = std::uint64_t{ctx.config.idle_timeout_s} * 1000;
  switch (phase_) {
    case Phase::kHandshake:
      if (now - started_ms_ >= service_.handshake_timeout_ms_) {
        ++counters.timeouts;
        Abort("no complete WebSocket handshake before the handshake timeout");
      }
      return;
    case Phase::kOpen:
      if (now - last_progress_ms_ >= idle_limit_ms) {
        ++counters.timeouts;
        Abort("no command before the idle timeout");
      }
      return;
    case Phase::kRunning:
    case Phase::kClosing:
      // A client that stops reading is the connection layer's (its stall rule).
      if (close_sent_ && now - wait_from_ms_ >= kWebSocketCloseWaitMs) {
        ++counters.timeouts;
        PMU_LOG_INFO(ctx.log, kTag, "%s sent no close frame within %u ms; closing", connection_.peer().c_str(),
                     static_cast<unsigned>(kWebSocketCloseWaitMs));
        Finish();
      }
      return;
    case Phase::kDraining:
      if (now - wait_from_ms_ >= kWebSocketCloseWaitMs) Finish();
      return;
    case Phase::kDone:
      return;
  }
}

void WebSocketSession::OnPeerClosed() {
  const ServiceContext& ctx = service_.ctx_;
  switch (phase_) {
    case Phase::kHandshake:
      PMU_LOG_INFO(ctx.log, kTag, "%s closed before completing the handshake", connection_.peer().c_str());
      break;
    case Phase::kOpen:
    case Phase::kRunning:
      // A TCP close without a close frame: the WebSocket closed abnormally (1006).
      ++service_.counters_.resets;
      PMU_LOG_INFO(ctx.log, kTag, "%s closed TCP without a close frame", connection_.peer().c_str());
      break;
    case Phase::kClosing:
      if (!peer_close_seen_) {
        PMU_LOG_INFO(ctx.log, kTag, "%s closed TCP without answering the close", connection_.peer().c_str());
      }
      break;
    case Phase::kDraining:
    case Phase::kDone:
      break;
  }
  Finish();
}

// ---- session: input --------------------------------------------------------------------

void WebSocketSession::OnBytes(MutableByteSpan data) {
  while (!data.empty()) {
    switch (phase_) {
      case Phase::kHandshake: {
        const std::size_t used = head().Feed(data);
        data = data.subspan(used);
        if (head().state() == ws::HttpHeadReader::State::kReading) return;
        Handshake();
        break;  // the bytes after the head are frames (or are drained)
      }
      case Phase::kOpen:
      case Phase::kRunning:
      case Phase::kClosing:
        OnFrames(data);
        return;
      case Phase::kDraining:
      case Phase::kDone:
        return;
    }
  }
}

void WebSocketSession::Handshake() {
  const ServiceContext& ctx = service_.ctx_;
  ws::UpgradeRequest request;
  if (head().state() == ws::HttpHeadReader::State::kTooLarge) {
    request.response = ws::HttpStatus::kRequestHeaderFieldsTooLarge;
    request.reason = "request head larger than 2048 bytes";
  } else {
    request = ws::ParseUpgradeRequest(head().head());
    if (request.response == ws::HttpStatus::kSwitchingProtocols && !PathServed(request.path)) {
      request.response = ws::HttpStatus::kNotFound;
      request.reason = "no WebSocket service at this path; use /";
    }
  }
  char* text = reinterpret_cast<char*>(g_outgoing);
  const std::size_t n = ws::WriteHandshakeResponse(request, std::span<char>(text, kChunk));
  if (n == 0 || !WriteWhole(n)) {
    Abort("no room for the handshake response");
    return;
  }
  connection_.Flush();
  if (request.response != ws::HttpStatus::kSwitchingProtocols) {
    ++service_.counters_.rejected;
    PMU_LOG_WARN(ctx.log, kTag, "%s handshake refused with %u: %s", connection_.peer().c_str(),
                 static_cast<unsigned>(request.response), request.reason);
    Drain();
    return;
  }
  ++service_.counters_.upgraded;
  state_.emplace<Exchange>(service_.max_message_);  // the head is not needed any more
  phase_ = Phase::kOpen;
  PMU_LOG_DEBUG(ctx.log, kTag, "%s upgraded to WebSocket", connection_.peer().c_str());
}

void WebSocketSession::OnFrames(MutableByteSpan& data) {
  for (;;) {
    if (exchange().decoder.finished() || done()) return;  // bytes after a close are not looked at
    const ws::MessageEvent ev = exchange().decoder.Next(data);
    switch (ev.kind) {
      case ws::MessageEvent::Kind::kNeedMore:
        return;
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
        OnPeerClose(ev.close_code);
        return;
      case ws::MessageEvent::Kind::kError:
        ++service_.counters_.protocol_errors;
        PMU_LOG_WARN(service_.ctx_.log, kTag, "%s broke the protocol (%s): closing with %u",
                     connection_.peer().c_str(), ev.error.reason, ev.error.close_code);
        if (close_sent_) {
          Finish();
        } else {
          QueueClose(ev.error.close_code, ev.error.reason, AfterClose::kDrain);
        }
        return;
    }
  }
}

void WebSocketSession::OnData(const ws::MessageEvent& ev) {
  if (phase_ != Phase::kOpen) {
    // One command per connection: later messages are read and dropped, as bytes after
    // the command are on 5003.
    if (ev.last && ++ignored_messages_ == 1) {
      PMU_LOG_INFO(service_.ctx_.log, kTag, "%s sent another message; ignored (one command per connection)",
                   connection_.peer().c_str());
    }
    return;
  }
  if (ev.first) command_binary_ = ev.message_type == ws::Opcode::kBinary;
  const std::string_view piece = AsText(ev.data);
  if (exchange().command.size() + piece.size() > exchange().command.capacity()) {
    command_too_long_ = true;
  } else {
    exchange().command.Append(piece);
  }
  if (ev.last) Execute();
}

void WebSocketSession::OnPeerClose(std::uint16_t code) {
  peer_close_seen_ = true;
  if (close_queued_) {
    // The client answers our close (or closed at the same time): the closing
    // handshake is complete once ours is out.
    if (close_sent_) {
      Finish();
    } else {
      after_close_ = AfterClose::kCloseTcp;
    }
    return;
  }
  ++service_.counters_.peer_closes;
  PMU_LOG_INFO(service_.ctx_.log, kTag, "%s closed the WebSocket (code %u)%s", connection_.peer().c_str(), code,
               phase_ == Phase::kRunning ? " before the answer was complete" : "");
  // Echo the code (an empty close is echoed empty), then close TCP.
  QueueClose(code, "", AfterClose::kCloseTcp);
}

void WebSocketSession::Execute() {
  const ServiceContext& ctx = service_.ctx_;
  const std::uint64_t now = ctx.clock.MonotonicMs();
  if (command_binary_) {
    exchange().job.StartError("command must be a text message", service_.limits_);
    close_after_job_ = ws::kCloseUnsupportedData;
  } else if (command_too_long_) {
    exchange().job.StartError("command too long", service_.limits_);
  } else {
    exchange().job.Start(exchange().command.view(), service_.limits_, now, ctx.clock.UtcNs());
  }
  phase_ = Phase::kRunning;
  last_progress_ms_ = now;
  FixedString<64> shown;
  for (char c : exchange().command.view()) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7F) {
      shown.Append(c);
    } else {
      shown.Format("\\x%02x", u);
    }
  }
  if (exchange().job.outcome() == CommandJob::Outcome::kError) {
    ++service_.counters_.errors;
    const std::string_view reason = exchange().job.error_reason();
    PMU_LOG_WARN(ctx.log, kTag, "%s %s\"%s\": ERROR %.*s", connection_.peer().c_str(),
                 command_binary_ ? "binary " : "", shown.c_str(), static_cast<int>(reason.size()), reason.data());
  } else {
    PMU_LOG_INFO(ctx.log, kTag, "%s \"%s\"", connection_.peer().c_str(), shown.c_str());
  }
}

void WebSocketSession::QueueClose(std::uint16_t code, const char* reason, AfterClose after) {
  connection_.StopTimer();
  phase_ = Phase::kClosing;
  close_queued_ = true;
  close_code_ = code;
  close_reason_ = reason;
  after_close_ = after;
  pong_pending_ = false;
}

// ---- session: output -------------------------------------------------------------------

bool WebSocketSession::WriteWhole(std::size_t size) {
  if (size == 0 || connection_.SendRoom(/*bulk=*/false) < size) return false;
  const Status s = connection_.Write(ByteSpan(g_outgoing, size), /*more=*/false);
  if (s.ok()) return true;
  // The heap or the segments are short: the next OnSent or OnTick retries.
  if (s.code() != StatusCode::kResourceExhausted) Abort("write failed");
  return false;
}

void WebSocketSession::Pump() {
  if (phase_ == Phase::kHandshake || phase_ == Phase::kDraining || done()) return;
  bool wrote = false;
  if (pong_pending_) {
    const std::size_t n = ws::EncodeFrame(ws::Opcode::kPong, true, ByteSpan(pong_, pong_size_), std::nullopt,
                                          MutableByteSpan(g_outgoing, kChunk));
    if (WriteWhole(n)) {
      pong_pending_ = false;
      wrote = true;
      ++service_.counters_.pings;
    }
    if (done()) return;
  }
  if (!pong_pending_ && phase_ == Phase::kRunning) {
    if (!PumpData(wrote) || done()) {
      if (wrote && !done()) connection_.Flush();
      return;
    }
  }
  if (close_queued_ && !close_sent_ && !pong_pending_) {
    const std::size_t n = ws::EncodeCloseFrame(close_code_, close_reason_, std::nullopt, MutableByteSpan(g_outgoing, kChunk));
    if (WriteWhole(n)) {
      close_sent_ = true;
      wrote = true;
      wait_from_ms_ = service_.ctx_.clock.MonotonicMs();
    }
    if (done()) return;
  }
  if (wrote) connection_.Flush();
  if (!close_sent_) return;
  switch (after_close_) {
    case AfterClose::kWaitForPeer:
      if (peer_close_seen_) Finish();
      return;
    case AfterClose::kCloseTcp:
      Finish();
      return;
    case AfterClose::kDrain:
      Drain();
      return;
  }
}

bool WebSocketSession::PumpData(bool& wrote) {
  const ServiceContext& ctx = service_.ctx_;
  while (!exchange().job.done()) {
    const std::uint64_t now = ctx.clock.MonotonicMs();
    const std::uint64_t wait = exchange().job.WaitMs(now);
    if (wait > 0) {
      connection_.StartTimer(static_cast<std::uint32_t>(wait));
      return false;
    }
    const std::size_t room = std::min(connection_.SendRoom(exchange().job.outcome() == CommandJob::Outcome::kFloodme), kChunk);
    if (room < 3) return false;  // OnSent resumes
    // The largest payload whose frame fits the room: a 2-byte header up to 125 bytes,
    // a 4-byte one above (a frame never exceeds one segment, so never the 64-bit form).
    const std::size_t max_payload = room - 2 <= ws::kMaxControlPayload ? room - 2 : room - 4;
    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(max_payload, exchange().job.message_remaining()));
    const std::size_t head = ws::FrameHeaderSize(want, false);
    const std::size_t n = exchange().job.Peek(MutableByteSpan(g_outgoing + head, want));
    const bool last = n == exchange().job.message_remaining();
    // Commit the framer only once the frame is queued.
    ws::MessageFramer framer = exchange().job.at_message_start() ? ws::MessageFramer(ws::Opcode::kText) : exchange().framer;
    if (framer.WriteFrameHeader(n, last, MutableByteSpan(g_outgoing, head)) != head) {
      Abort("framing failed");
      return false;
    }
    const Status s = connection_.Write(ByteSpan(g_outgoing, head + n), /*more=*/!last);
    if (s.code() == StatusCode::kResourceExhausted) return false;  // the next OnSent or OnTick retries
    if (!s.ok()) {
      Abort("write failed");
      return false;
    }
    exchange().framer = framer;
    const bool pause = last && exchange().job.pause_after_message();
    exchange().job.Consume(ByteSpan(g_outgoing + head, n), now);
    ++service_.counters_.frames_sent;
    service_.counters_.bytes_sent += n;
    wrote = true;
    if (pause) {
      // Each message of CMD_short:d with d > 0 leaves in its own segment.
      connection_.Flush();
      wrote = false;
    }
  }
  LogJobDone();
  if (exchange().job.outcome() != CommandJob::Outcome::kError) ++service_.counters_.completed;
  QueueClose(close_after_job_, "", AfterClose::kWaitForPeer);
  return true;
}

void WebSocketSession::LogJobDone() {
  const ServiceContext& ctx = service_.ctx_;
  switch (exchange().job.outcome()) {
    case CommandJob::Outcome::kFloodme:
      PMU_LOG_INFO(ctx.log, kTag, "%s floodme sent %llu bytes sha256=%s", connection_.peer().c_str(),
                   static_cast<unsigned long long>(exchange().job.bytes_consumed()),
                   crypto::Sha256::ToHex(exchange().job.floodme_digest()).c_str());
      break;
    case CommandJob::Outcome::kShort:
      PMU_LOG_INFO(ctx.log, kTag, "%s short sent %lu messages in %llu ms", connection_.peer().c_str(),
                   static_cast<unsigned long>(exchange().job.messages_completed()),
                   static_cast<unsigned long long>(ctx.clock.MonotonicMs() - started_ms_));
      break;
    default:
      break;
  }
}

bool WebSocketService::StatsLine(std::size_t index, ReportLine& t) const {
  if (index > 0) return listener_.ConnectionLine(index - 1, t);
  const WebSocketCounters& w = counters_;
  if (!listener_.Summary(t)) return false;
  t.Format(" upgraded=%" PRIu32 " rejected=%" PRIu32 " completed=%" PRIu32 " errors=%" PRIu32
           " protocol_errors=%" PRIu32 " peer_closes=%" PRIu32 " timeouts=%" PRIu32 " resets=%" PRIu32
           " pings=%" PRIu32 " frames=%llu bytes=%llu",
           w.upgraded, w.rejected, w.completed, w.errors, w.protocol_errors, w.peer_closes, w.timeouts, w.resets,
           w.pings, static_cast<unsigned long long>(w.frames_sent), static_cast<unsigned long long>(w.bytes_sent));
  return true;
}

}  // namespace pmu::firmware
