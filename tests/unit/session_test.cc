// The TCP services' sessions against a fake connection: each reads as its protocol,
// and its life cycle (answer, close, abort, time-outs, room that comes and goes) is
// checked without lwIP. The real connection layer is covered by the system tests.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "pmu/firmware/log.h"
#include "pmu/firmware/measurement/synthetic_front_end.h"
#include "pmu/proto/floodme.h"
#include "pmu/firmware/services/c37118_service.h"
#include "pmu/firmware/services/command_service.h"
#include "pmu/firmware/services/echo_service.h"
#include "pmu/firmware/services/websocket_service.h"
#include "pmu/proto/websocket_frame.h"

namespace pmu::firmware {
namespace {

class FakeClock : public hal::Clock {
 public:
  std::uint64_t MonotonicNs() const override { return ms * 1'000'000; }
  std::int64_t UtcNs() const override { return 1'800'000'000'000'000'000LL + static_cast<std::int64_t>(ms) * 1'000'000; }
  std::uint64_t ms = 1000;
};

class NullSink : public hal::LogSink {
 public:
  void WriteLine(std::string_view line) override { lines.emplace_back(line); }
  std::vector<std::string> lines;
};

// A connection whose peer is the test: what the session wrote, how it ended.
class FakeConnection final : public port::Connection {
 public:
  ByteSpan Peek() const override {
    return input.size() > consumed ? AsBytes(input.data() + consumed, input.size() - consumed) : ByteSpan();
  }
  void Consume(std::size_t n) override { consumed += n; }
  void DiscardInput() override { consumed = input.size(); }
  bool peer_closed() const override { return fin; }
  std::size_t SendRoom(bool) const override { return ended() ? 0 : room; }
  Status Write(ByteSpan data, bool) override {
    if (ended()) return FailedPrecondition("connection closing");
    if (data.size() > room) return ResourceExhausted("no room");
    written.append(reinterpret_cast<const char*>(data.data()), data.size());
    room -= data.size();
    unacked += data.size();
    ++writes;
    return Status::Ok();
  }
  void Flush() override { ++flushes; }
  std::size_t unacknowledged() const override { return unacked; }
  void AckNow() override {}
  void ShutdownOutput() override { shut = true; }
  void Close() override { closed = true; }
  void Abort() override { aborted = true; }
  void StartTimer(std::uint32_t ms) override { timer_ms = ms; }
  void StopTimer() override { timer_ms = 0; }
  const port::PeerText& peer() const override { return peer_text; }
  Result<port::TlsPeer> TlsClient(FixedString<120>*) const override { return FailedPrecondition("plain TCP"); }

  void Send(std::string_view text) { input.append(text); }
  // The peer read and acknowledged everything.
  void Ack() {
    room += unacked;
    unacked = 0;
  }
  bool ended() const { return closed || aborted; }

