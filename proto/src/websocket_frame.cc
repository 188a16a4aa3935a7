#include "pmu/proto/websocket_frame.h"

#include <algorithm>
#include <cstring>

namespace pmu::proto::websocket {
namespace {

constexpr std::byte kFinBit{0x80};
constexpr std::byte kRsvBits{0x70};
constexpr std::byte kMaskBit{0x80};
constexpr std::uint8_t kLength16 = 126;
constexpr std::uint8_t kLength64 = 127;

std::uint8_t Low7(std::byte b) { return std::to_integer<std::uint8_t>(b & std::byte{0x7F}); }

}  // namespace

// ---- Encoding ----------------------------------------------------------------------

std::size_t EncodeFrameHeader(const FrameHeader& header, MutableByteSpan out) {
  const auto raw = static_cast<std::uint8_t>(header.opcode);
  if (!IsKnownOpcode(raw)) return 0;
  if (IsControl(header.opcode) && (!header.fin || header.payload_length > kMaxControlPayload)) return 0;
  if (header.payload_length > kMaxPayloadLength) return 0;
  const std::size_t size = FrameHeaderSize(header.payload_length, header.masked);
  if (out.size() < size) return 0;

  out[0] = (header.fin ? kFinBit : std::byte{0}) | static_cast<std::byte>(raw);
  const std::byte mask_bit = header.masked ? kMaskBit : std::byte{0};
  std::size_t at = 2;
  if (header.payload_length <= kMaxControlPayload) {
    out[1] = mask_bit | static_cast<std::byte>(header.payload_length);
  } else if (header.payload_length <= 0xFFFF) {
    out[1] = mask_bit | std::byte{kLength16};
    StoreBe16(&out[2], static_cast<std::uint16_t>(header.payload_length));
    at = 4;
  } else {
    out[1] = mask_bit | std::byte{kLength64};
    StoreBe32(&out[2], static_cast<std::uint32_t>(header.payload_length >> 32));
    StoreBe32(&out[6], static_cast<std::uint32_t>(header.payload_length));
    at = 10;
  }
  if (header.masked) std::memcpy(&out[at], header.mask.data(), header.mask.size());
  return size;
}

void ApplyMask(MutableByteSpan data, const Mask& mask, std::uint64_t offset) {
  std::size_t k = static_cast<std::size_t>(offset & 3);
  for (std::byte& b : data) {
    b ^= mask[k];
    k = (k + 1) & 3;
  }
}

std::size_t EncodeFrame(Opcode opcode, bool fin, ByteSpan payload, const std::optional<Mask>& mask,
                        MutableByteSpan out) {
  const FrameHeader header{opcode, fin, mask.has_value(), mask.value_or(Mask{}), payload.size()};
  const std::size_t head = FrameHeaderSize(payload.size(), mask.has_value());
  if (out.size() < head || out.size() - head < payload.size()) return 0;
  if (EncodeFrameHeader(header, out) == 0) return 0;
  if (!payload.empty()) std::memcpy(&out[head], payload.data(), payload.size());
  if (mask) ApplyMask(out.subspan(head, payload.size()), *mask);
  return head + payload.size();
}

std::size_t EncodeCloseFrame(std::uint16_t code, std::string_view reason, const std::optional<Mask>& mask,
                             MutableByteSpan out) {
  std::byte payload[kMaxControlPayload];
  std::size_t size = 0;
  if (code != kCloseNoStatus) {
    StoreBe16(payload, code);
    std::size_t n = std::min(reason.size(), kMaxCloseReason);
    // Cut before a continuation byte, i.e. at the start of a code point.
    while (n > 0 && n < reason.size() && (static_cast<unsigned char>(reason[n]) & 0xC0) == 0x80) --n;
    if (n > 0) std::memcpy(payload + 2, reason.data(), n);
    size = 2 + n;
  }
  return EncodeFrame(Opcode::kClose, true, ByteSpan(payload, size), mask, out);
}

std::size_t MessageFramer::WriteFrameHeader(std::uint64_t payload_length, bool last, MutableByteSpan out,
                                            const std::optional<Mask>& mask) {
  if (finished_ || (type_ != Opcode::kText && type_ != Opcode::kBinary)) return 0;
  const FrameHeader header{started_ ? Opcode::kContinuation : type_, last, mask.has_value(), mask.value_or(Mask{}),
                           payload_length};
  const std::size_t n = EncodeFrameHeader(header, out);
  if (n == 0) return 0;
  started_ = true;
  finished_ = last;
  return n;
}

// ---- Decoding: frames --------------------------------------------------------------

FrameEvent FrameDecoder::Fail(std::uint16_t code, const char* reason) {
  stage_ = Stage::kFailed;
  error_ = {code, reason};
  FrameEvent ev;
  ev.kind = FrameEvent::Kind::kError;
  ev.error = error_;
  return ev;
}

ProtocolError FrameDecoder::CheckFirstBytes() const {
  const std::byte b0 = header_bytes_[0], b1 = header_bytes_[1];
  if ((b0 & kRsvBits) != std::byte{0}) return {kCloseProtocolError, "reserved bits set without an extension"};
  const std::uint8_t raw = std::to_integer<std::uint8_t>(b0 & std::byte{0x0F});
  if (!IsKnownOpcode(raw)) return {kCloseProtocolError, "reserved opcode"};
  if (IsControl(static_cast<Opcode>(raw))) {
    if ((b0 & kFinBit) == std::byte{0}) return {kCloseProtocolError, "fragmented control frame"};
    if (Low7(b1) > kMaxControlPayload) return {kCloseProtocolError, "control frame payload over 125 bytes"};
  }
  const bool masked = (b1 & kMaskBit) != std::byte{0};
  if (role_ == Role::kServer && !masked) return {kCloseProtocolError, "unmasked frame from a client"};
  if (role_ == Role::kClient && masked) return {kCloseProtocolError, "masked frame from a server"};
  return {};
}

ProtocolError FrameDecoder::FinishHeader() {
  const std::byte b0 = header_bytes_[0], b1 = header_bytes_[1];
  header_.fin = (b0 & kFinBit) != std::byte{0};
  header_.opcode = static_cast<Opcode>(std::to_integer<std::uint8_t>(b0 & std::byte{0x0F}));
  header_.masked = (b1 & kMaskBit) != std::byte{0};
  const std::uint8_t len7 = Low7(b1);
  std::size_t at = 2;
  if (len7 == kLength16) {
    header_.payload_length = LoadBe16(&header_bytes_[2]);
    if (header_.payload_length <= kMaxControlPayload) {
      return {kCloseProtocolError, "payload length not in its shortest form"};
    }
    at = 4;
  } else if (len7 == kLength64) {
    header_.payload_length = (std::uint64_t{LoadBe32(&header_bytes_[2])} << 32) | LoadBe32(&header_bytes_[6]);
    if (header_.payload_length > kMaxPayloadLength) return {kCloseProtocolError, "payload length over 63 bits"};
    if (header_.payload_length <= 0xFFFF) return {kCloseProtocolError, "payload length not in its shortest form"};
    at = 10;
  } else {
    header_.payload_length = len7;
  }
  header_.mask = Mask{};
  if (header_.masked) std::memcpy(header_.mask.data(), &header_bytes_[at], header_.mask.size());
  return {};
}

FrameEvent FrameDecoder::Next(MutableByteSpan& input) {
  FrameEvent ev;
  switch (stage_) {
    case Stage::kFailed:
      ev.kind = FrameEvent::Kind::kError;
      ev.error = error_;
      return ev;

    case Stage::kFrameEnd:
      stage_ = Stage::kHeader;
      header_size_ = 0;
      header_need_ = 2;
      payload_done_ = 0;
      ev.kind = FrameEvent::Kind::kFrameEnd;
      ev.header = header_;
      return ev;

    case Stage::kPayload: {
      if (input.empty()) return ev;
      const std::uint64_t left = header_.payload_length - payload_done_;
      const std::size_t n = left < input.size() ? static_cast<std::size_t>(left) : input.size();
      const MutableByteSpan piece = input.first(n);
      if (header_.masked) ApplyMask(piece, header_.mask, payload_done_);
      ev.kind = FrameEvent::Kind::kPayload;
      ev.header = header_;
      ev.payload = piece;
      ev.payload_offset = payload_done_;
      payload_done_ += n;
      input = input.subspan(n);
      if (payload_done_ == header_.payload_length) stage_ = Stage::kFrameEnd;
      return ev;
    }

    case Stage::kHeader:
      while (!input.empty()) {
        const std::size_t take = std::min<std::size_t>(header_need_ - header_size_, input.size());
        std::memcpy(&header_bytes_[header_size_], input.data(), take);
        header_size_ = static_cast<std::uint8_t>(header_size_ + take);
        input = input.subspan(take);
        if (header_size_ < header_need_) continue;
        if (header_need_ == 2) {
          // Refuse what the first two bytes already show before waiting for more.
          const ProtocolError e = CheckFirstBytes();
          if (e.close_code != 0) return Fail(e.close_code, e.reason);
          const std::uint8_t len7 = Low7(header_bytes_[1]);
          const bool masked = (header_bytes_[1] & kMaskBit) != std::byte{0};
          header_need_ = static_cast<std::uint8_t>(2 + (len7 == kLength16 ? 2 : len7 == kLength64 ? 8 : 0) +
                                                   (masked ? 4 : 0));
          if (header_size_ < header_need_) continue;
        }
        const ProtocolError e = FinishHeader();
        if (e.close_code != 0) return Fail(e.close_code, e.reason);
        stage_ = header_.payload_length == 0 ? Stage::kFrameEnd : Stage::kPayload;
        ev.kind = FrameEvent::Kind::kHeader;
        ev.header = header_;
        return ev;
      }
      return ev;
  }
  return ev;
}

// ---- Decoding: messages ------------------------------------------------------------

MessageEvent MessageDecoder::Fail(const ProtocolError& error) {
  finished_ = true;
  MessageEvent ev;
  ev.kind = MessageEvent::Kind::kError;
  ev.error = error;
  return ev;
}

MessageEvent MessageDecoder::OnControlEnd(const FrameHeader& header) {
  MessageEvent ev;
  const ByteSpan payload(control_, control_size_);
  switch (header.opcode) {
    case Opcode::kPing:
      ev.kind = MessageEvent::Kind::kPing;
      ev.data = payload;
      return ev;
    case Opcode::kPong:
      ev.kind = MessageEvent::Kind::kPong;
      ev.data = payload;
      return ev;
    case Opcode::kClose:
      if (payload.size() == 1) return Fail({kCloseProtocolError, "close frame with a 1-byte payload"});
      ev.close_code = kCloseNoStatus;
      if (payload.size() >= 2) {
        ev.close_code = LoadBe16(payload.data());
        if (!IsValidWireCloseCode(ev.close_code)) return Fail({kCloseProtocolError, "invalid close code"});
        const ByteSpan reason = payload.subspan(2);
        if (!IsValidUtf8(reason)) return Fail({kCloseInvalidPayload, "close reason is not valid UTF-8"});
        ev.close_reason = AsText(reason);
      }
      ev.kind = MessageEvent::Kind::kClose;
      finished_ = true;
      return ev;
    default:
      break;
  }
  return Fail({kCloseProtocolError, "reserved opcode"});  // unreachable: FrameDecoder refuses them
}

MessageEvent MessageDecoder::Next(MutableByteSpan& input) {
  if (finished_) return {};
  // Hands out one data piece, checking text as it goes.
  auto data = [this](ByteSpan piece, bool last) -> MessageEvent {
    if (message_type_ == Opcode::kText) {
      if (!utf8_.Feed(piece)) return Fail({kCloseInvalidPayload, "invalid UTF-8 in a text message"});
      if (last && !utf8_.complete()) return Fail({kCloseInvalidPayload, "text message ends inside a UTF-8 sequence"});
    }
    MessageEvent ev;
    ev.kind = MessageEvent::Kind::kData;
    ev.message_type = message_type_;
    ev.first = first_pending_;
    ev.last = last;
    ev.data = piece;
    first_pending_ = false;
    if (last) in_message_ = false;
    return ev;
  };

  for (;;) {
    const FrameEvent f = frames_.Next(input);
    const FrameHeader& h = f.header;
    switch (f.kind) {
      case FrameEvent::Kind::kNeedMore:
        return {};
      case FrameEvent::Kind::kError:
        return Fail(f.error);
      case FrameEvent::Kind::kHeader:
        if (IsControl(h.opcode)) {
          control_size_ = 0;
          break;
        }
        if (h.opcode == Opcode::kContinuation) {
          if (!in_message_) return Fail({kCloseProtocolError, "continuation frame outside a fragmented message"});
        } else {
          if (in_message_) return Fail({kCloseProtocolError, "new message inside a fragmented message"});
          in_message_ = true;
          message_type_ = h.opcode;
          message_size_ = 0;
          first_pending_ = true;
          utf8_.Reset();
        }
        // message_size_ never passes the limit, so the subtraction cannot wrap.
        if (h.payload_length > max_message_size_ - message_size_) {
          return Fail({kCloseMessageTooBig, "message larger than the limit"});
        }
        message_size_ += h.payload_length;
        break;
      case FrameEvent::Kind::kPayload:
        if (IsControl(h.opcode)) {
          // FrameDecoder keeps control payloads within 125 bytes; the check only
          // guards the copy.
          if (f.payload.size() > sizeof(control_) - control_size_) {
            return Fail({kCloseProtocolError, "control frame payload over 125 bytes"});
          }
          std::memcpy(&control_[control_size_], f.payload.data(), f.payload.size());
          control_size_ = static_cast<std::uint8_t>(control_size_ + f.payload.size());
          break;
        }
        return data(f.payload, h.fin && f.payload_offset + f.payload.size() == h.payload_length);
      case FrameEvent::Kind::kFrameEnd:
        if (IsControl(h.opcode)) {
          ++control_frames_;
          return OnControlEnd(h);
        }
        ++data_frames_;
        if (h.payload_length == 0) return data({}, h.fin);
        break;
    }
  }
}

}  // namespace pmu::proto::websocket
