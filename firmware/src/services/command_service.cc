#include "pmu/firmware/services/command_service.h"

#include <algorithm>
#include <cinttypes>

#include "pmu/crypto/sha256.h"

namespace pmu::firmware {
namespace {

// One segment's worth per write: each write becomes one copy in lwIP's heap.
constexpr std::size_t kChunk = 1460;
// The next segment of an answer, copied out of the job before it is written (the main
// loop is single-threaded, so one buffer serves every session).
std::byte g_segment[kChunk];

constexpr std::string_view kBusy = "ERROR busy: too many clients, try again later\n";

// The command as the log shows it: printable ASCII as is, anything else escaped.
FixedString<64> Quoted(std::string_view text) {
  FixedString<64> shown;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7F) {
      shown.Append(c);
    } else {
      shown.Format("\\x%02x", u);
    }
  }
  return shown;
}

}  // namespace

// ---- service -----------------------------------------------------------------------

TcpCommandService::TcpCommandService(const ServiceContext& context) : CommandService(context, pool_), pool_(*this) {}
TcpCommandService::~TcpCommandService() = default;

#if PMU_WITH_TLS
TlsCommandService::TlsCommandService(const ServiceContext& context) : CommandService(context, pool_), pool_(*this) {}
TlsCommandService::~TlsCommandService() = default;
#endif

Status CommandService::Start(std::uint16_t port, const CommandLimits& limits, std::size_t max_sessions,
                             const char* tag, port::TlsServer* tls, std::uint32_t tls_handshake_ms) {
  limits_ = limits;
  tag_ = tag;
  tls_ = tls != nullptr;
  port::ListenOptions options;
  options.tag = tag;
  options.port = port;
  options.max_sessions = max_sessions;
  options.refusal = port::Refusal::kAnswer;
  options.refusal_text = kBusy;
  options.tls = tls;
  options.tls_slots = port::TlsSlots::kShared;
  options.tls_handshake_ms = tls_handshake_ms;
  PMU_TRY(listener_.Listen(options));
  PMU_LOG_INFO(ctx_.log, tag_, "listening on TCP port %u (up to %u sessions)", port,
               static_cast<unsigned>(max_sessions));
  return Status::Ok();
}

// ---- session -----------------------------------------------------------------------

CommandSession::CommandSession(CommandService& service, port::Connection& connection)
    : service_(service), connection_(connection), started_ms_(service.ctx_.clock.MonotonicMs()) {
  PMU_LOG_DEBUG(service_.ctx_.log, service_.tag_, "%s connected", connection_.peer().c_str());
}

void CommandSession::OnReceive() {
  if (phase_ != Phase::kReading) {
    connection_.DiscardInput();  // bytes after the command are read by no one
    return;
  }
  for (ByteSpan held = connection_.Peek(); !held.empty() && reader_.state() == proto::LineState::kReading;
       held = connection_.Peek()) {
    connection_.Consume(reader_.Feed(held));
  }
  switch (reader_.state()) {
    case proto::LineState::kComplete:
      Execute();
      return;
    case proto::LineState::kTooLong:
      PMU_LOG_WARN(service_.ctx_.log, service_.tag_, "%s sent more than %u bytes without a line end",
                   connection_.peer().c_str(), static_cast<unsigned>(proto::kMaxCommandLength));
      Execute();
      return;
    case proto::LineState::kReading:
      // A bare command ends after a short silence; acknowledge at once so that a
      // client holding the rest back for our ACK (Nagle) is not taken for silent.
      connection_.AckNow();
      connection_.StartTimer(proto::kCommandIdleEndMs);
      return;
  }
}

void CommandSession::OnPeerClosed() {
  // Before a line feed the half-close ends the command; after it, the answer is still
  // delivered (the peer can read after shutting down its side).
  if (phase_ != Phase::kReading) return;
  if (reader_.started()) {
    Execute();
    return;
  }
  PMU_LOG_INFO(service_.ctx_.log, service_.tag_, "%s closed without a command", connection_.peer().c_str());
  connection_.Close();
}

void CommandSession::OnTimer() {
  if (phase_ == Phase::kReading) {
    if (reader_.started()) Execute();  // the silence after a bare command
    return;
  }
  Pump();  // the wait between two CMD_short messages is over
}

void CommandSession::OnTick() {
  if (phase_ != Phase::kReading) {
    Pump();  // room the others gave back (an answer's stalls are the layer's)
    return;
  }
  const ServiceContext& ctx = service_.ctx_;
  if (ctx.clock.MonotonicMs() - started_ms_ < std::uint64_t{ctx.config.idle_timeout_s} * 1000) return;
  ++service_.counters_.timeouts;
  PMU_LOG_WARN(ctx.log, service_.tag_, "%s aborted: no command before the idle timeout", connection_.peer().c_str());
  connection_.Abort();
}

void CommandSession::OnEnded(const char* why) {
  PMU_LOG_INFO(service_.ctx_.log, service_.tag_, "%s connection ended: %s", connection_.peer().c_str(), why);
}

