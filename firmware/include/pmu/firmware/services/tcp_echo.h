// TCP echo (docs/PROTOCOL.md port 5002): sends back every byte it receives until the peer
// closes, then closes and logs the close. Flow control is end to end: received bytes
// are acknowledged to the peer's window only once they are queued for sending back,
// and bytes waiting for send room are moved out of the receive pool into the heap so
// a slow reader never starves the link of receive buffers.
#pragma once

#include <cstdint>

#include "lwip/altcp.h"
#include "pmu/base/fixed_string.h"
#include "pmu/base/status.h"
#include "pmu/firmware/services/service_context.h"
#include "pmu/firmware/session_pool.h"

namespace pmu::firmware {

class EchoService;

struct EchoCounters {
  std::uint32_t accepted = 0;
  std::uint32_t refused = 0;
  std::uint32_t timeouts = 0;
  std::uint64_t bytes_echoed = 0;
};

class EchoSession {
 public:
  EchoSession(EchoService& service, altcp_pcb* pcb);
  ~EchoSession();
  EchoSession(const EchoSession&) = delete;
  EchoSession& operator=(const EchoSession&) = delete;

 private:
  enum class Fate : std::uint8_t { kAlive, kClosed, kAborted };
  static err_t OnRecv(void* arg, altcp_pcb* pcb, pbuf* p, err_t err);
  static err_t OnSent(void* arg, altcp_pcb* pcb, u16_t len);
  static err_t OnPoll(void* arg, altcp_pcb* pcb);
  static void OnError(void* arg, err_t err);
  static err_t ToErr(Fate f) { return f == Fate::kAborted ? ERR_ABRT : ERR_OK; }

  Fate Flush();
  Fate Close();
  Fate Abort(const char* why);
  void Release();

  EchoService& service_;
  altcp_pcb* pcb_;
  pbuf* pending_ = nullptr;  // received, not yet queued for sending back (PBUF_RAM)
  bool peer_closed_ = false;
  bool closing_ = false;
  std::uint64_t last_progress_ms_ = 0;
  std::uint64_t echoed_ = 0;
  FixedString<56> peer_;
};

class EchoService {
 public:
  explicit EchoService(const ServiceContext& context) : ctx_(context) {}
  Status Start(std::uint16_t port, std::size_t max_sessions);
  const EchoCounters& counters() const { return counters_; }
  std::size_t active_sessions() const { return pool_.in_use(); }

 private:
  friend class EchoSession;
  static err_t OnAccept(void* arg, altcp_pcb* pcb, err_t err);

  ServiceContext ctx_;
  altcp_pcb* listener_ = nullptr;
  SessionPool<EchoSession, kMaxEchoSessions> pool_;
  EchoCounters counters_;
};

}  // namespace pmu::firmware
