// The command service (docs/PROTOCOL.md "Command service"): one command per connection,
// ended by a line feed, by ~50 ms of silence, or by the peer's half-close; the answer
// is produced by a CommandJob as the send buffer drains; then the device closes.
//
// Written against altcp, so the same service runs over plain TCP (5003) and, with a
// TLS allocator, over TLS (5007). Sessions live in a static pool; beyond the
// configured limit a new connection gets "ERROR busy ..." and is closed, and the
// others are not disturbed. A session that makes no progress for the idle timeout
// (nothing received while waiting for the command, nothing acknowledged while
// sending) is aborted, so silent or half-open clients cannot hold a slot for ever.
//
// Context: all callbacks run in the main loop (lwIP NO_SYS).
#pragma once

#include <cstdint>

#include "lwip/altcp.h"
#include "pmu/base/status.h"
#include "pmu/firmware/services/command_job.h"
#include "pmu/firmware/services/service_context.h"
#include "pmu/firmware/session_pool.h"
#include "pmu/port/tls.h"
#include "pmu/proto/command.h"

namespace pmu::firmware {

class CommandService;

struct CommandServiceCounters {
  std::uint32_t accepted = 0;
  std::uint32_t refused = 0;     // beyond the session limit
  std::uint32_t completed = 0;   // answered and closed normally
  std::uint32_t errors = 0;      // answered with ERROR
  std::uint32_t timeouts = 0;    // aborted for lack of progress
  std::uint32_t resets = 0;      // ended by the peer or the stack
  std::uint64_t bytes_sent = 0;
};

class CommandSession {
 public:
  CommandSession(CommandService& service, altcp_pcb* pcb);
  ~CommandSession();
  CommandSession(const CommandSession&) = delete;
  CommandSession& operator=(const CommandSession&) = delete;

 private:
  friend class CommandService;
  // What a step did to the session: still there, closed and released, or aborted
  // (the callback that caused it must return ERR_ABRT). After kClosed or kAborted the
  // session object is gone.
  enum class Fate : std::uint8_t { kAlive, kClosed, kAborted };
  enum class Phase : std::uint8_t { kReading, kRunning, kClosing };

  static err_t OnRecv(void* arg, altcp_pcb* pcb, pbuf* p, err_t err);
  static err_t OnSent(void* arg, altcp_pcb* pcb, u16_t len);
  static err_t OnPoll(void* arg, altcp_pcb* pcb);
  static void OnError(void* arg, err_t err);
  static void OnTimer(void* arg);
  static err_t ToErr(Fate fate) { return fate == Fate::kAborted ? ERR_ABRT : ERR_OK; }

  Fate Execute();
  Fate Pump();
  Fate Finish();
  Fate Abort(const char* why);
  void ArmTimer(std::uint32_t ms);
  void CancelTimer();
  void Release();

  CommandService& service_;
  altcp_pcb* pcb_;
  Phase phase_ = Phase::kReading;
  bool timer_armed_ = false;
  bool peer_closed_ = false;
  bool tls_entered_ = false;  // holds a place under the TLS session limit
  bool close_notify_queued_ = false;
  std::uint64_t last_progress_ms_ = 0;
  std::uint64_t started_ms_ = 0;
  proto::CommandReader reader_;
  CommandJob job_;
  FixedString<56> peer_;
  FixedString<64> client_;    // TLS client certificate name, if any
  FixedString<120> refusal_;  // why a TLS client is refused (the job's error text)
};

class CommandService {
 public:
  explicit CommandService(const ServiceContext& context) : ctx_(context) {}

  // Starts listening. `allocator` nullptr means plain TCP; `tag` names the service in
  // the log ("cmd", "tls-cmd").
  // With `tls`, every connection counts against the TLS session limit, and the
  // client's certificate is checked against the server's policy when the command
  // arrives (an anonymous or refused client gets "ERROR client certificate ...").
  Status Start(std::uint16_t port, altcp_allocator_t* allocator, const CommandLimits& limits,
               std::size_t max_sessions, const char* tag, const port::TlsServer* tls = nullptr);

  const CommandServiceCounters& counters() const { return counters_; }
  std::size_t active_sessions() const { return pool_.in_use(); }
  std::size_t peak_sessions() const { return pool_.high_water(); }

 private:
  friend class CommandSession;
  static err_t OnAccept(void* arg, altcp_pcb* pcb, err_t err);
  // Answers "ERROR busy" and closes; returns ERR_ABRT if it had to abort instead.
  err_t Refuse(altcp_pcb* pcb);

  ServiceContext ctx_;
  CommandLimits limits_{};
  const char* tag_ = "cmd";
  altcp_pcb* listener_ = nullptr;
  const port::TlsServer* tls_ = nullptr;
  SessionPool<CommandSession, kMaxCommandSessions> pool_;
  CommandServiceCounters counters_;
};

}  // namespace pmu::firmware
