// The WebSocket command service (docs/PROTOCOL.md, TCP 5006): the command service of 5003
// behind an RFC 6455 opening handshake. The first text message after the handshake is
// the command; the answer is the same CommandJob the TCP service drives, each of its
// messages one WebSocket text message, then a close 1000. CMD_floodme is one message
// that leaves as many frames, each written whole as the send buffer drains, so the
// device never holds the message and a pong or a close can go between any two frames.
// What the device does where RFC 6455 leaves a choice (second messages, binary
// commands, paths, timeouts, refusals) is in docs/PROTOCOL.md.
//
// Sessions live in a static pool (no heap) of the target's kMaxWebSocketSessions. A
// session holds one thing at a time: the request head while it reads the handshake
// (2 KiB, the largest thing it must hold), then the frame decoder, the command and its
// job in the same bytes; about 2.1 KiB in all. Beyond the configured number a new
// connection is answered "503 Service Unavailable" without taking a slot.
//
// Context: main loop only.
#pragma once

#include <cstdint>
#include <variant>

#include "pmu/base/report.h"
#include "pmu/base/fixed_string.h"
#include "pmu/base/status.h"
#include "pmu/firmware/config.h"
#include "pmu/firmware/services/command_job.h"
#include "pmu/firmware/services/service_context.h"
#include "pmu/port/tcp_listener.h"
#include "pmu/proto/command.h"
#include "pmu/proto/websocket_frame.h"
#include "pmu/proto/websocket_handshake.h"

namespace pmu::firmware {

class WebSocketService;

struct WebSocketCounters {
  std::uint32_t upgraded = 0;          // answered 101
  std::uint32_t rejected = 0;          // answered 400, 404, 426 or 431
  std::uint32_t completed = 0;         // answered a valid command and sent close 1000
  std::uint32_t errors = 0;            // answered with an ERROR message
  std::uint32_t protocol_errors = 0;   // the client broke RFC 6455: closed 1002, 1007 or 1009
  std::uint32_t peer_closes = 0;       // the client sent close before the device did
  std::uint32_t timeouts = 0;          // handshake, idle or close-wait time ran out
  std::uint32_t resets = 0;            // ended by the client without a close frame
  std::uint32_t pings = 0;             // pings answered with a pong
  std::uint64_t frames_sent = 0;       // data frames
  std::uint64_t bytes_sent = 0;        // message payload bytes
};

// How long the device waits for the client's close frame after sending its own, and
// for the client to close TCP after a refused handshake or a failed connection.
inline constexpr std::uint32_t kWebSocketCloseWaitMs = 5000;

class WebSocketSession final : public port::ConnectionEvents {
 public:
  WebSocketSession(WebSocketService& service, port::Connection& connection);

  void OnReceive() override;
  void OnPeerClosed() override;
  void OnSent() override;
  void OnTick() override;
  void OnTimer() override { Pump(); }
  void OnEnded(const char* why) override;

 private:
  enum class Phase : std::uint8_t {
    kHandshake,  // reading the HTTP upgrade request
    kOpen,       // upgraded; waiting for the command (the first data message)
    kRunning,    // sending the job's messages as frames
    kClosing,    // a close frame is owed or sent; no more data frames
    kDraining,   // our side is shut (refused handshake, failed connection); input is
                 // discarded until the client closes or the wait runs out
    kDone,       // the session ended its connection
  };
  // What follows once the close frame is written.
  enum class AfterClose : std::uint8_t {
    kWaitForPeer,  // the device closed first: wait for the client's close, then TCP
    kCloseTcp,     // the close echoes the client's: close TCP at once
    kDrain,        // the client broke the protocol: shut our side, drain, close
  };

  void OnBytes(MutableByteSpan data);
  void Handshake();
  void OnFrames(MutableByteSpan& data);
  void OnData(const proto::websocket::MessageEvent& event);
  void OnPeerClose(std::uint16_t code);
  void Execute();
  void QueueClose(std::uint16_t code, const char* reason, AfterClose after);
  // Writes pongs, data frames and the close frame, as room allows; acts on a close
  // that has been written.
  void Pump();
  // False when the job has more to send than there is room for now.
  bool PumpData(bool& wrote);
  // Queues `size` bytes of the transmit buffer as they are; false when there is no
  // room now.
  bool WriteWhole(std::size_t size);
  void Drain();
  void Finish();
  void Abort(const char* why);
  void CheckTimeouts(std::uint64_t now);
  void LogJobDone();
  bool done() const { return phase_ == Phase::kDone; }

  WebSocketService& service_;
  port::Connection& connection_;
  Phase phase_ = Phase::kHandshake;
  AfterClose after_close_ = AfterClose::kWaitForPeer;
  bool close_queued_ = false;
  bool close_sent_ = false;
  bool peer_close_seen_ = false;
  bool pong_pending_ = false;
  bool command_binary_ = false;
  bool command_too_long_ = false;
  std::uint8_t pong_size_ = 0;
  std::uint16_t close_code_ = proto::websocket::kCloseNormal;
  std::uint16_t close_after_job_ = proto::websocket::kCloseNormal;
  const char* close_reason_ = "";
  std::uint32_t ignored_messages_ = 0;
  std::uint64_t started_ms_ = 0;
  std::uint64_t last_progress_ms_ = 0;
  std::uint64_t wait_from_ms_ = 0;  // when the close wait or the drain began
  // After the upgrade: the messages in, the command, its answer out.
  struct Exchange {
    explicit Exchange(std::uint64_t max_message) : decoder(proto::websocket::Role::kServer, max_message) {}
    proto::websocket::MessageDecoder decoder;
    proto::websocket::MessageFramer framer{proto::websocket::Opcode::kText};
    FixedString<proto::kMaxCommandLength> command;
    CommandJob job;
  };
  // The head in Phase::kHandshake, the exchange from Phase::kOpen on (draining after a
  // refused handshake needs neither).
  proto::websocket::HttpHeadReader& head() { return *std::get_if<proto::websocket::HttpHeadReader>(&state_); }
  Exchange& exchange() { return *std::get_if<Exchange>(&state_); }
  std::variant<proto::websocket::HttpHeadReader, Exchange> state_;
  std::byte pong_[proto::websocket::kMaxControlPayload] = {};
};

class WebSocketService final : public StatsReporter {
 public:
  explicit WebSocketService(const ServiceContext& context) : ctx_(context), listener_(*this) {}

  // Starts listening on `port` over plain TCP. `max_message` is the largest message a
  // client may send (close 1009 beyond), `handshake_timeout_ms` the time a client has
  // to complete its upgrade request.
  Status Start(std::uint16_t port, const CommandLimits& limits, std::size_t max_sessions,
               std::uint64_t max_message, std::uint32_t handshake_timeout_ms);

  const WebSocketCounters& counters() const { return counters_; }
  bool StatsLine(std::size_t index, ReportLine& line) const override;
  const port::TcpListenerBase& listener() const { return listener_; }

 private:
  friend class WebSocketSession;
  ServiceContext ctx_;
  CommandLimits limits_{};
  std::uint64_t max_message_ = 1024;
  std::uint32_t handshake_timeout_ms_ = 10'000;
  WebSocketCounters counters_;
  port::TcpListener<WebSocketService, WebSocketSession, kMaxWebSocketSessions> listener_;
};

}  // namespace pmu::firmware
