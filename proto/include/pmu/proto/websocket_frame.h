// RFC 6455 WebSocket frames: encoders, a streaming frame decoder and a message layer
// on top of it. Pure code shared by the device (server role, TCP 5006) and the PDC
// (client role): no I/O, no heap, no exceptions. The opening handshake is in
// websocket_handshake.h.
//
// Receiving: feed whatever bytes arrived, split anywhere, to MessageDecoder::Next()
// (or to FrameDecoder::Next() for the frame level alone) and act on the events:
//
//   MutableByteSpan in = bytes_just_received;       // caller's buffer, writable
//   for (;;) {
//     const MessageEvent ev = decoder.Next(in);     // consumes from the front of `in`
//     if (ev.kind == MessageEvent::Kind::kNeedMore) break;   // feed more bytes later
//     ...                                           // kData, kPing, kPong, kClose, kError
//   }
//
// Payload is never buffered by the decoders (except control frames, at most 125
// bytes): data payload is unmasked IN PLACE in the caller's buffer and handed out as
// views into it, piece by piece, so a frame of any length (64-bit lengths included)
// passes through with no more memory than the caller's receive buffer.
//
// Sending: EncodeFrameHeader() writes the 2..14-byte header of a frame whose payload
// length is known, and the caller writes the payload itself (through ApplyMask() when
// masking). That is how the device streams CMD_floodme: MessageFramer chooses text
// for the first frame and continuation afterwards, and the device sends one frame per
// send-buffer's worth without ever holding the whole message. EncodeFrame() and
// EncodeCloseFrame() write small complete frames.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "pmu/base/bytes.h"
#include "pmu/base/utf8.h"

