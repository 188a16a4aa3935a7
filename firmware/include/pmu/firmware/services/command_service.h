// The command service (docs/PROTOCOL.md "Command service"): one command per connection,
// ended by a line feed, by ~50 ms of silence, or by the peer's half-close; the answer
// is produced by a CommandJob as the send buffer drains; then the device closes.
//
// The same service runs over plain TCP (5003) and TLS (5007): the connection layer
// (port/tcp_listener.h) hides which. Beyond the session limit a new connection gets
// "ERROR busy ..." (plain TCP) or a reset (TLS) and the others are not disturbed. A
// session that receives no command within the idle timeout is aborted; a client that
// stops reading its answer is reset by the connection layer's stall rule.
//
// Context: main loop only.
#pragma once

#include <cstdint>

#include "pmu/base/report.h"
#include "pmu/base/status.h"
#include "pmu/firmware/config.h"
#include "pmu/firmware/services/command_job.h"
#include "pmu/firmware/services/service_context.h"
#include "pmu/port/tcp_listener.h"
#include "pmu/proto/command.h"

namespace pmu::firmware {

class CommandService;

struct CommandServiceCounters {
  std::uint32_t completed = 0;   // answered and closed normally
  std::uint32_t errors = 0;      // answered with ERROR
  std::uint32_t timeouts = 0;    // no command within the idle timeout
  std::uint64_t bytes_sent = 0;
};

class CommandSession final : public port::ConnectionEvents {
 public:
  CommandSession(CommandService& service, port::Connection& connection);

  void OnReceive() override;
  void OnPeerClosed() override;
  void OnSent() override { Pump(); }
  void OnTick() override;
  void OnTimer() override;
  void OnEnded(const char* why) override;

 private:
  enum class Phase : std::uint8_t { kReading, kRunning };

  // The command is complete (line end, silence or half-close): start its answer.
  void Execute();
  // Writes the answer as room allows, then closes.
  void Pump();
  void LogDone();

  CommandService& service_;
  port::Connection& connection_;
  Phase phase_ = Phase::kReading;
  std::uint64_t started_ms_ = 0;
  proto::CommandReader reader_;
  CommandJob job_;
};

class CommandService : public StatsReporter {
 public:
  // Starts listening; `tag` names the service in the log ("cmd", "tls-cmd"). With
  // `tls`, the client's certificate is checked against the server's policy when the
  // command arrives (an anonymous or refused client gets "ERROR client certificate ...").
  Status Start(std::uint16_t port, const CommandLimits& limits, std::size_t max_sessions, const char* tag,
               port::TlsServer* tls = nullptr, std::uint32_t tls_handshake_ms = 0);

  const CommandServiceCounters& counters() const { return counters_; }
  bool StatsLine(std::size_t index, ReportLine& line) const override;
  const port::TcpListenerBase& listener() const { return listener_; }

 protected:
  // `listener` is the session pool of the TcpCommandService or TlsCommandService this is.
  CommandService(const ServiceContext& context, port::TcpListenerBase& listener)
      : ctx_(context), listener_(listener) {}
  virtual ~CommandService() = default;

 private:
  friend class CommandSession;
  ServiceContext ctx_;
  CommandLimits limits_{};
  const char* tag_ = "cmd";
  bool tls_ = false;
  CommandServiceCounters counters_;
  port::TcpListenerBase& listener_;
};

// The command service over plain TCP (5003), with room for kMaxCommandSessions.
class TcpCommandService final : public CommandService {
 public:
  explicit TcpCommandService(const ServiceContext& context);
  ~TcpCommandService() override;

 private:
  port::TcpListener<CommandService, CommandSession, kMaxCommandSessions> pool_;
};

#if PMU_WITH_TLS
// The command service over TLS (5007), with room for the TLS sessions the console does
// not keep: a slot is a session's size whatever the limit, so the pool is what it needs.
class TlsCommandService final : public CommandService {
 public:
  explicit TlsCommandService(const ServiceContext& context);
  ~TlsCommandService() override;

 private:
  port::TcpListener<CommandService, CommandSession, kMaxTlsSessions - 1> pool_;
};
#endif

}  // namespace pmu::firmware
