#include "pmu/firmware/services/echo_service.h"

#include <cinttypes>

#include <algorithm>

namespace pmu::firmware {
namespace {
constexpr const char* kTag = "echo";
}

Status EchoService::Start(std::uint16_t port, std::size_t max_sessions) {
  port::ListenOptions options;
  options.tag = kTag;
  options.port = port;
  options.max_sessions = max_sessions;
  PMU_TRY(listener_.Listen(options));
  PMU_LOG_INFO(ctx_.log, kTag, "listening on TCP port %u (up to %u sessions)", port,
               static_cast<unsigned>(max_sessions));
  return Status::Ok();
}

EchoSession::EchoSession(EchoService& service, port::Connection& connection)
    : service_(service), connection_(connection), last_activity_ms_(service.ctx_.clock.MonotonicMs()) {
  PMU_LOG_DEBUG(service_.ctx_.log, kTag, "%s connected", connection_.peer().c_str());
}

void EchoSession::Echo() {
  bool wrote = false;
  for (ByteSpan held = connection_.Peek(); !held.empty(); held = connection_.Peek()) {
    // A few bytes typed by someone are not bulk; a stream of them is.
    const std::size_t n = std::min(connection_.SendRoom(/*bulk=*/held.size() > 512), held.size());
    if (n == 0 || !connection_.Write(held.first(n), /*more=*/false).ok()) break;  // OnSent resumes
    connection_.Consume(n);
    echoed_ += n;
    service_.counters_.bytes_echoed += n;
    wrote = true;
  }
  if (wrote) connection_.Flush();
  if (connection_.peer_closed() && connection_.Peek().empty()) {
    PMU_LOG_INFO(service_.ctx_.log, kTag, "%s closed by peer after %llu bytes echoed", connection_.peer().c_str(),
                 static_cast<unsigned long long>(echoed_));
    connection_.Close();
  }
}

void EchoSession::OnReceive() {
  last_activity_ms_ = service_.ctx_.clock.MonotonicMs();
  Echo();
}

void EchoSession::OnSent() {
  last_activity_ms_ = service_.ctx_.clock.MonotonicMs();
  Echo();
}

void EchoSession::OnTick() {
  Echo();  // room may have come back that this session's own events did not see
  const std::uint64_t now = service_.ctx_.clock.MonotonicMs();
  // Idle means nothing either way; data waiting for the peer is the stall rule's.
  if (connection_.unacknowledged() > 0 || !connection_.Peek().empty()) last_activity_ms_ = now;
  const std::uint64_t limit_ms = std::uint64_t{service_.ctx_.config.idle_timeout_s} * 1000;
  if (now - last_activity_ms_ < limit_ms) return;
  ++service_.counters_.timeouts;
  PMU_LOG_WARN(service_.ctx_.log, kTag, "%s aborted after %llu bytes: idle timeout", connection_.peer().c_str(),
               static_cast<unsigned long long>(echoed_));
  connection_.Abort();
}

void EchoSession::OnEnded(const char* why) {
  PMU_LOG_INFO(service_.ctx_.log, kTag, "%s connection ended after %llu bytes: %s", connection_.peer().c_str(),
               static_cast<unsigned long long>(echoed_), why);
}

bool EchoService::StatsLine(std::size_t index, ReportLine& t) const {
  if (index > 0) return listener_.ConnectionLine(index - 1, t);
  if (!listener_.Summary(t)) return false;
  t.Format(" timeouts=%" PRIu32 " bytes=%llu", counters_.timeouts, static_cast<unsigned long long>(counters_.bytes_echoed));
  return true;
}

}  // namespace pmu::firmware
