// The operator console (docs/PROTOCOL.md "Operator console", TLS 5008).
//
// Mutual TLS: the client must present a certificate from the device's CA whose common
// name is on tls.allowed_clients (the handshake fails otherwise). Line-oriented: one
// command a line; every response is zero or more lines of text and then one status
// line, "OK" or "ERROR <reason>". The commands are a table (name, arguments, help,
// handler); `help` prints it. An unknown command answers "ERROR unknown command 'x';
// try 'help'" and the session continues. Every command is written to the device log
// with the client's name.
//
// Responses are produced line by line as the send buffer drains (a long log never
// sits in memory whole). Context: main loop only.
#pragma once

#include <cstdint>
#include <span>

#include "pmu/base/fixed_string.h"
#include "pmu/base/report.h"
#include "pmu/base/result.h"
#include "pmu/firmware/config_store.h"
#include "pmu/firmware/identity.h"
#include "pmu/firmware/services/service_context.h"
#include "pmu/port/tcp_listener.h"
#include "pmu/proto/console_line.h"
#include "pmu/proto/line_reader.h"
#include "pmu_target_config.h"

namespace pmu::firmware {

class ConsoleService;

// Operator sessions at once: the target's (a board's profile); each also needs a TLS
// session (tls.max_sessions keeps one for the console).
inline constexpr std::uint8_t kMaxConsoleSessions = PMU_MAX_CONSOLE_SESSIONS;

// What the console works on: the device as an operator may see and change it.
class ConsoleHost {
 public:
  virtual const char* board_name() const = 0;
  virtual std::uint64_t UptimeMs() const = 0;
  virtual std::uint32_t boot_count() const = 0;
  // The statistics report's parts, in order.
  virtual std::span<const StatsReporter* const> stats_parts() const = 0;
  // The interface summary, one line per index; false past the end.
  virtual bool InterfaceLine(std::size_t index, ReportLine& line) const = 0;
  virtual ConfigEditor& config_editor() = 0;
  // Applies the candidate's c37.* and waveform.* keys while running; returns CFGCNT.
  virtual Result<std::uint16_t> ApplyMeasurementKeys() = 0;
  // The console's answer goes out, then the device restarts.
  virtual void RequestReboot() = 0;

 protected:
  ~ConsoleHost() = default;
};

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

  // One command of the table: its name (one or two words), the words that may follow
  // it, its help, and what runs it (given the parsed line and where the arguments
  // start).
  struct Command {
    const char* name;
    const char* arguments;  // for help and usage errors; "" when none
    const char* help;       // nullptr: an alias help does not list
    void (ConsoleSession::*run)(const proto::ConsoleLine& line, std::size_t first_argument);
    std::uint8_t min_arguments;
    std::uint8_t max_arguments;
  };

 private:
  // What is being answered; lines are produced by index.
  enum class Output : std::uint8_t {
    kNone, kText, kHelp, kStats, kLog, kConfig, kInterfaces, kCertInfo,
  };
  using Line = FixedString<256>;

  void ProcessInput();
  void ProcessLines();
  void HandleLine(std::string_view line);
  bool Authenticate();
  void Dispatch(const proto::ConsoleLine& cmd);
  void FinishPemInput();
  bool NextLine(Line& out);
  void Pump();
  void Close();
  void Respond(Output kind, std::size_t count = 0);
  void RespondText(const char* format, ...) __attribute__((format(printf, 2, 3)));
  void Fail(const char* format, ...) __attribute__((format(printf, 2, 3)));

  // The commands (console_service.cc's table).
  void Help(const proto::ConsoleLine& line, std::size_t first_argument);
  void Version(const proto::ConsoleLine& line, std::size_t first_argument);
  void Uptime(const proto::ConsoleLine& line, std::size_t first_argument);
  void Date(const proto::ConsoleLine& line, std::size_t first_argument);
  void Interfaces(const proto::ConsoleLine& line, std::size_t first_argument);
  void Stats(const proto::ConsoleLine& line, std::size_t first_argument);
  void ShowLog(const proto::ConsoleLine& line, std::size_t first_argument);
  void ConfigShow(const proto::ConsoleLine& line, std::size_t first_argument);
  void ConfigSet(const proto::ConsoleLine& line, std::size_t first_argument);
  void ConfigApply(const proto::ConsoleLine& line, std::size_t first_argument);
  void ConfigSave(const proto::ConsoleLine& line, std::size_t first_argument);
  void CertInfo(const proto::ConsoleLine& line, std::size_t first_argument);
  void CertCsr(const proto::ConsoleLine& line, std::size_t first_argument);
  void CertInstall(const proto::ConsoleLine& line, std::size_t first_argument);
  void Reboot(const proto::ConsoleLine& line, std::size_t first_argument);
  void Exit(const proto::ConsoleLine& line, std::size_t first_argument);

  static const Command kCommands[];
  static const std::size_t kCommandCount;

  ConsoleService& service_;
  ConsoleHost& host_;
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
  ReportReader report_;            // kStats
  bool status_sent_ = true;
  FixedString<200> status_;        // "OK" or "ERROR ..."
  FixedString<1536> text_;         // kText lines; the PEM being pasted for cert install
  std::size_t text_pos_ = 0;
};

class ConsoleService final : public StatsReporter {
 public:
  // `identity`: the device's TLS identity, which `cert csr` and `cert install` renew.
  ConsoleService(const ServiceContext& context, ConsoleHost& host, DeviceIdentity& identity)
      : ctx_(context), host_(host), identity_(identity), listener_(*this) {}
  // Listens with `tls` (which must require client certificates).
  Status Start(std::uint16_t port, port::TlsServer& tls, std::uint32_t tls_handshake_ms);
  const ConsoleCounters& counters() const { return counters_; }
  bool StatsLine(std::size_t index, ReportLine& line) const override;
  const port::TcpListenerBase& listener() const { return listener_; }

 private:
  friend class ConsoleSession;
  ServiceContext ctx_;
  ConsoleHost& host_;
  DeviceIdentity& identity_;
  ConsoleCounters counters_;
  port::TcpListener<ConsoleService, ConsoleSession, kMaxConsoleSessions> listener_;
};

}  // namespace pmu::firmware
