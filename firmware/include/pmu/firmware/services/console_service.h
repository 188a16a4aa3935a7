// The operator console (docs/PROTOCOL.md "Operator console", TLS 5008).
//
// Mutual TLS: the client must present a certificate from the device's CA whose common
// name is on tls.allowed_clients (the handshake fails otherwise). Line-oriented: one
// command a line; every response is zero or more lines of text and then one status
// line, "OK" or "ERROR <reason>" (docs/PROTOCOL.md lists the commands). An
// unknown command answers "ERROR unknown command 'x'; try 'help'" and the session
// continues. Every command is written to the device log with the client's name.
//
// Responses are produced line by line as the send buffer drains (a long log never
// sits in memory whole). Context: main loop only.
#pragma once

#include <cstdint>

#include "pmu/base/fixed_string.h"
#include "pmu/base/status.h"
#include "pmu/firmware/services/service_context.h"
#include "pmu/port/tcp_listener.h"
#include "pmu/proto/console_line.h"
#include "pmu/proto/line_reader.h"

namespace pmu::firmware {

class Device;
class ConsoleService;

inline constexpr std::uint8_t kMaxConsoleSessions = 2;

struct ConsoleCounters {
  std::uint32_t commands = 0;
  std::uint32_t errors = 0;
};

class ConsoleSession final : public port::ConnectionEvents {
 public:
  ConsoleSession(ConsoleService& service, port::Connection& connection);

  void OnReceive() override { ProcessInput(); }
  void OnPeerClosed() override { ProcessInput(); }
  void OnSent() override;
  void OnTick() override;
  void OnEnded(const char* why) override;

 private:
  // What is being answered; lines are produced by index.
  enum class Output : std::uint8_t {
    kNone, kText, kHelp, kStats, kLog, kConfig, kInterfaces, kCertInfo,
  };
  using Line = FixedString<256>;

  void ProcessInput();
  void ProcessLines();
  void HandleLine(std::string_view line);
  void Dispatch(const proto::ConsoleLine& cmd);
  void FinishPemInput();
  bool NextLine(Line& out);
  void Pump();
  void Close();
  void Respond(Output kind, std::size_t count = 0);
  void Fail(const char* format, ...) __attribute__((format(printf, 2, 3)));

  ConsoleService& service_;
  port::Connection& connection_;
  FixedString<64> client_;        // certificate common name, known after the handshake
  bool authenticated_ = false;
  bool ended_ = false;            // the session closed its connection
  bool skipping_ = false;         // discarding the rest of an over-long line
  bool processing_ = false;       // inside ProcessLines: Pump must not re-enter it
  bool pem_input_ = false;        // between "cert install" and the END line
  bool close_after_ = false;      // reboot, exit, refused client: close once the answer is out
  std::uint64_t last_activity_ms_ = 0;
  proto::LineReader<proto::kMaxConsoleLine> reader_;

  // The answer being sent.
  Output output_ = Output::kNone;
  std::size_t index_ = 0;
  std::size_t count_ = 0;          // kLog: records to show
  std::uint32_t log_first_ = 0;    // kLog: sequence number of the first record
  bool status_sent_ = true;
  FixedString<200> status_;        // "OK" or "ERROR ..."
  FixedString<1536> text_;         // kText lines; the PEM being pasted for cert install
  std::size_t text_pos_ = 0;
};

class ConsoleService {
 public:
  ConsoleService(const ServiceContext& context, Device& device)
      : ctx_(context), device_(device), listener_(*this) {}
  // Listens with `tls` (which must require client certificates).
  Status Start(std::uint16_t port, port::TlsServer& tls, std::uint32_t tls_handshake_ms);
  const ConsoleCounters& counters() const { return counters_; }
  const port::TcpListenerBase& listener() const { return listener_; }

 private:
  friend class ConsoleSession;
  ServiceContext ctx_;
  Device& device_;
  ConsoleCounters counters_;
  port::TcpListener<ConsoleService, ConsoleSession, kMaxConsoleSessions> listener_;
};

}  // namespace pmu::firmware