namespace pmu::proto::websocket {

enum class Opcode : std::uint8_t {
  kContinuation = 0x0,
  kText = 0x1,
  kBinary = 0x2,
  kClose = 0x8,
  kPing = 0x9,
  kPong = 0xA,
};

constexpr bool IsControl(Opcode op) { return (static_cast<std::uint8_t>(op) & 0x8) != 0; }
// Whether `raw` (the low nibble of a frame's first byte) is an opcode RFC 6455 defines.
constexpr bool IsKnownOpcode(std::uint8_t raw) { return raw <= 0x2 || (raw >= 0x8 && raw <= 0xA); }

// Status codes of a close frame (RFC 6455 section 7.4.1, IANA registry).
inline constexpr std::uint16_t kCloseNormal = 1000;
inline constexpr std::uint16_t kCloseGoingAway = 1001;
inline constexpr std::uint16_t kCloseProtocolError = 1002;
inline constexpr std::uint16_t kCloseUnsupportedData = 1003;
inline constexpr std::uint16_t kCloseNoStatus = 1005;   // never on the wire: "close had no code"
inline constexpr std::uint16_t kCloseAbnormal = 1006;   // never on the wire: "no close frame"
inline constexpr std::uint16_t kCloseInvalidPayload = 1007;
inline constexpr std::uint16_t kClosePolicyViolation = 1008;
inline constexpr std::uint16_t kCloseMessageTooBig = 1009;
inline constexpr std::uint16_t kCloseInternalError = 1011;

// Whether a peer may send `code` in a close frame: 1000..1003, 1007..1014 (IANA has
// registered 1012..1014 since RFC 6455), 3000..4999. Not 1004, 1005, 1006, 1015,
// 1016..2999, below 1000 or above 4999.
constexpr bool IsValidWireCloseCode(std::uint16_t code) {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

inline constexpr std::size_t kMaxFrameHeaderSize = 14;   // 2 + 8 (64-bit length) + 4 (mask)
inline constexpr std::size_t kMaxControlPayload = 125;
inline constexpr std::size_t kMaxCloseReason = kMaxControlPayload - 2;
inline constexpr std::uint64_t kMaxPayloadLength = 0x7FFF'FFFF'FFFF'FFFF;  // top bit must be 0

using Mask = std::array<std::byte, 4>;

// Which end of the connection this code plays. It decides masking: clients MUST mask
// every frame they send and servers MUST NOT (RFC 6455 section 5.1), so a decoder in
// the server role refuses unmasked frames and one in the client role masked frames.
enum class Role : std::uint8_t { kServer, kClient };

struct FrameHeader {
  Opcode opcode = Opcode::kText;
  bool fin = true;
  bool masked = false;
  Mask mask{};                      // meaningful when `masked`
  std::uint64_t payload_length = 0;
  friend bool operator==(const FrameHeader&, const FrameHeader&) = default;
};

// ---- Encoding ----------------------------------------------------------------------

// Size of the header EncodeFrameHeader() writes: 2, 4 or 10 bytes, plus 4 when masked.
// Lengths always take the shortest form (RFC 6455 section 5.2 requires it).
constexpr std::size_t FrameHeaderSize(std::uint64_t payload_length, bool masked) {
  const std::size_t base = payload_length <= 125 ? 2 : payload_length <= 0xFFFF ? 4 : 10;
  return base + (masked ? 4 : 0);
}

// Writes the header of one frame; returns its length (FrameHeaderSize()), or 0 when
// `out` is too small or the header cannot be sent: an opcode RFC 6455 does not
// define, a control frame without FIN or with more than 125 bytes, or a length above
// kMaxPayloadLength. RSV bits are always 0 (no extension is ever negotiated).
std::size_t EncodeFrameHeader(const FrameHeader& header, MutableByteSpan out);

// XORs `data` with `mask` in place, `data` being the payload bytes that start at
// `offset` within their frame's payload: a frame's payload may be masked (or
// unmasked) in pieces of any size, in order or not.
void ApplyMask(MutableByteSpan data, const Mask& mask, std::uint64_t offset = 0);

// Writes a complete frame, header then payload (masked with `mask` when given: the
// client role must give one, fresh from a random source for every frame). Returns
// its length, or 0 when `out` is too small or the header cannot be sent (see
// EncodeFrameHeader). `payload` and `out` must not overlap.
std::size_t EncodeFrame(Opcode opcode, bool fin, ByteSpan payload, const std::optional<Mask>& mask,
                        MutableByteSpan out);

// Writes a close frame. `code` kCloseNoStatus writes an empty payload (for echoing a
// close that had no code); any other code goes on the wire as given. `reason` is cut
// to kMaxCloseReason bytes, at a UTF-8 code point boundary so the peer does not
// receive invalid UTF-8 (a reason that is not UTF-8 to begin with is the caller's
// bug). Returns the frame's length or 0 when `out` is too small; at most
// kMaxFrameHeaderSize + kMaxControlPayload bytes are ever needed.
std::size_t EncodeCloseFrame(std::uint16_t code, std::string_view reason, const std::optional<Mask>& mask,
                             MutableByteSpan out);

// Frames one data message (text or binary) whose payload the caller streams in
// pieces: each WriteFrameHeader() writes the header of the next frame, text/binary
// for the first and continuation afterwards, FIN on the one the caller says is the
// last. After each header the caller sends exactly `payload_length` bytes of payload
// (masked with the same mask, if any, see ApplyMask). A message may be one frame.
// Zero-length frames are allowed (e.g. an empty last frame to end the message).
class MessageFramer {
 public:
  // `type` must be kText or kBinary; anything else makes every call return 0.
  explicit MessageFramer(Opcode type) : type_(type) {}

  // Returns the header's length, or 0 when `out` is too small, the message has been
  // finished already, or the header cannot be sent (see EncodeFrameHeader). A call
  // that returns 0 changes nothing.
  std::size_t WriteFrameHeader(std::uint64_t payload_length, bool last, MutableByteSpan out,
                               const std::optional<Mask>& mask = std::nullopt);

  bool started() const { return started_; }
  bool finished() const { return finished_; }

 private:
  Opcode type_;
  bool started_ = false;
  bool finished_ = false;
};

// ---- Decoding: frames --------------------------------------------------------------

// A protocol violation found on the wire: the close code to fail the connection with
// (1002, 1007 or 1009) and why (static text, fit for the close frame's reason).
struct ProtocolError {
  std::uint16_t close_code = 0;
  const char* reason = "";
};

struct FrameEvent {
  enum class Kind : std::uint8_t {
    kNeedMore,  // every byte of the input is used; feed more
    kHeader,    // a frame header is complete: `header`
    kPayload,   // some payload: `payload`, unmasked, starting at `payload_offset`
    kFrameEnd,  // the frame's payload is complete (follows kHeader at once if empty)
    kError,     // the input breaks RFC 6455: `error`; the decoder is failed
  };
  Kind kind = Kind::kNeedMore;
  FrameHeader header;            // the current frame, for kHeader, kPayload, kFrameEnd
  MutableByteSpan payload;       // kPayload: a view into the caller's input
  std::uint64_t payload_offset = 0;
  ProtocolError error;           // kError
};

// Splits a byte stream into frames. Checks everything a frame alone can break, each
// a 1002 error: RSV bits set, an opcode RFC 6455 does not define, masking that does
// not fit the role, a control frame fragmented or longer than 125 bytes, a 64-bit
// length with its top bit set, a length not in its shortest form. Message-level
// rules (fragmentation order, UTF-8, size limit) are MessageDecoder's.
class FrameDecoder {
 public:
  explicit FrameDecoder(Role role) : role_(role) {}

  // Consumes bytes from the front of `input` and returns the next event; call again
  // until kNeedMore, then again when more bytes arrive. Payload is unmasked in place
  // in `input`: a kPayload view is valid while the caller's buffer is, and the bytes
  // consumed are rewritten. After kError every call returns the same error and
  // consumes nothing.
  FrameEvent Next(MutableByteSpan& input);

  bool failed() const { return stage_ == Stage::kFailed; }
  // Whether the decoder is between frames (no partial frame pending).
  bool at_frame_boundary() const { return stage_ == Stage::kHeader && header_size_ == 0; }

 private:
  enum class Stage : std::uint8_t { kHeader, kPayload, kFrameEnd, kFailed };

  FrameEvent Fail(std::uint16_t code, const char* reason);
  // Checks the first two header bytes; returns the error or a null reason.
  ProtocolError CheckFirstBytes() const;
  ProtocolError FinishHeader();

  Role role_;
  Stage stage_ = Stage::kHeader;
  std::uint8_t header_size_ = 0;   // header bytes collected so far
  std::uint8_t header_need_ = 2;   // header bytes needed (known after the first two)
  std::byte header_bytes_[kMaxFrameHeaderSize] = {};
  FrameHeader header_;
  std::uint64_t payload_done_ = 0;
  ProtocolError error_;
};

// ---- Decoding: messages ------------------------------------------------------------

struct MessageEvent {
  enum class Kind : std::uint8_t {
    kNeedMore,  // every byte of the input is used (or the decoder is finished)
    kData,      // a piece of a text or binary message
    kPing,      // a ping: answer with a pong carrying `data`
    kPong,      // a pong, `data` its payload
    kClose,     // the peer's close: `close_code`, `close_reason`; the decoder is finished
    kError,     // the peer broke the protocol: close with `error`; the decoder is finished
  };
  Kind kind = Kind::kNeedMore;
  // kData: the message's type, kText or kBinary.
  Opcode message_type = Opcode::kText;
  // kData: whether this piece is the first / the last of its message. A message gives
  // one or more pieces; an empty one gives one empty piece with both flags set.
  bool first = false;
  bool last = false;
  // kData: a view into the caller's input buffer (unmasked in place), valid as long
  // as that buffer; text is valid UTF-8 so far, but a piece may end (and the next one
  // begin) inside a code point. kPing/kPong: the payload, in the decoder's own
  // buffer, valid until the next call to Next().
  ByteSpan data;
  // kClose: the peer's code (kCloseNoStatus for an empty close) and reason (valid
  // UTF-8, in the decoder's buffer, valid until the next call to Next()).
  std::uint16_t close_code = 0;
  std::string_view close_reason;
  // kError: the code (1002, 1007 or 1009) and reason to close the connection with.
  ProtocolError error;
};

// Reassembles messages from frames: enforces the fragmentation rules (continuation
// only inside a message, no new message inside one, control frames allowed between
// fragments), validates text messages as UTF-8 as they arrive, across frame
// boundaries (1007), refuses a message whose total length would pass
// `max_message_size` as soon as a frame header announces it (1009), and parses
// close frames: an empty payload, or a 2-byte valid code (1002 otherwise; a 1-byte
// payload is 1002 too) and a UTF-8 reason (1007 otherwise).
//
// Memory: a FrameDecoder, the 125-byte control payload buffer and a few counters.
class MessageDecoder {
 public:
  MessageDecoder(Role role, std::uint64_t max_message_size) : frames_(role), max_message_size_(max_message_size) {}

  // As FrameDecoder::Next(): consumes from the front of `input`; call until
  // kNeedMore. After kClose or kError the decoder is finished: every call returns
  // kNeedMore and consumes nothing (bytes after a close frame are not looked at).
  MessageEvent Next(MutableByteSpan& input);

  bool finished() const { return finished_; }
  // Whether a data message has begun and not ended.
  bool in_message() const { return in_message_; }
  // Frames decoded whole so far: data frames (text, binary, continuation) and control
  // frames (close, ping, pong). A client reports these; a failed frame is not counted.
  std::uint64_t data_frames() const { return data_frames_; }
  std::uint64_t control_frames() const { return control_frames_; }

 private:
  MessageEvent Fail(const ProtocolError& error);
  MessageEvent OnControlEnd(const FrameHeader& header);

  FrameDecoder frames_;
  std::uint64_t max_message_size_;
  std::uint64_t message_size_ = 0;   // payload bytes announced so far in this message
  Utf8Validator utf8_;
  Opcode message_type_ = Opcode::kText;
  bool in_message_ = false;
  bool first_pending_ = false;       // the next piece is the message's first
  bool finished_ = false;
  std::uint64_t data_frames_ = 0;
  std::uint64_t control_frames_ = 0;
  std::uint8_t control_size_ = 0;
  std::byte control_[kMaxControlPayload] = {};
};

}  // namespace pmu::proto::websocket
