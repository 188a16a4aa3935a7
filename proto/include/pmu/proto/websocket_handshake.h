// The RFC 6455 opening handshake: an HTTP/1.1 Upgrade exchange. Server side (the
// device, TCP 5006): collect the request head, parse it, answer 101 or an error.
// Client side (the PDC): build the request, check the 101 response. Frames come
// after it (websocket_frame.h).
//
// Everything here is pure code over caller-owned buffers: no I/O, no heap. Only
// ComputeAcceptKey() and WriteHandshakeResponse() hash (SHA-1 through pmu_crypto);
// the parsers do not, so they are fuzzed on their own.
//
// Device flow:
//   HttpHeadReader reader;                        // per connection, kMaxHandshakeSize bytes
//   used = reader.Feed(received);                 // bytes after the head are frames
//   if (reader.state() == kTooLarge) -> WriteRejectResponse(431, ...), close
//   if (reader.state() == kComplete) {
//     const UpgradeRequest req = ParseUpgradeRequest(reader.head());
//     n = WriteHandshakeResponse(req, out);       // 101, 400 or 426
//     send; if (req.response != kSwitchingProtocols) close; else frames from here
//   }
// (copy what the request views into, e.g. the path, before reusing the reader).
//
// PDC flow: key = MakeClientKey(16 random bytes); WriteUpgradeRequest(); read the
// response head with an HttpHeadReader; CheckUpgradeResponse(head,
// ComputeAcceptKey(key)); frames from the bytes the reader did not consume.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "pmu/base/bytes.h"
#include "pmu/base/fixed_string.h"
#include "pmu/base/result.h"

namespace pmu::proto::websocket {

// Largest request (or response) head accepted, blank line included. Real clients
// send 200..600 bytes (browsers with cookies for another path on the same host
// somewhat more); the device keeps one such buffer per connection in handshake.
inline constexpr std::size_t kMaxHandshakeSize = 2048;
// Room any response Write*Response() builds needs when its reason is at most
// kMaxRejectReason bytes.
inline constexpr std::size_t kMaxHandshakeResponseSize = 320;
inline constexpr std::size_t kMaxRejectReason = 100;
inline constexpr std::size_t kClientKeyLength = 24;  // base64 of 16 bytes
inline constexpr std::size_t kAcceptKeyLength = 28;  // base64 of a SHA-1 digest
inline constexpr std::string_view kHandshakeGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

using ClientKey = FixedString<kClientKeyLength>;
using AcceptKey = FixedString<kAcceptKeyLength>;

// Collects an HTTP head (start line and header fields, up to and including the blank
// line that ends them) from a byte stream cut anywhere, into its own buffer of
// kMaxHandshakeSize bytes. Lines may end in CRLF or, tolerated, a bare LF.
class HttpHeadReader {
 public:
  enum class State : std::uint8_t {
    kReading,   // no blank line yet
    kComplete,  // head() is the whole head
    kTooLarge,  // kMaxHandshakeSize bytes came without a blank line (answer 431)
  };

  // Takes bytes up to and including the blank line; returns how many. Later bytes
  // (a client's first frames, sent without waiting for the 101) are not the head's
  // and stay with the caller. Once the state is not kReading, takes nothing.
  std::size_t Feed(ByteSpan data);

  State state() const { return state_; }
  // The bytes taken so far: once kComplete, the whole head. Valid until Reset() or
  // the reader's end of life.
  ByteSpan head() const { return {buffer_, size_}; }
  // Starts over for a new head (no 2 KiB temporary, unlike assigning a new reader).
  void Reset() {
    size_ = 0;
    line_length_ = 0;
    last_was_cr_ = false;
    state_ = State::kReading;
  }

