// TCP echo (docs/PROTOCOL.md "Echo", port 5002): sends back every byte it receives
// until the peer closes, then closes and logs the close. Flow control is end to end:
// received bytes are consumed (and so acknowledged to the peer's window) only once
// they are queued on the way back, so a client that sends without reading is slowed
// down by TCP, not by dropped data, and one that stops reading altogether is reset by
// the connection layer's stall rule. Beyond the session limit a connection is reset
// at once: an echo stream has no room for an error text.
//
// Context: main loop only.
#pragma once

#include <cstdint>

#include "pmu/base/report.h"
#include "pmu/base/status.h"
#include "pmu/firmware/config.h"
#include "pmu/firmware/services/service_context.h"
#include "pmu/port/tcp_listener.h"

namespace pmu::firmware {

class EchoService;

struct EchoCounters {
  std::uint32_t timeouts = 0;  // idle (nothing either way) for the idle timeout
  std::uint64_t bytes_echoed = 0;
};

class EchoSession final : public port::ConnectionEvents {
 public:
  EchoSession(EchoService& service, port::Connection& connection);

  void OnReceive() override;
  void OnPeerClosed() override { Echo(); }
  void OnSent() override;
  void OnTick() override;
  void OnEnded(const char* why) override;

 private:
  // Queues what was received, as room allows; closes once the peer has closed and
  // everything is on its way back.
  void Echo();

  EchoService& service_;
  port::Connection& connection_;
  std::uint64_t echoed_ = 0;
  std::uint64_t last_activity_ms_ = 0;
};

class EchoService final : public StatsReporter {
 public:
  explicit EchoService(const ServiceContext& context) : ctx_(context), listener_(*this) {}
  Status Start(std::uint16_t port, std::size_t max_sessions);
  const EchoCounters& counters() const { return counters_; }
  bool StatsLine(std::size_t index, ReportLine& line) const override;
  const port::TcpListenerBase& listener() const { return listener_; }

 private:
  friend class EchoSession;
  ServiceContext ctx_;
  EchoCounters counters_;
  port::TcpListener<EchoService, EchoSession, kMaxEchoSessions> listener_;
};

}  // namespace pmu::firmware
