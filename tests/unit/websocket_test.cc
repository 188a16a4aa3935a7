// RFC 6455: the opening handshake, frames and messages (proto/websocket_*.h).
#include <gtest/gtest.h>

#include <cstring>
#include <initializer_list>
#include <string>
#include <vector>

#include "pmu/proto/websocket_frame.h"
#include "pmu/proto/websocket_handshake.h"

namespace pmu::proto::websocket {
namespace {

using Bytes = std::vector<std::byte>;

Bytes Of(std::initializer_list<int> values) {
  Bytes b;
  for (int v : values) b.push_back(static_cast<std::byte>(v));
  return b;
}
Bytes Of(std::string_view text) {
  const ByteSpan s = AsBytes(text);
  return Bytes(s.begin(), s.end());
}
Bytes Cat(std::initializer_list<Bytes> parts) {
  Bytes all;
  for (const Bytes& p : parts) all.insert(all.end(), p.begin(), p.end());
  return all;
}
std::string Text(ByteSpan b) { return std::string(AsText(b)); }

constexpr Mask kRfcMask = {std::byte{0x37}, std::byte{0xfa}, std::byte{0x21}, std::byte{0x3d}};

// One complete frame, built by the encoder under test.
Bytes Frame(Opcode op, bool fin, const Bytes& payload, std::optional<Mask> mask = std::nullopt) {
  Bytes out(kMaxFrameHeaderSize + payload.size());
  const std::size_t n = EncodeFrame(op, fin, payload, mask, out);
  EXPECT_GT(n, 0u);
  out.resize(n);
  return out;
}
Bytes Frame(Opcode op, bool fin, std::string_view payload, std::optional<Mask> mask = std::nullopt) {
  return Frame(op, fin, Of(payload), mask);
}

// Feeds `wire` to a MessageDecoder `chunk` bytes at a time and writes what comes out
// as lines: whole messages ("text:Hello", "binary:<n bytes>"), "ping:..", "pong:..",
// "close:<code>:<reason>", "error:<code>". Checks the piece flags on the way.
std::vector<std::string> Decode(Role role, Bytes wire, std::size_t chunk, std::uint64_t max_message = 1 << 20) {
  MessageDecoder decoder(role, max_message);
  std::vector<std::string> out;
  std::string message;
  bool in_message = false;
  for (std::size_t pos = 0; pos < wire.size() || pos == 0; pos += chunk) {
    MutableByteSpan in = std::span(wire).subspan(pos, std::min(chunk, wire.size() - pos));
    for (;;) {
      const std::size_t before = in.size();
      const MessageEvent ev = decoder.Next(in);
      EXPECT_LE(in.size(), before);
      if (ev.kind == MessageEvent::Kind::kNeedMore) {
        if (!decoder.finished()) EXPECT_TRUE(in.empty());
        break;
      }
      switch (ev.kind) {
        case MessageEvent::Kind::kData:
          EXPECT_EQ(ev.first, !in_message);
          if (ev.first) message.clear();
          in_message = !ev.last;
          message += Text(ev.data);
          if (ev.last) {
            out.push_back(ev.message_type == Opcode::kText ? "text:" + message
                                                           : "binary:" + std::to_string(message.size()));
          }
          break;
        case MessageEvent::Kind::kPing: out.push_back("ping:" + Text(ev.data)); break;
        case MessageEvent::Kind::kPong: out.push_back("pong:" + Text(ev.data)); break;
        case MessageEvent::Kind::kClose:
          out.push_back("close:" + std::to_string(ev.close_code) + ":" + std::string(ev.close_reason));
          break;
        case MessageEvent::Kind::kError:
          EXPECT_GT(std::strlen(ev.error.reason), 0u);
          EXPECT_LE(std::strlen(ev.error.reason), kMaxCloseReason);
          out.push_back("error:" + std::to_string(ev.error.close_code));
          break;
        case MessageEvent::Kind::kNeedMore: break;
      }
    }
    if (decoder.finished() || wire.empty()) break;
  }
  return out;
}
std::vector<std::string> DecodeWhole(Role role, const Bytes& wire, std::uint64_t max_message = 1 << 20) {
  return Decode(role, wire, std::max<std::size_t>(wire.size(), 1), max_message);
}
using Lines = std::vector<std::string>;

// ---- Handshake -----------------------------------------------------------------------

constexpr std::string_view kRfcRequest =
    "GET /chat HTTP/1.1\r\n"
    "Host: server.example.com\r\n"
    "Upgrade: websocket\r\n"
    "Connection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Origin: http://example.com\r\n"
    "Sec-WebSocket-Protocol: chat, superchat\r\n"
    "Sec-WebSocket-Version: 13\r\n"
    "\r\n";

TEST(WebSocketHandshake, Rfc6455Section1_3AcceptKey) {
  EXPECT_EQ(ComputeAcceptKey("dGhlIHNhbXBsZSBub25jZQ==").view(), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(WebSocketHandshake, Rfc6455Section1_3RequestGets101) {
  const UpgradeRequest r = ParseUpgradeRequest(AsBytes(kRfcRequest));
  ASSERT_EQ(r.response, HttpStatus::kSwitchingProtocols) << r.reason;
  EXPECT_STREQ(r.reason, "");
  EXPECT_EQ(r.path, "/chat");
  EXPECT_EQ(r.host, "server.example.com");
  EXPECT_EQ(r.key, "dGhlIHNhbXBsZSBub25jZQ==");
  EXPECT_EQ(r.origin, "http://example.com");
  char out[kMaxHandshakeResponseSize];
  const std::size_t n = WriteHandshakeResponse(r, out);
  EXPECT_EQ(std::string_view(out, n),
            "HTTP/1.1 101 Switching Protocols\r\n"
            "Upgrade: websocket\r\n"
            "Connection: Upgrade\r\n"
            "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
            "\r\n");
  // No subprotocol is chosen, so none is echoed.
  EXPECT_EQ(std::string_view(out, n).find("Sec-WebSocket-Protocol"), std::string_view::npos);
}

TEST(WebSocketHandshake, ToleratesWhatRealClientsSend) {
  const char* requests[] = {
      // Firefox: keep-alive and Upgrade in one Connection list.
      "GET / HTTP/1.1\r\nHost: 192.0.2.10:5006\r\nUser-Agent: Mozilla/5.0\r\nAccept: */*\r\n"
      "Sec-WebSocket-Version: 13\r\nOrigin: null\r\nSec-WebSocket-Extensions: permessage-deflate\r\n"
      "Sec-WebSocket-Key: AQIDBAUGBwgJCgsMDQ4PEA==\r\nConnection: keep-alive, Upgrade\r\n"
      "Pragma: no-cache\r\nUpgrade: websocket\r\n\r\n",
      // Lower-case names (HTTP/2-era libraries), "WebSocket" capitalised, tabs and
      // missing or extra spaces around values.
      "GET /ws?id=3 HTTP/1.1\r\nhost:[2001:db8::10]:5006\r\nupgrade:\tWebSocket \r\nconnection:upgrade\r\n"
      "sec-websocket-key:   AQIDBAUGBwgJCgsMDQ4PEA==\t\r\nsec-websocket-version: 13\r\n\r\n",
      // Shouting names, bare-LF line ends, Connection split over two fields, an
      // empty list element, Upgrade naming another protocol first.
      "GET / HTTP/1.1\nHOST: pmu\nCONNECTION: keep-alive\nCONNECTION: , UPGRADE\nUPGRADE: h2c, websocket\n"
      "SEC-WEBSOCKET-KEY: AQIDBAUGBwgJCgsMDQ4PEA==\nSEC-WEBSOCKET-VERSION: 13\n\n",
  };
  for (const char* req : requests) {
    const UpgradeRequest r = ParseUpgradeRequest(AsBytes(req));
    EXPECT_EQ(r.response, HttpStatus::kSwitchingProtocols) << r.reason << "\n" << req;
    EXPECT_EQ(r.key, "AQIDBAUGBwgJCgsMDQ4PEA==");
  }
  EXPECT_EQ(ParseUpgradeRequest(AsBytes(requests[1])).host, "[2001:db8::10]:5006");
  EXPECT_EQ(ParseUpgradeRequest(AsBytes(requests[1])).path, "/ws?id=3");
  EXPECT_EQ(ParseUpgradeRequest(AsBytes(requests[0])).origin, "null");
  EXPECT_EQ(ParseUpgradeRequest(AsBytes(requests[2])).origin, "");
}

struct RejectCase {
  const char* name;
  std::string request;
  HttpStatus status;
  const char* reason;
};

// A request that passes, with one line replaced, removed (replacement "") or added.
std::string Request(std::string_view find, std::string_view replace) {
  std::string r =
      "GET / HTTP/1.1\r\nHost: pmu\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
  const std::size_t at = r.find(find);
  if (at == std::string::npos) ADD_FAILURE() << find;
  r.replace(at, find.size(), replace);
  return r;
}

class WebSocketHandshakeReject : public testing::TestWithParam<RejectCase> {};

TEST_P(WebSocketHandshakeReject, AnswersTheRightStatus) {
  const RejectCase& c = GetParam();
  const UpgradeRequest r = ParseUpgradeRequest(AsBytes(c.request));
  EXPECT_EQ(r.response, c.status) << c.request;
  EXPECT_STREQ(r.reason, c.reason) << c.request;
  char out[kMaxHandshakeResponseSize];
  const std::size_t n = WriteHandshakeResponse(r, out);
  ASSERT_GT(n, 0u);
  const std::string_view text(out, n);
  EXPECT_EQ(text.rfind("HTTP/1.1 " + std::to_string(static_cast<int>(c.status)) + " ", 0), 0u) << text;
  EXPECT_NE(text.find(std::string("\r\n\r\n") + c.reason + "\n"), std::string_view::npos) << text;
  EXPECT_NE(text.find("close"), std::string_view::npos) << text;
  EXPECT_EQ(text.find("Sec-WebSocket-Version: 13\r\n") != std::string_view::npos,
            c.status == HttpStatus::kUpgradeRequired)
      << text;
}

const std::string kKeyLine = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
const std::string kVersionLine = "Sec-WebSocket-Version: 13\r\n";

INSTANTIATE_TEST_SUITE_P(
    Rfc6455Section4_2_1, WebSocketHandshakeReject,
    testing::Values(
        RejectCase{"Post", Request("GET", "POST"), HttpStatus::kBadRequest, "method must be GET"},
        RejectCase{"LowerCaseGet", Request("GET", "get"), HttpStatus::kBadRequest, "method must be GET"},
        RejectCase{"Http10", Request("HTTP/1.1", "HTTP/1.0"), HttpStatus::kBadRequest, "HTTP/1.1 required"},
        RejectCase{"Http2", Request("HTTP/1.1", "HTTP/2"), HttpStatus::kBadRequest, "HTTP/1.1 required"},
        RejectCase{"NoTarget", Request("GET / ", "GET  "), HttpStatus::kBadRequest, "malformed request line"},
        RejectCase{"TwoSpaces", Request("GET / ", "GET  / "), HttpStatus::kBadRequest, "malformed request line"},
        RejectCase{"NoVersion", Request(" HTTP/1.1", ""), HttpStatus::kBadRequest, "malformed request line"},
        RejectCase{"NoHost", Request("Host: pmu\r\n", ""), HttpStatus::kBadRequest, "missing Host header"},
        RejectCase{"TwoHosts", Request("Host: pmu\r\n", "Host: pmu\r\nHost: other\r\n"), HttpStatus::kBadRequest,
                   "more than one Host header"},
        RejectCase{"EmptyHost", Request("Host: pmu", "Host: "), HttpStatus::kBadRequest, "bad Host header"},
        RejectCase{"NoUpgrade", Request("Upgrade: websocket\r\n", ""), HttpStatus::kBadRequest,
                   "missing Upgrade: websocket"},
        RejectCase{"UpgradeOther", Request("Upgrade: websocket", "Upgrade: h2c"), HttpStatus::kBadRequest,
                   "missing Upgrade: websocket"},
        RejectCase{"UpgradeNotAToken", Request("Upgrade: websocket", "Upgrade: websockets"),
                   HttpStatus::kBadRequest, "missing Upgrade: websocket"},
        RejectCase{"NoConnection", Request("Connection: Upgrade\r\n", ""), HttpStatus::kBadRequest,
                   "missing Connection: Upgrade"},
        RejectCase{"ConnectionKeepAliveOnly", Request("Connection: Upgrade", "Connection: keep-alive"),
                   HttpStatus::kBadRequest, "missing Connection: Upgrade"},
        RejectCase{"ConnectionSubstringOnly", Request("Connection: Upgrade", "Connection: Upgraded"),
                   HttpStatus::kBadRequest, "missing Connection: Upgrade"},
        RejectCase{"NoKey", Request(kKeyLine, ""), HttpStatus::kBadRequest, "missing Sec-WebSocket-Key"},
        RejectCase{"TwoKeys", Request(kKeyLine, kKeyLine + kKeyLine), HttpStatus::kBadRequest,
                   "more than one Sec-WebSocket-Key header"},
        RejectCase{"KeyOf15Bytes", Request("dGhlIHNhbXBsZSBub25jZQ==", "dGhlIHNhbXBsZSBub25j"),
                   HttpStatus::kBadRequest, "Sec-WebSocket-Key is not 16 bytes in base64"},
        RejectCase{"KeyOf17Bytes", Request("dGhlIHNhbXBsZSBub25jZQ==", "dGhlIHNhbXBsZSBub25jZSE="),
                   HttpStatus::kBadRequest, "Sec-WebSocket-Key is not 16 bytes in base64"},
        RejectCase{"KeyNotBase64", Request("dGhlIHNhbXBsZSBub25jZQ==", "dGhlIHNhbXBsZSBub25jZQ!!"),
                   HttpStatus::kBadRequest, "Sec-WebSocket-Key is not 16 bytes in base64"},
        RejectCase{"KeyWithSpaceInside", Request("dGhlIHNhbXBsZSBub25jZQ==", "dGhlIHNhbXBs ZSBub25jZQ=="),
                   HttpStatus::kBadRequest, "Sec-WebSocket-Key is not 16 bytes in base64"},
        RejectCase{"Version8", Request("Version: 13", "Version: 8"), HttpStatus::kUpgradeRequired,
                   "unsupported Sec-WebSocket-Version"},
        RejectCase{"VersionList", Request("Version: 13", "Version: 13, 8"), HttpStatus::kUpgradeRequired,
                   "unsupported Sec-WebSocket-Version"},
        RejectCase{"NoVersionHeader", Request(kVersionLine, ""), HttpStatus::kUpgradeRequired,
                   "missing Sec-WebSocket-Version"},
        RejectCase{"TwoVersions", Request(kVersionLine, kVersionLine + kVersionLine), HttpStatus::kBadRequest,
                   "more than one Sec-WebSocket-Version header"},
        RejectCase{"SpaceBeforeColon", Request("Host: pmu", "Host : pmu"), HttpStatus::kBadRequest,
                   "bad character in a header name"},
        RejectCase{"FoldedLine", Request("Host: pmu\r\n", "Host: pmu\r\n continued\r\n"), HttpStatus::kBadRequest,
                   "folded header line"},
        RejectCase{"LineWithoutColon", Request("Host: pmu\r\n", "Host: pmu\r\nnonsense\r\n"),
                   HttpStatus::kBadRequest, "header line without a colon"},
        RejectCase{"EmptyName", Request("Host: pmu\r\n", "Host: pmu\r\n: x\r\n"), HttpStatus::kBadRequest,
                   "empty header name"},
        RejectCase{"NulInValue", Request("Host: pmu", std::string("Host: p\0mu", 10)), HttpStatus::kBadRequest,
                   "control character in a header value"},
        RejectCase{"BareCrInValue", Request("Host: pmu", "Host: p\rmu"), HttpStatus::kBadRequest,
                   "control character in a header value"},
        RejectCase{"NoBlankLine", Request("\r\n\r\n", "\r\n"), HttpStatus::kBadRequest,
                   "head does not end with a blank line"},
        RejectCase{"TooLarge", Request("Host: pmu\r\n", "Host: pmu\r\nX-Padding: " + std::string(2048, 'x') + "\r\n"),
                   HttpStatus::kRequestHeaderFieldsTooLarge, "request head larger than 2048 bytes"}),
    [](const testing::TestParamInfo<RejectCase>& info) { return std::string(info.param.name); });

TEST(WebSocketHandshake, HeadReaderAnyChunkLeavesFramesToTheCaller) {
  const std::string wire = std::string(kRfcRequest) + "\x81\x85 frame bytes";
  for (std::size_t chunk = 1; chunk <= wire.size(); ++chunk) {
    HttpHeadReader reader;
    std::size_t used = 0;
    for (std::size_t pos = 0; pos < wire.size() && reader.state() == HttpHeadReader::State::kReading; pos += chunk) {
      used += reader.Feed(AsBytes(std::string_view(wire).substr(pos, chunk)));
    }
    ASSERT_EQ(reader.state(), HttpHeadReader::State::kComplete) << chunk;
    EXPECT_EQ(used, kRfcRequest.size()) << chunk;
    EXPECT_EQ(AsText(reader.head()), kRfcRequest);
    EXPECT_EQ(reader.Feed(AsBytes("more")), 0u);
  }
}

TEST(WebSocketHandshake, HeadReaderBareLineFeeds) {
  HttpHeadReader reader;
  EXPECT_EQ(reader.Feed(AsBytes("GET / HTTP/1.1\nHost: x\n\nrest")), 24u);
  EXPECT_EQ(reader.state(), HttpHeadReader::State::kComplete);
  // A lone CR inside a line does not end the head.
  HttpHeadReader cr;
  cr.Feed(AsBytes("GET / HTTP/1.1\r\nA: \r\r\n"));
  EXPECT_EQ(cr.state(), HttpHeadReader::State::kReading);
  cr.Feed(AsBytes("\r\n"));
  EXPECT_EQ(cr.state(), HttpHeadReader::State::kComplete);
}

TEST(WebSocketHandshake, HeadReaderLimit) {
  // Exactly kMaxHandshakeSize bytes, blank line included, is accepted...
  std::string head = "GET / HTTP/1.1\r\nX: ";
  head += std::string(kMaxHandshakeSize - head.size() - 4, 'a') + "\r\n\r\n";
  ASSERT_EQ(head.size(), kMaxHandshakeSize);
  HttpHeadReader ok;
  EXPECT_EQ(ok.Feed(AsBytes(head)), head.size());
  EXPECT_EQ(ok.state(), HttpHeadReader::State::kComplete);
  EXPECT_NE(ParseUpgradeRequest(ok.head()).response, HttpStatus::kRequestHeaderFieldsTooLarge);
  // ...one more is not.
  HttpHeadReader big;
  head.insert(20, "a");
  EXPECT_EQ(big.Feed(AsBytes(head)), kMaxHandshakeSize);
  EXPECT_EQ(big.state(), HttpHeadReader::State::kTooLarge);
  EXPECT_EQ(big.Feed(AsBytes("\r\n")), 0u);
  big.Reset();
  EXPECT_EQ(big.state(), HttpHeadReader::State::kReading);
  EXPECT_TRUE(big.head().empty());
}

TEST(WebSocketHandshake, RejectResponses) {
  char out[kMaxHandshakeResponseSize];
  std::size_t n = WriteRejectResponse(HttpStatus::kBadRequest, "method must be GET", out);
  EXPECT_EQ(std::string_view(out, n),
            "HTTP/1.1 400 Bad Request\r\n"
            "Connection: close\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            "Content-Length: 19\r\n"
            "\r\n"
            "method must be GET\n");
  n = WriteRejectResponse(HttpStatus::kUpgradeRequired, "unsupported Sec-WebSocket-Version", out);
  EXPECT_EQ(std::string_view(out, n),
            "HTTP/1.1 426 Upgrade Required\r\n"
            "Sec-WebSocket-Version: 13\r\n"
            "Upgrade: websocket\r\n"
            "Connection: Upgrade, close\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            "Content-Length: 34\r\n"
            "\r\n"
            "unsupported Sec-WebSocket-Version\n");
  // The largest response with the longest reason fits the documented room.
  const std::string longest(kMaxRejectReason, 'r');
  for (HttpStatus s : {HttpStatus::kBadRequest, HttpStatus::kUpgradeRequired, HttpStatus::kRequestHeaderFieldsTooLarge}) {
    EXPECT_GT(WriteRejectResponse(s, longest, out), 0u);
  }
  EXPECT_GT(WriteAcceptResponse(ComputeAcceptKey("dGhlIHNhbXBsZSBub25jZQ=="), out), 0u);
  // Refused: no room, 101, a line break in the reason.
  char small[40];
  EXPECT_EQ(WriteRejectResponse(HttpStatus::kBadRequest, "x", small), 0u);
  EXPECT_EQ(WriteRejectResponse(HttpStatus::kSwitchingProtocols, "x", out), 0u);
  EXPECT_EQ(WriteRejectResponse(HttpStatus::kBadRequest, "x\r\nSet-Cookie: y", out), 0u);
  EXPECT_EQ(WriteAcceptResponse("abc", small), 0u);
}

TEST(WebSocketHandshake, NotFoundAndServiceUnavailableAreServerChoices) {
  char out[kMaxHandshakeResponseSize];
  std::size_t n = WriteRejectResponse(HttpStatus::kNotFound, "no WebSocket service at this path; use /", out);
  EXPECT_EQ(std::string_view(out, n),
            "HTTP/1.1 404 Not Found\r\n"
            "Connection: close\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            "Content-Length: 41\r\n"
            "\r\n"
            "no WebSocket service at this path; use /\n");
  n = WriteRejectResponse(HttpStatus::kServiceUnavailable, "busy", out);
  EXPECT_EQ(std::string_view(out, n).substr(0, 38), "HTTP/1.1 503 Service Unavailable\r\nConn");
  const std::string longest(kMaxRejectReason, 'r');
  EXPECT_GT(WriteRejectResponse(HttpStatus::kNotFound, longest, out), 0u);
  EXPECT_GT(WriteRejectResponse(HttpStatus::kServiceUnavailable, longest, out), 0u);
  // The client side reports what such a server said.
  const Result<HttpStatusLine> line = ParseStatusLine(AsBytes(std::string_view(out, n)));
  ASSERT_TRUE(line.ok());
  EXPECT_EQ(line->code, 503);
  EXPECT_EQ(line->reason, "Service Unavailable");
  EXPECT_EQ(CheckUpgradeResponse(AsBytes(std::string_view(out, n)), "x").code(), StatusCode::kUnavailable);
}

TEST(WebSocketClientHandshake, KeyRequestAndResponseAgreeWithTheServer) {
  // RFC 6455 section 4.1: the nonce 01 02 ... 10 gives "AQIDBAUGBwgJCgsMDQ4PEA==".
  std::array<std::byte, 16> nonce;
  for (std::size_t i = 0; i < 16; ++i) nonce[i] = static_cast<std::byte>(i + 1);
  const ClientKey key = MakeClientKey(nonce);
  EXPECT_EQ(key.view(), "AQIDBAUGBwgJCgsMDQ4PEA==");

  char request[512];
  const std::size_t n = WriteUpgradeRequest("192.0.2.10:5006", "/", key, request);
  ASSERT_GT(n, 0u);
  EXPECT_EQ(std::string_view(request, n),
            "GET / HTTP/1.1\r\n"
            "Host: 192.0.2.10:5006\r\n"
            "Upgrade: websocket\r\n"
            "Connection: Upgrade\r\n"
            "Sec-WebSocket-Key: AQIDBAUGBwgJCgsMDQ4PEA==\r\n"
            "Sec-WebSocket-Version: 13\r\n"
            "\r\n");
  const UpgradeRequest server_view = ParseUpgradeRequest(AsBytes(request, n));
  ASSERT_EQ(server_view.response, HttpStatus::kSwitchingProtocols) << server_view.reason;
  EXPECT_EQ(server_view.key, key.view());

  char response[kMaxHandshakeResponseSize];
  const std::size_t m = WriteHandshakeResponse(server_view, response);
  EXPECT_TRUE(CheckUpgradeResponse(AsBytes(response, m), ComputeAcceptKey(key)).ok());
}

TEST(WebSocketClientHandshake, RequestRefusesHeaderInjection) {
  char out[512];
  EXPECT_EQ(WriteUpgradeRequest("pmu\r\nEvil: 1", "/", "k", out), 0u);
  EXPECT_EQ(WriteUpgradeRequest("pmu", "/a b", "k", out), 0u);
  EXPECT_EQ(WriteUpgradeRequest("pmu", "nopath", "k", out), 0u);
  EXPECT_EQ(WriteUpgradeRequest("", "/", "k", out), 0u);
  EXPECT_EQ(WriteUpgradeRequest("pmu", "/", "", out), 0u);
  char small[50];
  EXPECT_EQ(WriteUpgradeRequest("pmu", "/", "AQIDBAUGBwgJCgsMDQ4PEA==", small), 0u);
}

TEST(WebSocketClientHandshake, ChecksTheResponse) {
  const std::string accept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";
  const std::string good =
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
  EXPECT_TRUE(CheckUpgradeResponse(AsBytes(good), accept).ok());
  // Tolerated: case, token lists, other fields, bare LF, no reason phrase.
  EXPECT_TRUE(CheckUpgradeResponse(AsBytes("HTTP/1.1 101\nserver: x\nupgrade: WebSocket\nconnection: keep-alive, upgrade\n"
                                           "sec-websocket-accept:s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\n\n"),
                                   accept)
                  .ok());

  struct Case {
    std::string find, replace;
    StatusCode code;
    const char* message;
  } cases[] = {
      {"101 Switching Protocols", "400 Bad Request", StatusCode::kUnavailable,
       "server refused the upgrade (status not 101)"},
      {"HTTP/1.1 101", "HTTP/1.0 101", StatusCode::kInvalidArgument, "101 response not HTTP/1.1"},
      {"HTTP/1.1 101", "HTTP/1.1 1O1", StatusCode::kInvalidArgument, "malformed status line"},
      {"HTTP/1.1 101", "ICY 101", StatusCode::kInvalidArgument, "malformed status line"},
      {"Upgrade: websocket\r\n", "", StatusCode::kInvalidArgument, "response lacks Upgrade: websocket"},
      {"Connection: Upgrade\r\n", "", StatusCode::kInvalidArgument, "response lacks Connection: Upgrade"},
      {"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n", "", StatusCode::kInvalidArgument,
       "response lacks Sec-WebSocket-Accept"},
      {"s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", "s3pPLMBiTxaQ9kYGzzhZRbK+xOp=", StatusCode::kInvalidArgument,
       "Sec-WebSocket-Accept does not match the key"},
      {"s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", "S3PPLMBITXAQ9KYGZZHZRBK+XOO=", StatusCode::kInvalidArgument,
       "Sec-WebSocket-Accept does not match the key"},
      {"\r\n\r\n", "\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n", StatusCode::kInvalidArgument,
       "more than one Sec-WebSocket-Accept header"},
      {"\r\n\r\n", "\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n", StatusCode::kInvalidArgument,
       "server chose an extension the client did not offer"},
      {"\r\n\r\n", "\r\nSec-WebSocket-Protocol: chat\r\n\r\n", StatusCode::kInvalidArgument,
       "server chose a subprotocol the client did not offer"},
      {"\r\n\r\n", "\r\n", StatusCode::kInvalidArgument, "head does not end with a blank line"},
      {"Connection: Upgrade", "Connection : Upgrade", StatusCode::kInvalidArgument,
       "bad character in a header name"},
  };
  for (const Case& c : cases) {
    std::string bad = good;
    bad.replace(bad.find(c.find), c.find.size(), c.replace);
    const Status s = CheckUpgradeResponse(AsBytes(bad), accept);
    EXPECT_EQ(s.code(), c.code) << bad;
    EXPECT_STREQ(s.message(), c.message) << bad;
  }
}

TEST(WebSocketClientHandshake, StatusLineOfARefusal) {
  auto s = ParseStatusLine(AsBytes("HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\n\r\n"));
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->code, 426);
  EXPECT_EQ(s->reason, "Upgrade Required");
  EXPECT_FALSE(ParseStatusLine(AsBytes("HTTP/1.1 426")).ok());  // no line end yet
  EXPECT_FALSE(ParseStatusLine(AsBytes("HTTP/1.1 42\r\n")).ok());
  EXPECT_FALSE(ParseStatusLine(AsBytes("HTTP/1.1 4260\r\n")).ok());
  EXPECT_EQ(ParseStatusLine(AsBytes("HTTP/1.0 200\r\n"))->code, 200);
}

// ---- Frames: RFC 6455 section 5.7 examples -------------------------------------------

TEST(WebSocketFrames, Rfc6455Section5_7SingleFrameUnmaskedHello) {
  const Bytes wire = Of({0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f});
  EXPECT_EQ(Frame(Opcode::kText, true, "Hello"), wire);
  EXPECT_EQ(DecodeWhole(Role::kClient, wire), Lines{"text:Hello"});
}

TEST(WebSocketFrames, Rfc6455Section5_7SingleFrameMaskedHello) {
  const Bytes wire = Of({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58});
  EXPECT_EQ(Frame(Opcode::kText, true, "Hello", kRfcMask), wire);
  EXPECT_EQ(DecodeWhole(Role::kServer, wire), Lines{"text:Hello"});
}

TEST(WebSocketFrames, Rfc6455Section5_7FragmentedUnmaskedHello) {
  const Bytes wire = Of({0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f});
  EXPECT_EQ(Cat({Frame(Opcode::kText, false, "Hel"), Frame(Opcode::kContinuation, true, "lo")}), wire);
  EXPECT_EQ(DecodeWhole(Role::kClient, wire), Lines{"text:Hello"});
}

TEST(WebSocketFrames, Rfc6455Section5_7PingAnsweredWithMaskedPong) {
  const Bytes ping = Of({0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f});
  const Bytes pong = Of({0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58});
  EXPECT_EQ(Frame(Opcode::kPing, true, "Hello"), ping);
  // The client answers the server's ping with a pong carrying the same payload.
  Bytes wire = ping;
  MessageDecoder client(Role::kClient, 100);
  MutableByteSpan in(wire);
  const MessageEvent ev = client.Next(in);
  ASSERT_EQ(ev.kind, MessageEvent::Kind::kPing);
  Bytes answer(kMaxFrameHeaderSize + kMaxControlPayload);
  answer.resize(EncodeFrame(Opcode::kPong, true, ev.data, kRfcMask, answer));
  EXPECT_EQ(answer, pong);
  EXPECT_EQ(DecodeWhole(Role::kServer, pong), Lines{"pong:Hello"});
}

TEST(WebSocketFrames, Rfc6455Section5_7Binary256BytesIn16BitLength) {
  const Bytes payload(256, std::byte{0x5a});
  const Bytes wire = Frame(Opcode::kBinary, true, payload);
  ASSERT_EQ(wire.size(), 4u + 256);
  EXPECT_EQ(Bytes(wire.begin(), wire.begin() + 4), Of({0x82, 0x7E, 0x01, 0x00}));
  EXPECT_EQ(DecodeWhole(Role::kClient, wire), Lines{"binary:256"});
}

TEST(WebSocketFrames, Rfc6455Section5_7Binary64KiBIn64BitLength) {
  const Bytes payload(65536, std::byte{0xa5});
  const Bytes wire = Frame(Opcode::kBinary, true, payload);
  ASSERT_EQ(wire.size(), 10u + 65536);
  EXPECT_EQ(Bytes(wire.begin(), wire.begin() + 10), Of({0x82, 0x7F, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00}));
  for (std::size_t chunk : {1u, 3u, 1000u, 65546u}) {
    EXPECT_EQ(Decode(Role::kClient, wire, chunk), Lines{"binary:65536"}) << chunk;
  }
}

TEST(WebSocketFrames, DecoderCountsDataAndControlFrames) {
  // A device answer: a message in three fragments with a ping between them, then a
  // one-frame message, then the close; counted the same whatever the chunking.
  const Bytes wire = Cat({Frame(Opcode::kText, false, "flood"), Frame(Opcode::kPing, true, "p"),
                          Frame(Opcode::kContinuation, false, "me"), Frame(Opcode::kContinuation, true, ""),
                          Frame(Opcode::kText, true, "This is PMU data 1"), Frame(Opcode::kClose, true, Of({0x03, 0xe8}))});
  for (std::size_t chunk : {1u, 2u, 5u, 100u}) {
    Bytes copy = wire;
    MessageDecoder decoder(Role::kClient, 1000);
    std::vector<std::string> kinds;
    for (std::size_t pos = 0; pos < copy.size(); pos += chunk) {
      MutableByteSpan in = std::span(copy).subspan(pos, std::min(chunk, copy.size() - pos));
      for (MessageEvent ev = decoder.Next(in); ev.kind != MessageEvent::Kind::kNeedMore; ev = decoder.Next(in)) {
        if (ev.kind == MessageEvent::Kind::kData && ev.last) kinds.push_back("message");
        if (ev.kind == MessageEvent::Kind::kClose) kinds.push_back("close");
      }
    }
    EXPECT_EQ(kinds, (Lines{"message", "message", "close"})) << chunk;
    EXPECT_EQ(decoder.data_frames(), 4u) << chunk;
    EXPECT_EQ(decoder.control_frames(), 2u) << chunk;
  }
  // A frame that breaks the protocol is not counted.
  Bytes bad = Cat({Frame(Opcode::kText, true, "ok"), Of({0x83, 0x00})});
  MessageDecoder decoder(Role::kClient, 1000);
  MutableByteSpan in(bad);
  while (decoder.Next(in).kind != MessageEvent::Kind::kNeedMore) {
  }
  EXPECT_EQ(decoder.data_frames(), 1u);
  EXPECT_EQ(decoder.control_frames(), 0u);
}

TEST(WebSocketFrames, LengthFormBoundaries) {
  struct Case {
    std::uint64_t length;
    std::size_t header;
  } cases[] = {{0, 2}, {125, 2}, {126, 4}, {65535, 4}, {65536, 10}, {std::uint64_t{1} << 32, 10},
               {kMaxPayloadLength, 10}};
  for (const Case& c : cases) {
    for (bool masked : {false, true}) {
      FrameHeader h{Opcode::kBinary, true, masked, kRfcMask, c.length};
      std::byte out[kMaxFrameHeaderSize];
      const std::size_t n = EncodeFrameHeader(h, out);
      ASSERT_EQ(n, c.header + (masked ? 4 : 0)) << c.length;
      EXPECT_EQ(n, FrameHeaderSize(c.length, masked));
      // The frame decoder reads the header back, whatever its length form.
      FrameDecoder d(masked ? Role::kServer : Role::kClient);
      MutableByteSpan in(out, n);
      const FrameEvent ev = d.Next(in);
      ASSERT_EQ(ev.kind, FrameEvent::Kind::kHeader) << c.length;
      const FrameHeader unmasked{Opcode::kBinary, true, false, {}, c.length};
      EXPECT_EQ(ev.header, masked ? h : unmasked);
      EXPECT_TRUE(in.empty());
    }
  }
}

// ---- Frames: the decoder -------------------------------------------------------------

TEST(WebSocketFrames, FrameDecoderEventsAndInPlaceUnmasking) {
  Bytes wire = Cat({Frame(Opcode::kText, true, "Hello", kRfcMask), Frame(Opcode::kPing, true, "", kRfcMask)});
  FrameDecoder d(Role::kServer);
  EXPECT_TRUE(d.at_frame_boundary());
  MutableByteSpan in = std::span(wire).first(8);  // header and 2 payload bytes
  FrameEvent ev = d.Next(in);
  ASSERT_EQ(ev.kind, FrameEvent::Kind::kHeader);
  EXPECT_EQ(ev.header.payload_length, 5u);
  EXPECT_TRUE(ev.header.masked);
  EXPECT_FALSE(d.at_frame_boundary());
  ev = d.Next(in);
  ASSERT_EQ(ev.kind, FrameEvent::Kind::kPayload);
  EXPECT_EQ(Text(ev.payload), "He");
  EXPECT_EQ(ev.payload.data(), &wire[6]);  // unmasked where it lay
  EXPECT_EQ(ev.payload_offset, 0u);
  EXPECT_EQ(d.Next(in).kind, FrameEvent::Kind::kNeedMore);
  in = std::span(wire).subspan(8);
  ev = d.Next(in);
  ASSERT_EQ(ev.kind, FrameEvent::Kind::kPayload);
  EXPECT_EQ(Text(ev.payload), "llo");
  EXPECT_EQ(ev.payload_offset, 2u);
  EXPECT_EQ(d.Next(in).kind, FrameEvent::Kind::kFrameEnd);
  EXPECT_TRUE(d.at_frame_boundary());
  ev = d.Next(in);
  ASSERT_EQ(ev.kind, FrameEvent::Kind::kHeader);
  EXPECT_EQ(ev.header.opcode, Opcode::kPing);
  // An empty frame ends at once, with no more input needed.
  EXPECT_TRUE(in.empty());
  EXPECT_EQ(d.Next(in).kind, FrameEvent::Kind::kFrameEnd);
  EXPECT_EQ(d.Next(in).kind, FrameEvent::Kind::kNeedMore);
}

// A stream with every kind of frame back to back: fragmented text with control
// frames in between, a code point cut across fragments, 16-bit lengths, empty
// messages, and the closing handshake.
Bytes MixedClientStream() {
  auto m = [](int i) {
    return Mask{std::byte(i), std::byte(i * 7), std::byte(0xA5), std::byte(0x3C ^ i)};
  };
  return Cat({
      Frame(Opcode::kText, true, "CMD_floodme", m(1)),
      Frame(Opcode::kText, false, "caf", m(2)),
      Frame(Opcode::kPing, true, "are you there", m(3)),
      Frame(Opcode::kContinuation, false, "\xc3", m(4)),  // U+00E9 cut in two
      Frame(Opcode::kPong, true, "", m(5)),
      Frame(Opcode::kContinuation, true, "\xa9 \xe2\x82\xac", m(6)),
      Frame(Opcode::kBinary, true, Bytes(300, std::byte{7}), m(7)),
      Frame(Opcode::kText, true, "", m(8)),
      Frame(Opcode::kBinary, false, "", m(9)),
      Frame(Opcode::kContinuation, false, "ab", m(10)),
      Frame(Opcode::kContinuation, true, "", m(11)),
      Frame(Opcode::kClose, true, Cat({Of({0x03, 0xe8}), Of("bye")}), m(12)),
  });
}

TEST(WebSocketFrames, DecoderFedAnyNumberOfBytesAtATime) {
  const Lines expected = {"text:CMD_floodme", "ping:are you there", "pong:", "text:caf\xc3\xa9 \xe2\x82\xac",
                          "binary:300", "text:", "binary:2", "close:1000:bye"};
  const Bytes wire = MixedClientStream();
  for (std::size_t chunk = 1; chunk <= wire.size(); ++chunk) {
    ASSERT_EQ(Decode(Role::kServer, wire, chunk), expected) << "chunk " << chunk;
  }
}

TEST(WebSocketFrames, BytesAfterCloseAreNotConsumed) {
  Bytes wire = Cat({Frame(Opcode::kClose, true, ""), Frame(Opcode::kText, true, "late")});
  MessageDecoder d(Role::kClient, 100);
  MutableByteSpan in(wire);
  const MessageEvent ev = d.Next(in);
  ASSERT_EQ(ev.kind, MessageEvent::Kind::kClose);
  EXPECT_EQ(ev.close_code, kCloseNoStatus);
  EXPECT_TRUE(d.finished());
  EXPECT_EQ(in.size(), 6u);
  EXPECT_EQ(d.Next(in).kind, MessageEvent::Kind::kNeedMore);
  EXPECT_EQ(in.size(), 6u);
}

TEST(WebSocketFrames, HugeFramePassesThroughWithoutBuffering) {
  // A 5 MiB binary frame with a 64-bit length, fed 4 KiB at a time: the decoder
  // holds no payload, only hands out the caller's bytes.
  static_assert(sizeof(MessageDecoder) < 256);
  constexpr std::uint64_t kSize = 5 << 20;
  std::byte header[kMaxFrameHeaderSize];
  const std::size_t h = EncodeFrameHeader({Opcode::kBinary, true, true, kRfcMask, kSize}, header);
  MessageDecoder d(Role::kServer, kSize);
  MutableByteSpan in(header, h);
  EXPECT_EQ(d.Next(in).kind, MessageEvent::Kind::kNeedMore);
  std::uint64_t seen = 0;
  bool last = false;
  Bytes chunk(4096);
  for (std::uint64_t sent = 0; sent < kSize; sent += chunk.size()) {
    std::fill(chunk.begin(), chunk.end(), std::byte{0x42});
    ApplyMask(chunk, kRfcMask, sent);
    MutableByteSpan piece(chunk);
    for (MessageEvent ev = d.Next(piece); ev.kind != MessageEvent::Kind::kNeedMore; ev = d.Next(piece)) {
      ASSERT_EQ(ev.kind, MessageEvent::Kind::kData);
      EXPECT_EQ(ev.first, seen == 0);
      for (std::byte b : ev.data) ASSERT_EQ(b, std::byte{0x42});
      seen += ev.data.size();
      last = ev.last;
    }
  }
  EXPECT_EQ(seen, kSize);
  EXPECT_TRUE(last);
}

TEST(WebSocketFrames, MessageSizeLimitIsInclusive) {
  EXPECT_EQ(DecodeWhole(Role::kClient, Frame(Opcode::kText, true, "12345"), 5), Lines{"text:12345"});
  const Bytes fragments = Cat({Frame(Opcode::kBinary, false, "123"), Frame(Opcode::kContinuation, true, "45")});
  EXPECT_EQ(DecodeWhole(Role::kClient, fragments, 5), Lines{"binary:5"});
  // The limit is per message: control frames and the next message start afresh.
  EXPECT_EQ(DecodeWhole(Role::kClient, Cat({fragments, Frame(Opcode::kPing, true, "123456"), fragments}), 5),
            (Lines{"binary:5", "ping:123456", "binary:5"}));
}

TEST(WebSocketFrames, BinaryIsNotCheckedAsUtf8) {
  EXPECT_EQ(DecodeWhole(Role::kClient, Frame(Opcode::kBinary, true, "\xff\xfe")), Lines{"binary:2"});
}

TEST(WebSocketFrames, ValidCloseCodesAndReasons) {
  for (int code : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999}) {
    const Bytes wire = Frame(Opcode::kClose, true, Of({code >> 8, code & 0xFF}));
    EXPECT_EQ(DecodeWhole(Role::kClient, wire), Lines{"close:" + std::to_string(code) + ":"}) << code;
  }
  EXPECT_EQ(DecodeWhole(Role::kClient, Frame(Opcode::kClose, true, "")), Lines{"close:1005:"});
  EXPECT_EQ(DecodeWhole(Role::kClient, Frame(Opcode::kClose, true, Cat({Of({0x03, 0xe9}), Of("\xce\xba\xe1\xbd\xb9")}))),
            Lines{"close:1001:\xce\xba\xe1\xbd\xb9"});
}

// ---- Frames: every malformed case with its close code --------------------------------

struct MalformedCase {
  const char* name;
  Role role;
  Bytes wire;
  std::uint16_t close_code;
  const char* reason;
  std::uint64_t max_message = 1 << 20;
};

class WebSocketMalformed : public testing::TestWithParam<MalformedCase> {};

TEST_P(WebSocketMalformed, FailsWithItsCloseCode) {
  const MalformedCase& c = GetParam();
  // Whole, and one byte at a time: the same error either way, and nothing after it.
  for (std::size_t chunk : {c.wire.size(), std::size_t{1}}) {
    const Lines lines = Decode(c.role, c.wire, chunk, c.max_message);
    ASSERT_FALSE(lines.empty());
    EXPECT_EQ(lines.back(), "error:" + std::to_string(c.close_code)) << "chunk " << chunk;
  }
  Bytes wire = c.wire;
  MessageDecoder d(c.role, c.max_message);
  MutableByteSpan in(wire);
  MessageEvent ev;
  do {
    ev = d.Next(in);
  } while (ev.kind != MessageEvent::Kind::kError && ev.kind != MessageEvent::Kind::kNeedMore);
  ASSERT_EQ(ev.kind, MessageEvent::Kind::kError);
  EXPECT_EQ(ev.error.close_code, c.close_code);
  EXPECT_STREQ(ev.error.reason, c.reason);
  EXPECT_TRUE(d.finished());
  // The reason fits a close frame as it is.
  std::byte close[kMaxFrameHeaderSize + kMaxControlPayload];
  EXPECT_GT(EncodeCloseFrame(ev.error.close_code, ev.error.reason, std::nullopt, close), 0u);
}

Bytes CloseWithCode(int code) { return Frame(Opcode::kClose, true, Of({code >> 8, code & 0xFF})); }

INSTANTIATE_TEST_SUITE_P(
    Rfc6455, WebSocketMalformed,
    testing::Values(
        MalformedCase{"Rsv1Is1002", Role::kClient, Of({0xC1, 0x00}), 1002, "reserved bits set without an extension"},
        MalformedCase{"Rsv2Is1002", Role::kClient, Of({0xA1, 0x00}), 1002, "reserved bits set without an extension"},
        MalformedCase{"Rsv3Is1002", Role::kClient, Of({0x91, 0x00}), 1002, "reserved bits set without an extension"},
        MalformedCase{"Opcode3Is1002", Role::kClient, Of({0x83, 0x00}), 1002, "reserved opcode"},
        MalformedCase{"Opcode7Is1002", Role::kClient, Of({0x87, 0x00}), 1002, "reserved opcode"},
        MalformedCase{"OpcodeBIs1002", Role::kClient, Of({0x8B, 0x00}), 1002, "reserved opcode"},
        MalformedCase{"OpcodeFIs1002", Role::kClient, Of({0x8F, 0x00}), 1002, "reserved opcode"},
        MalformedCase{"UnmaskedClientFrameIs1002", Role::kServer, Frame(Opcode::kText, true, "Hello"), 1002,
                      "unmasked frame from a client"},
        MalformedCase{"MaskedServerFrameIs1002", Role::kClient, Frame(Opcode::kText, true, "Hello", kRfcMask), 1002,
                      "masked frame from a server"},
        MalformedCase{"FragmentedPingIs1002", Role::kClient, Of({0x09, 0x00}), 1002, "fragmented control frame"},
        MalformedCase{"FragmentedCloseIs1002", Role::kClient, Of({0x08, 0x00}), 1002, "fragmented control frame"},
        MalformedCase{"Ping126BytesIs1002", Role::kClient, Cat({Of({0x89, 0x7E, 0x00, 0x7E}), Bytes(126)}), 1002,
                      "control frame payload over 125 bytes"},
        MalformedCase{"Close126BytesIs1002", Role::kClient, Of({0x88, 0x7E, 0x00, 0x7E}), 1002,
                      "control frame payload over 125 bytes"},
        MalformedCase{"Length64TopBitIs1002", Role::kClient, Of({0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 0}), 1002,
                      "payload length over 63 bits"},
        MalformedCase{"Length16NotShortestIs1002", Role::kClient, Cat({Of({0x82, 0x7E, 0x00, 0x05}), Bytes(5)}), 1002,
                      "payload length not in its shortest form"},
        MalformedCase{"Length64NotShortestIs1002", Role::kClient, Of({0x82, 0x7F, 0, 0, 0, 0, 0, 0, 0x01, 0x00}),
                      1002, "payload length not in its shortest form"},
        MalformedCase{"ContinuationFirstIs1002", Role::kClient, Frame(Opcode::kContinuation, true, "lo"), 1002,
                      "continuation frame outside a fragmented message"},
        MalformedCase{"ContinuationAfterFinIs1002", Role::kClient,
                      Cat({Frame(Opcode::kText, true, "Hel"), Frame(Opcode::kContinuation, true, "lo")}), 1002,
                      "continuation frame outside a fragmented message"},
        MalformedCase{"TextInsideFragmentedMessageIs1002", Role::kClient,
                      Cat({Frame(Opcode::kText, false, "Hel"), Frame(Opcode::kText, true, "lo")}), 1002,
                      "new message inside a fragmented message"},
        MalformedCase{"BinaryInsideFragmentedMessageIs1002", Role::kClient,
                      Cat({Frame(Opcode::kBinary, false, "Hel"), Frame(Opcode::kPing, true, ""),
                           Frame(Opcode::kBinary, true, "lo")}),
                      1002, "new message inside a fragmented message"},
        MalformedCase{"InvalidUtf8TextIs1007", Role::kClient, Frame(Opcode::kText, true, "caf\xc3\x28"), 1007,
                      "invalid UTF-8 in a text message"},
        MalformedCase{"SurrogateInTextIs1007", Role::kClient, Frame(Opcode::kText, true, "\xed\xa0\x80"), 1007,
                      "invalid UTF-8 in a text message"},
        MalformedCase{"InvalidUtf8InLaterFragmentIs1007", Role::kClient,
                      Cat({Frame(Opcode::kText, false, "ok \xe2\x82"), Frame(Opcode::kContinuation, true, "\x28")}),
                      1007, "invalid UTF-8 in a text message"},
        MalformedCase{"TextEndsInsideCodePointIs1007", Role::kClient,
                      Cat({Frame(Opcode::kText, false, "ok"), Frame(Opcode::kContinuation, true, "\xe2\x82")}), 1007,
                      "text message ends inside a UTF-8 sequence"},
        MalformedCase{"TextEndsInsideCodePointWithEmptyFinIs1007", Role::kClient,
                      Cat({Frame(Opcode::kText, false, "\xc3"), Frame(Opcode::kContinuation, true, "")}), 1007,
                      "text message ends inside a UTF-8 sequence"},
        MalformedCase{"MessageOverLimitIs1009", Role::kClient, Frame(Opcode::kText, true, "123456"), 1009,
                      "message larger than the limit", 5},
        MalformedCase{"FragmentsOverLimitIs1009", Role::kClient,
                      Cat({Frame(Opcode::kBinary, false, "123"), Frame(Opcode::kContinuation, true, "456")}), 1009,
                      "message larger than the limit", 5},
        MalformedCase{"HugeDeclaredLengthIs1009", Role::kClient,
                      Of({0x82, 0x7F, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}), 1009,
                      "message larger than the limit"},
        MalformedCase{"CloseWithOneByteIs1002", Role::kClient, Of({0x88, 0x01, 0x03}), 1002,
                      "close frame with a 1-byte payload"},
        MalformedCase{"CloseCode0Is1002", Role::kClient, CloseWithCode(0), 1002, "invalid close code"},
        MalformedCase{"CloseCode999Is1002", Role::kClient, CloseWithCode(999), 1002, "invalid close code"},
        MalformedCase{"CloseCode1004Is1002", Role::kClient, CloseWithCode(1004), 1002, "invalid close code"},
        MalformedCase{"CloseCode1005Is1002", Role::kClient, CloseWithCode(1005), 1002, "invalid close code"},
        MalformedCase{"CloseCode1006Is1002", Role::kClient, CloseWithCode(1006), 1002, "invalid close code"},
        MalformedCase{"CloseCode1015Is1002", Role::kClient, CloseWithCode(1015), 1002, "invalid close code"},
        MalformedCase{"CloseCode1016Is1002", Role::kClient, CloseWithCode(1016), 1002, "invalid close code"},
        MalformedCase{"CloseCode2999Is1002", Role::kClient, CloseWithCode(2999), 1002, "invalid close code"},
        MalformedCase{"CloseCode5000Is1002", Role::kClient, CloseWithCode(5000), 1002, "invalid close code"},
        MalformedCase{"CloseCode65535Is1002", Role::kClient, CloseWithCode(65535), 1002, "invalid close code"},
        MalformedCase{"CloseReasonNotUtf8Is1007", Role::kClient,
                      Frame(Opcode::kClose, true, Cat({Of({0x03, 0xe8}), Of("\xce\xba\xff")})), 1007,
                      "close reason is not valid UTF-8"}),
    [](const testing::TestParamInfo<MalformedCase>& info) { return std::string(info.param.name); });

TEST(WebSocketFrames, ErrorsComeFromTheFirstBytesWithoutWaiting) {
  // RSV, opcode, masking and control-frame rules show in the first two bytes: the
  // decoder fails there, before the extended length or mask arrive.
  for (const Bytes& two : {Of({0xC1, 0xFF}), Of({0x83, 0x80}), Of({0x81, 0x7F}), Of({0x09, 0x80}), Of({0x89, 0xFE})}) {
    FrameDecoder d(Role::kServer);
    Bytes wire = two;
    MutableByteSpan in(wire);
    EXPECT_EQ(d.Next(in).kind, FrameEvent::Kind::kError);
    EXPECT_TRUE(d.failed());
    // Failed stays failed and consumes nothing.
    Bytes more = Of({0x81, 0x80});
    MutableByteSpan more_in(more);
    EXPECT_EQ(d.Next(more_in).error.close_code, kCloseProtocolError);
    EXPECT_EQ(more_in.size(), 2u);
  }
}

// ---- Encoders ------------------------------------------------------------------------

TEST(WebSocketEncode, CloseFrames) {
  std::byte out[kMaxFrameHeaderSize + kMaxControlPayload];
  std::size_t n = EncodeCloseFrame(kCloseNormal, "bye", std::nullopt, out);
  EXPECT_EQ(Bytes(out, out + n), Of({0x88, 0x05, 0x03, 0xe8, 'b', 'y', 'e'}));
  n = EncodeCloseFrame(kCloseNoStatus, "ignored", std::nullopt, out);
  EXPECT_EQ(Bytes(out, out + n), Of({0x88, 0x00}));
  n = EncodeCloseFrame(kCloseProtocolError, "", kRfcMask, out);
  EXPECT_EQ(Bytes(out, out + n), Of({0x88, 0x82, 0x37, 0xfa, 0x21, 0x3d, 0x03 ^ 0x37, 0xea ^ 0xfa}));
  // A long reason is cut to 123 bytes, and never inside a code point.
  const std::string reason = std::string(122, 'a') + "\xc3\xa9" + "tail";
  n = EncodeCloseFrame(kCloseGoingAway, reason, std::nullopt, out);
  ASSERT_EQ(n, 2u + 2 + 122);
  EXPECT_EQ(DecodeWhole(Role::kClient, Bytes(out, out + n)), Lines{"close:1001:" + std::string(122, 'a')});
  n = EncodeCloseFrame(kCloseGoingAway, std::string(200, 'b'), std::nullopt, out);
  EXPECT_EQ(n, 2u + 125);
  std::byte small[6];
  EXPECT_EQ(EncodeCloseFrame(kCloseNormal, "bye", std::nullopt, small), 0u);
}

TEST(WebSocketEncode, RefusesHeadersThatCannotBeSent) {
  std::byte out[kMaxFrameHeaderSize + 200];
  EXPECT_EQ(EncodeFrameHeader({Opcode::kPing, false, false, {}, 0}, out), 0u);
  EXPECT_EQ(EncodeFrameHeader({Opcode::kPong, true, false, {}, 126}, out), 0u);
  EXPECT_EQ(EncodeFrameHeader({static_cast<Opcode>(3), true, false, {}, 0}, out), 0u);
  EXPECT_EQ(EncodeFrameHeader({Opcode::kBinary, true, false, {}, kMaxPayloadLength + 1}, out), 0u);
  EXPECT_EQ(EncodeFrameHeader({Opcode::kBinary, true, true, {}, 65536}, std::span(out).first(13)), 0u);
  EXPECT_EQ(EncodeFrameHeader({Opcode::kBinary, true, true, {}, 65536}, std::span(out).first(14)), 14u);
  EXPECT_EQ(EncodeFrame(Opcode::kText, true, Of("Hello"), std::nullopt, std::span(out).first(6)), 0u);
  EXPECT_EQ(EncodeFrame(Opcode::kPing, true, Bytes(126), std::nullopt, out), 0u);
}

TEST(WebSocketEncode, MaskingInPiecesEqualsMaskingWhole) {
  const Bytes plain = Of("The quick brown fox jumps over the lazy dog");
  Bytes whole = plain;
  ApplyMask(whole, kRfcMask);
  for (std::size_t cut1 = 0; cut1 <= plain.size(); ++cut1) {
    for (std::size_t cut2 = cut1; cut2 <= plain.size(); cut2 += 5) {
      Bytes pieces = plain;
      ApplyMask(std::span(pieces).subspan(cut2), kRfcMask, cut2);  // out of order
      ApplyMask(std::span(pieces).first(cut1), kRfcMask, 0);
      ApplyMask(std::span(pieces).subspan(cut1, cut2 - cut1), kRfcMask, cut1);
      ASSERT_EQ(pieces, whole) << cut1 << " " << cut2;
    }
  }
  ApplyMask(whole, kRfcMask);
  EXPECT_EQ(whole, plain);
}

TEST(WebSocketEncode, MessageFramerStreamsAFragmentedMessage) {
  // The device's CMD_floodme: one text message sent as its buffer drains, a frame at
  // a time, header first and the payload written after it, never whole in memory.
  std::string message;
  for (int i = 0; message.size() < 100000; ++i) message += "floodme " + std::to_string(i) + " \xe2\x82\xac\n";
  for (Role sender : {Role::kServer, Role::kClient}) {
    MessageFramer framer(Opcode::kText);
    EXPECT_FALSE(framer.started());
    Bytes wire;
    std::size_t sent = 0;
    const std::size_t drains[] = {1, 100, 1460, 5, 65535, 65536, 7};
    for (std::size_t k = 0; sent < message.size(); ++k) {
      const std::size_t n = std::min(drains[k % 7], message.size() - sent);
      const bool last = sent + n == message.size();
      std::byte header[kMaxFrameHeaderSize];
      const std::optional<Mask> mask =
          sender == Role::kClient ? std::optional<Mask>(Mask{std::byte(k), std::byte(k >> 8), std::byte{1}, std::byte{2}})
                                  : std::nullopt;
      const std::size_t h = framer.WriteFrameHeader(n, last, header, mask);
      ASSERT_GT(h, 0u);
      EXPECT_EQ(std::to_integer<int>(header[0]) & 0x0F, k == 0 ? 0x1 : 0x0);
      EXPECT_EQ((std::to_integer<int>(header[0]) & 0x80) != 0, last);
      wire.insert(wire.end(), header, header + h);
      const std::size_t at = wire.size();
      const ByteSpan payload = AsBytes(std::string_view(message).substr(sent, n));
      wire.insert(wire.end(), payload.begin(), payload.end());
      if (mask) ApplyMask(std::span(wire).subspan(at), *mask);
      sent += n;
    }
    EXPECT_TRUE(framer.finished());
    std::byte header[kMaxFrameHeaderSize];
    EXPECT_EQ(framer.WriteFrameHeader(1, true, header), 0u);
    const Role receiver = sender == Role::kServer ? Role::kClient : Role::kServer;
    EXPECT_EQ(Decode(receiver, wire, 1000), Lines{"text:" + message});
  }
  // An empty last frame ends a message too; a control opcode cannot be framed.
  MessageFramer framer(Opcode::kBinary);
  std::byte header[kMaxFrameHeaderSize];
  EXPECT_EQ(framer.WriteFrameHeader(0, false, header), 2u);
  EXPECT_EQ(std::to_integer<int>(header[0]), 0x02);
  EXPECT_EQ(framer.WriteFrameHeader(0, true, header), 2u);
  EXPECT_EQ(std::to_integer<int>(header[0]), 0x80);
  MessageFramer bad(Opcode::kPing);
  EXPECT_EQ(bad.WriteFrameHeader(0, true, header), 0u);
  // A header that does not fit changes nothing.
  MessageFramer retry(Opcode::kText);
  EXPECT_EQ(retry.WriteFrameHeader(1000, false, std::span(header).first(3)), 0u);
  EXPECT_FALSE(retry.started());
  EXPECT_EQ(retry.WriteFrameHeader(1000, false, header), 4u);
  EXPECT_EQ(std::to_integer<int>(header[0]), 0x01);
}

}  // namespace
}  // namespace pmu::proto::websocket