void CommandSession::Execute() {
  connection_.StopTimer();
  connection_.DiscardInput();
  const ServiceContext& ctx = service_.ctx_;
  const std::uint64_t now = ctx.clock.MonotonicMs();
  FixedString<64> client;      // the TLS client's certificate name, if any
  FixedString<120> refusal;    // why the TLS policy refuses the client
  bool refused = false;
  if (service_.tls_) {
    // The handshake is over once application data arrives: check the client now.
    const Result<port::TlsPeer> peer = connection_.TlsClient(&refusal);
    if (peer.ok()) {
      client = peer->common_name;
    } else {
      refused = true;
      if (refusal.empty()) refusal.Append(peer.status().message());
    }
  }
  if (reader_.state() == proto::LineState::kTooLong) {
    job_.StartError("command too long", service_.limits_);
  } else if (refused) {
    FixedString<120> reason;
    reason.Format("client certificate not accepted: %s", refusal.c_str());
    job_.StartError(reason.c_str(), service_.limits_);
  } else {
    job_.Start(reader_.text(), service_.limits_, now, ctx.clock.UtcNs());
  }
  phase_ = Phase::kRunning;
  started_ms_ = now;
  FixedString<80> who;
  if (!client.empty()) who.Format(" (%s)", client.c_str());
  const FixedString<64> shown = Quoted(reader_.text());
  if (job_.outcome() == CommandJob::Outcome::kError) {
    ++service_.counters_.errors;
    PMU_LOG_WARN(ctx.log, service_.tag_, "%s%s \"%s\": ERROR %.*s", connection_.peer().c_str(), who.c_str(),
                 shown.c_str(), static_cast<int>(job_.error_reason().size()), job_.error_reason().data());
  } else {
    PMU_LOG_INFO(ctx.log, service_.tag_, "%s%s \"%s\"", connection_.peer().c_str(), who.c_str(), shown.c_str());
  }
  Pump();
}

void CommandSession::Pump() {
  if (phase_ != Phase::kRunning) return;
  const ServiceContext& ctx = service_.ctx_;
  bool wrote = false;
  while (!job_.done()) {
    const std::uint64_t now = ctx.clock.MonotonicMs();
    const std::uint64_t wait = job_.WaitMs(now);
    if (wait > 0) {
      connection_.StartTimer(static_cast<std::uint32_t>(wait));
      break;
    }
    const bool bulk = job_.outcome() == CommandJob::Outcome::kFloodme;
    const std::size_t room = std::min(connection_.SendRoom(bulk), kChunk);
    if (room == 0) break;  // OnSent resumes
    const std::size_t n = job_.Peek(MutableByteSpan(g_segment, room));
    const bool last_of_message = n == job_.message_remaining();
    const Status s = connection_.Write(ByteSpan(g_segment, n), /*more=*/!last_of_message);
    if (s.code() == StatusCode::kResourceExhausted) break;  // the heap is short: OnSent or OnTick retries
    if (!s.ok()) {
      PMU_LOG_WARN(ctx.log, service_.tag_, "%s aborted: write failed: %s", connection_.peer().c_str(), s.message());
      connection_.Abort();
      return;
    }
    const bool pause = last_of_message && job_.pause_after_message();
    job_.Consume(ByteSpan(g_segment, n), now);
    service_.counters_.bytes_sent += n;
    wrote = true;
    if (pause) {
      // Each message of CMD_short:d with d > 0 leaves in its own segment.
      connection_.Flush();
      wrote = false;
    }
  }
  if (wrote) connection_.Flush();
  if (!job_.done()) return;
  LogDone();
  if (job_.outcome() != CommandJob::Outcome::kError) ++service_.counters_.completed;
  connection_.Close();
}

void CommandSession::LogDone() {
  const ServiceContext& ctx = service_.ctx_;
  switch (job_.outcome()) {
    case CommandJob::Outcome::kFloodme:
      PMU_LOG_INFO(ctx.log, service_.tag_, "%s floodme sent %llu bytes sha256=%s", connection_.peer().c_str(),
                   static_cast<unsigned long long>(job_.bytes_consumed()),
                   crypto::Sha256::ToHex(job_.floodme_digest()).c_str());
      break;
    case CommandJob::Outcome::kShort:
      PMU_LOG_INFO(ctx.log, service_.tag_, "%s short sent %" PRIu32 " messages in %llu ms",
                   connection_.peer().c_str(), job_.messages_completed(),
                   static_cast<unsigned long long>(ctx.clock.MonotonicMs() - started_ms_));
      break;
    default:
      break;
  }
}

bool CommandService::StatsLine(std::size_t index, ReportLine& t) const {
  if (index > 0) return listener_.ConnectionLine(index - 1, t);
  const CommandServiceCounters& c = counters_;
  if (!listener_.Summary(t)) return false;
  t.Format(" completed=%" PRIu32 " errors=%" PRIu32 " timeouts=%" PRIu32 " bytes=%llu", c.completed, c.errors,
           c.timeouts, static_cast<unsigned long long>(c.bytes_sent));
  return true;
}

}  // namespace pmu::firmware