 private:
  std::byte buffer_[kMaxHandshakeSize] = {};
  std::size_t size_ = 0;
  std::size_t line_length_ = 0;  // bytes of the current line before its LF
  bool last_was_cr_ = false;
  State state_ = State::kReading;
};

enum class HttpStatus : std::uint16_t {
  kSwitchingProtocols = 101,
  kBadRequest = 400,
  kNotFound = 404,                      // a path the server does not serve (its choice)
  kUpgradeRequired = 426,               // wrong or missing Sec-WebSocket-Version
  kRequestHeaderFieldsTooLarge = 431,   // head over kMaxHandshakeSize
  kServiceUnavailable = 503,            // the server is at capacity (its choice)
};

// What the server makes of a request head, and which response it owes.
struct UpgradeRequest {
  HttpStatus response = HttpStatus::kBadRequest;
  // Why the response is not 101 (static text, for the response body and the log);
  // empty for 101.
  const char* reason = "";
  // For 101 only: views into the head passed to ParseUpgradeRequest(), valid as long
  // as its bytes. `origin` is empty when the request had none.
  std::string_view path;    // the request target as sent, e.g. "/" or "/chat?x=1"
  std::string_view host;
  std::string_view key;     // Sec-WebSocket-Key, 24 characters of canonical base64
  std::string_view origin;
};

// Parses a complete request head (as HttpHeadReader collects it) and decides the
// response. Tolerant where real clients differ: header names in any case, token
// lists ("Connection: keep-alive, Upgrade"), "websocket" in any case, optional
// white space around values, bare-LF line ends, repeated Upgrade/Connection fields,
// unknown fields ignored (Sec-WebSocket-Protocol/-Extensions too: none is chosen).
// Strict where RFC 6455 section 4.2.1 says MUST:
//   - 400: not "GET <target> HTTP/1.1"; a field line that is not "name: value"
//     (white space before the colon, folded lines, control characters); Host missing,
//     empty or repeated; no Upgrade token "websocket"; no Connection token
//     "upgrade"; Sec-WebSocket-Key missing, repeated, or not canonical base64 of
//     exactly 16 bytes; Sec-WebSocket-Version repeated; no blank line at the end.
//   - 426: Sec-WebSocket-Version missing or not 13.
//   - 431: head longer than kMaxHandshakeSize.
UpgradeRequest ParseUpgradeRequest(ByteSpan head);

// Sec-WebSocket-Accept for a client's key: base64(SHA-1(key + kHandshakeGuid)).
// Uses pmu_crypto's Sha1.
AcceptKey ComputeAcceptKey(std::string_view client_key);

// Writes "101 Switching Protocols" with `accept_key`. Returns the length (no NUL is
// written), or 0 when `out` is too small (kMaxHandshakeResponseSize always fits).
std::size_t WriteAcceptResponse(std::string_view accept_key, std::span<char> out);

// Writes an error response that ends the connection ("Connection: close"), with
// `reason` as its text/plain body: 400, 404, 426 (with "Sec-WebSocket-Version: 13"
// and "Upgrade: websocket", as RFC 6455 section 4.4 and RFC 7231 section 6.5.15 ask),
// 431 or 503. ParseUpgradeRequest() never decides 404 or 503: a server answers them
// for reasons of its own (an unknown path, no free session). Returns the length, or 0 when `out` is too small, `status` is 101 (use
// WriteAcceptResponse), or `reason` holds a CR or LF.
std::size_t WriteRejectResponse(HttpStatus status, std::string_view reason, std::span<char> out);

// The response `request` owes: 101 with its accept key, or its error response.
std::size_t WriteHandshakeResponse(const UpgradeRequest& request, std::span<char> out);

// ---- Client side --------------------------------------------------------------------

// The Sec-WebSocket-Key for a 16-byte nonce, which the caller draws from its entropy
// source for every connection (RFC 6455 section 4.1).
ClientKey MakeClientKey(std::span<const std::byte, 16> nonce);

// Writes the upgrade request for ws://host/path: GET, Host, Upgrade, Connection,
// Sec-WebSocket-Key, Sec-WebSocket-Version: 13. `host` may carry ":port" (give it
// when not 80); `path` starts with '/'. Returns the length, or 0 when `out` is too
// small or a value holds characters not allowed there (white space or control
// characters; header injection).
std::size_t WriteUpgradeRequest(std::string_view host, std::string_view path, std::string_view key,
                                std::span<char> out);

struct HttpStatusLine {
  std::uint16_t code = 0;
  std::string_view reason;  // a view into the head
};

// Parses the status line of a response head ("HTTP/1.x NNN reason"), e.g. to report
// what a server that refused the upgrade said.
Result<HttpStatusLine> ParseStatusLine(ByteSpan head);

// Checks a complete response head against RFC 6455 section 4.1: status 101,
// Upgrade token "websocket", Connection token "upgrade", Sec-WebSocket-Accept equal
// to `expected_accept` (ComputeAcceptKey(our key)), and no extension or subprotocol
// (the client offers none). Errors: Unavailable when the status is not 101 (the
// server refused; ParseStatusLine() says how), InvalidArgument for everything else,
// the message naming the rule broken.
Status CheckUpgradeResponse(ByteSpan head, std::string_view expected_accept);

}  // namespace pmu::proto::websocket