  std::string input;
  std::size_t consumed = 0;
  bool fin = false;
  std::size_t room = 1 << 20;
  std::size_t unacked = 0;
  std::string written;
  int writes = 0;
  int flushes = 0;
  bool shut = false;
  bool closed = false;
  bool aborted = false;
  std::uint32_t timer_ms = 0;
  port::PeerText peer_text{std::string_view("192.0.2.1:40000")};
};

struct Device {
  FakeClock platform;
  DeviceClock clock{platform};
  NullSink sink;
  Logger log{clock, &sink};
  DeviceConfig config;
  ServiceContext ctx{log, clock, config};
  CommandLimits limits{10, 1u << 20, 1ull << 30, /*allow_time=*/false, /*error_line_feed=*/true};
};

std::string ShortAnswer(int n) {
  std::string s;
  for (int i = 1; i <= n; ++i) s += "This is PMU data " + std::to_string(i);
  return s;
}

// ---- command service -------------------------------------------------------------------

TEST(CommandSession, AnswersALineThenCloses) {
  Device d;
  TcpCommandService service(d.ctx);
  FakeConnection c;
  CommandSession s(service, c);
  c.Send("CMD_short:0\nrest is ignored");
  s.OnReceive();
  EXPECT_EQ(c.written, ShortAnswer(10));
  EXPECT_TRUE(c.closed);
  EXPECT_FALSE(c.aborted);
  EXPECT_EQ(c.consumed, c.input.size()) << "bytes after the command are dropped";
  EXPECT_EQ(service.counters().completed, 1u);
}

TEST(CommandSession, ABareCommandEndsAfterSilence) {
  Device d;
  TcpCommandService service(d.ctx);
  FakeConnection c;
  CommandSession s(service, c);
  c.Send("CMD_sho");
  s.OnReceive();
  c.Send("rt:0");
  s.OnReceive();
  EXPECT_TRUE(c.written.empty());
  EXPECT_EQ(c.timer_ms, proto::kCommandIdleEndMs);
  s.OnTimer();
  EXPECT_EQ(c.written, ShortAnswer(10));
  EXPECT_TRUE(c.closed);
}

TEST(CommandSession, AHalfCloseEndsTheCommandAndTheAnswerStillGoes) {
  Device d;
  TcpCommandService service(d.ctx);
  FakeConnection c;
  CommandSession s(service, c);
  c.Send("CMD_short:0");
  s.OnReceive();
  c.fin = true;
  s.OnPeerClosed();
  EXPECT_EQ(c.written, ShortAnswer(10));
  EXPECT_TRUE(c.closed);
}

TEST(CommandSession, WaitsForRoomAndResumesOnSent) {
  Device d;
  TcpCommandService service(d.ctx);
  FakeConnection c;
  c.room = 3000;
  CommandSession s(service, c);
  c.Send("CMD_floodme:10000\n");
  s.OnReceive();
  EXPECT_EQ(c.written.size(), 3000u);
  EXPECT_FALSE(c.closed);
  int rounds = 0;
  while (!c.closed && rounds++ < 10) {
    c.Ack();
    s.OnSent();
  }
  EXPECT_EQ(c.written.size(), 10000u);
  EXPECT_TRUE(c.closed);
  EXPECT_EQ(proto::FloodmeMismatch(0, AsBytes(c.written)), 10000u);
}

TEST(CommandSession, ShortMessagesWaitTheirDelayOnTheTimer) {
  Device d;
  TcpCommandService service(d.ctx);
  FakeConnection c;
  CommandSession s(service, c);
  c.Send("CMD_short:1\n");
  s.OnReceive();
  EXPECT_EQ(c.written, "This is PMU data 1");
  EXPECT_EQ(c.timer_ms, 1000u);
  for (int i = 2; i <= 10; ++i) {
    d.platform.ms += 1000;
    s.OnTimer();
  }
  EXPECT_EQ(c.written, ShortAnswer(10));
  EXPECT_TRUE(c.closed);
}

TEST(CommandSession, AnErrorIsOneLineThenClose) {
  Device d;
  TcpCommandService service(d.ctx);
  FakeConnection c;
  CommandSession s(service, c);
  c.Send("CMD_nonsense\n");
  s.OnReceive();
  EXPECT_EQ(c.written, "ERROR unknown command\n");
  EXPECT_TRUE(c.closed);
  EXPECT_EQ(service.counters().errors, 1u);
}

TEST(CommandSession, NoCommandBeforeTheIdleTimeoutIsAborted) {
  Device d;
  d.config.idle_timeout_s = 5;
  TcpCommandService service(d.ctx);
  FakeConnection c;
  CommandSession s(service, c);
  d.platform.ms += 4000;
  s.OnTick();
  EXPECT_FALSE(c.aborted);
  d.platform.ms += 1000;
  s.OnTick();
  EXPECT_TRUE(c.aborted);
  EXPECT_EQ(service.counters().timeouts, 1u);
}

TEST(CommandSession, ClosedWithoutACommandCloses) {
  Device d;
  TcpCommandService service(d.ctx);
  FakeConnection c;
  CommandSession s(service, c);
  c.fin = true;
  s.OnPeerClosed();
  EXPECT_TRUE(c.closed);
  EXPECT_TRUE(c.written.empty());
}

// ---- echo ---------------------------------------------------------------------------------

TEST(EchoSession, EchoesAsRoomAllowsAndClosesAfterThePeer) {
  Device d;
  EchoService service(d.ctx);
  FakeConnection c;
  c.room = 4;
  EchoSession s(service, c);
  c.Send("hello world");
  s.OnReceive();
  EXPECT_EQ(c.written, "hell");
  EXPECT_EQ(c.consumed, 4u) << "what cannot be echoed stays unread (the peer's window stays shut)";
  c.fin = true;
  s.OnPeerClosed();
  EXPECT_FALSE(c.closed) << "data still to echo";
  while (!c.closed) {
    c.Ack();
    s.OnSent();
  }
  EXPECT_EQ(c.written, "hello world");
  EXPECT_EQ(service.counters().bytes_echoed, 11u);
}

TEST(EchoSession, IdleMeansNothingEitherWay) {
  Device d;
  d.config.idle_timeout_s = 2;
  EchoService service(d.ctx);
  FakeConnection c;
  EchoSession s(service, c);
  c.Send("x");
  s.OnReceive();
  // Unacknowledged output is the stall rule's business, not idleness.
  d.platform.ms += 5000;
  s.OnTick();
  EXPECT_FALSE(c.aborted);
  c.Ack();
  d.platform.ms += 1000;
  s.OnTick();
  EXPECT_FALSE(c.aborted);
  d.platform.ms += 2000;
  s.OnTick();
  EXPECT_TRUE(c.aborted);
}

// ---- WebSocket -------------------------------------------------------------------------

std::string MaskedText(std::string_view payload) {
  namespace ws = proto::websocket;
  std::vector<std::byte> out(payload.size() + ws::kMaxFrameHeaderSize);
  const std::size_t n = ws::EncodeFrame(ws::Opcode::kText, true, AsBytes(payload),
                                        std::array<std::byte, 4>{std::byte{1}, std::byte{2}, std::byte{3}, std::byte{4}},
                                        MutableByteSpan(out));
  return std::string(reinterpret_cast<const char*>(out.data()), n);
}

TEST(WebSocketSession, UpgradesAnswersAndClosesInOrder) {
  Device d;
  WebSocketService service(d.ctx);
  FakeConnection c;
  WebSocketSession s(service, c);
  c.Send("GET / HTTP/1.1\r\nHost: pmu1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
  s.OnReceive();
  ASSERT_EQ(c.written.rfind("HTTP/1.1 101", 0), 0u) << c.written;
  EXPECT_NE(c.written.find("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), std::string::npos);
  c.written.clear();
  c.Send(MaskedText("CMD_short:0"));
  s.OnReceive();
  // Ten text frames, then a close 1000; the device waits for the client's close.
  std::string expected;
  for (int i = 1; i <= 10; ++i) {
    const std::string m = "This is PMU data " + std::to_string(i);
    expected += std::string{'\x81', static_cast<char>(m.size())} + m;
  }
  expected += std::string{'\x88', '\x02', '\x03', '\xe8'};
  EXPECT_EQ(c.written, expected);
  EXPECT_FALSE(c.closed);
  // The client's close completes the closing handshake: TCP closes.
  c.Send(std::string{'\x88', '\x82', 1, 2, 3, 4, static_cast<char>(0x03 ^ 1), static_cast<char>(0xe8 ^ 2)});
  s.OnReceive();
  EXPECT_TRUE(c.closed);
  EXPECT_EQ(service.counters().completed, 1u);
}

TEST(WebSocketSession, ANonWebSocketRequestIsRefusedAndDrained) {
  Device d;
  WebSocketService service(d.ctx);
  FakeConnection c;
  WebSocketSession s(service, c);
  c.Send("GET /elsewhere HTTP/1.1\r\nHost: pmu1\r\n\r\n");
  s.OnReceive();
  EXPECT_EQ(c.written.rfind("HTTP/1.1 400", 0), 0u) << c.written;
  EXPECT_TRUE(c.shut) << "our side is shut, the client's bytes are drained";
  EXPECT_FALSE(c.closed);
  d.platform.ms += kWebSocketCloseWaitMs;
  s.OnTick();
  EXPECT_TRUE(c.closed);
}

TEST(WebSocketSession, NoHandshakeInTimeIsAborted) {
  Device d;
  WebSocketService service(d.ctx);
  FakeConnection c;
  WebSocketSession s(service, c);
  d.platform.ms += 10'000;  // the service's default handshake time
  s.OnTick();
  EXPECT_TRUE(c.aborted);
}

// ---- C37.118.2 ------------------------------------------------------------------------------

TEST(C37Session, ACommandFrameIsAnsweredOnTheConnection) {
  Device d;
  SyntheticFrontEnd fe;
  PhasorEstimator est;
  C37Pmu pmu;
  ASSERT_TRUE(fe.Configure({}, 60, 0).ok());
  ASSERT_TRUE(est.Configure({60, 30, MeasurementClass::kP}, fe).ok());
  ASSERT_TRUE(pmu.Configure(d.config.c37, est, 132790.0f, 500.0f, 1, "test", "0").ok());
  C37Service service(d.ctx, pmu);
  FakeConnection c;
  C37Session s(service, c);
  // A CFG-2 request (command 5), then garbage, split across two receives.
  std::vector<std::byte> cmd(18);
  proto::c37118::CommandFrame frame;
  frame.idcode = 1;
  frame.command = proto::c37118::CommandCode::kSendConfig2;
  ASSERT_EQ(proto::c37118::EncodeCommand(frame, cmd).value(), 18u);
  const std::string bytes(reinterpret_cast<const char*>(cmd.data()), cmd.size());
  c.Send(bytes.substr(0, 7));
  s.OnReceive();
  EXPECT_TRUE(c.written.empty());
  c.Send(bytes.substr(7) + "zz");
  s.OnReceive();
  ASSERT_GT(c.written.size(), 20u);
  EXPECT_EQ(static_cast<unsigned char>(c.written[0]), 0xAA);
  EXPECT_EQ((static_cast<unsigned char>(c.written[1]) >> 4) & 7, 3) << "a CFG-2 frame";
  EXPECT_EQ(c.consumed, c.input.size());
  c.fin = true;
  s.OnPeerClosed();
  EXPECT_TRUE(c.closed);
}

}  // namespace
}  // namespace pmu::firmware
