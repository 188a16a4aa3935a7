// Fuzzes the WebSocket frame decoder and the message layer above it, in either role,
// over any cut of the stream. Invariants, beyond "no crash":
//   frames:   a decoded header re-encodes to exactly the bytes it came from; payload
//             pieces are contiguous and add up to the declared length; masking them
//             again gives the wire bytes back; errors are 1002; masking fits the role.
//   messages: pieces are flagged first/last consistently; a text message is valid
//             UTF-8; no message passes the size limit; close codes are valid; errors
//             are 1002, 1007 or 1009 with a reason that fits a close frame; nothing
//             comes after close or error; the result does not depend on how the
//             stream was cut; and re-encoding what was decoded (as the peer would,
//             one frame per message) decodes to the same events.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "pmu/base/utf8.h"
#include "pmu/proto/websocket_frame.h"

namespace {

using namespace pmu;
using namespace pmu::proto::websocket;

void Require(bool ok) {
  if (!ok) std::abort();
}

void CheckFrames(Role role, const std::vector<std::byte>& original, std::size_t chunk) {
  std::vector<std::byte> wire = original;
  FrameDecoder decoder(role);
  std::size_t frame_start = 0;
  std::uint64_t payload_seen = 0;
  FrameHeader current;
  for (std::size_t pos = 0; pos < wire.size(); pos += chunk) {
    MutableByteSpan in = std::span(wire).subspan(pos, std::min(chunk, wire.size() - pos));
    for (;;) {
      const FrameEvent ev = decoder.Next(in);
      const std::size_t at = static_cast<std::size_t>(in.data() - wire.data());  // bytes consumed so far
      if (ev.kind == FrameEvent::Kind::kNeedMore) {
        Require(in.empty());
        break;
      }
      switch (ev.kind) {
        case FrameEvent::Kind::kHeader: {
          current = ev.header;
          const std::size_t size = at - frame_start;
          Require(size == FrameHeaderSize(ev.header.payload_length, ev.header.masked));
          std::byte again[kMaxFrameHeaderSize];
          Require(EncodeFrameHeader(ev.header, again) == size);
          Require(std::memcmp(again, &original[frame_start], size) == 0);
          Require(ev.header.masked == (role == Role::kServer));
          Require(!IsControl(ev.header.opcode) || (ev.header.fin && ev.header.payload_length <= kMaxControlPayload));
          payload_seen = 0;
          break;
        }
        case FrameEvent::Kind::kPayload: {
          Require(ev.header == current && !ev.payload.empty());
          Require(ev.payload_offset == payload_seen);
          const std::size_t where = static_cast<std::size_t>(ev.payload.data() - wire.data());
          Require(where + ev.payload.size() == at);
          std::vector<std::byte> remasked(ev.payload.begin(), ev.payload.end());
          if (ev.header.masked) ApplyMask(remasked, ev.header.mask, ev.payload_offset);
          Require(std::memcmp(remasked.data(), &original[where], remasked.size()) == 0);
          payload_seen += ev.payload.size();
          Require(payload_seen <= ev.header.payload_length);
          break;
        }
        case FrameEvent::Kind::kFrameEnd:
          Require(ev.header == current && payload_seen == ev.header.payload_length);
          Require(decoder.at_frame_boundary());
          frame_start = at;
          break;
        case FrameEvent::Kind::kError:
          Require(ev.error.close_code == kCloseProtocolError && ev.error.reason[0] != '\0');
          Require(decoder.failed());
          Require(decoder.Next(in).kind == FrameEvent::Kind::kError);
          return;
        case FrameEvent::Kind::kNeedMore:
          break;
      }
    }
  }
}

// What the message layer reported, with data pieces joined into whole messages.
struct Item {
  MessageEvent::Kind kind;
  Opcode type = Opcode::kText;
  std::string data;  // message, ping/pong payload or close reason
  std::uint16_t code = 0;
  bool operator==(const Item&) const = default;
};

std::vector<Item> DecodeMessages(Role role, std::vector<std::byte> wire, std::size_t chunk, std::uint64_t max) {
  MessageDecoder decoder(role, max);
  std::vector<Item> items;
  std::string message;
  bool in_message = false;
  bool done = false;
  for (std::size_t pos = 0; pos < wire.size() && !done; pos += chunk) {
    MutableByteSpan in = std::span(wire).subspan(pos, std::min(chunk, wire.size() - pos));
    for (;;) {
      const MessageEvent ev = decoder.Next(in);
      if (ev.kind == MessageEvent::Kind::kNeedMore) {
        Require(decoder.finished() || in.empty());
        break;
      }
      Require(!done);
      switch (ev.kind) {
        case MessageEvent::Kind::kData:
          Require(ev.first == !in_message && decoder.in_message() == !ev.last);
          Require(ev.message_type == Opcode::kText || ev.message_type == Opcode::kBinary);
          if (ev.first) message.clear();
          message.append(AsText(ev.data));
          Require(message.size() <= max);
          in_message = !ev.last;
          if (ev.last) {
            if (ev.message_type == Opcode::kText) Require(IsValidUtf8(AsBytes(message)));
            items.push_back({ev.kind, ev.message_type, message, 0});
          }
          break;
        case MessageEvent::Kind::kPing:
        case MessageEvent::Kind::kPong:
          Require(ev.data.size() <= kMaxControlPayload);
          items.push_back({ev.kind, Opcode::kText, std::string(AsText(ev.data)), 0});
          break;
        case MessageEvent::Kind::kClose:
          Require(ev.close_code == kCloseNoStatus || IsValidWireCloseCode(ev.close_code));
          Require(IsValidUtf8(AsBytes(ev.close_reason)) && ev.close_reason.size() <= kMaxCloseReason);
          Require(decoder.finished());
          items.push_back({ev.kind, Opcode::kText, std::string(ev.close_reason), ev.close_code});
          done = true;
          break;
        case MessageEvent::Kind::kError: {
          const std::uint16_t c = ev.error.close_code;
          Require(c == kCloseProtocolError || c == kCloseInvalidPayload || c == kCloseMessageTooBig);
          const std::size_t len = std::strlen(ev.error.reason);
          Require(len > 0 && len <= kMaxCloseReason);
          Require(decoder.finished());
          items.push_back({ev.kind, Opcode::kText, "", c});
          done = true;
          break;
        }
        case MessageEvent::Kind::kNeedMore:
          break;
      }
    }
  }
  return items;
}

// The peer's frames for `items` (up to the first error): one frame per message.
std::vector<std::byte> Encode(Role decoder_role, const std::vector<Item>& items) {
  std::vector<std::byte> wire;
  std::optional<Mask> mask;
  if (decoder_role == Role::kServer) mask = Mask{std::byte{1}, std::byte{0x80}, std::byte{0xFF}, std::byte{0x55}};
  for (const Item& item : items) {
    std::vector<std::byte> frame(kMaxFrameHeaderSize + item.data.size() + 2);
    std::size_t n = 0;
    switch (item.kind) {
      case MessageEvent::Kind::kData:
        n = EncodeFrame(item.type, true, AsBytes(item.data), mask, frame);
        break;
      case MessageEvent::Kind::kPing:
        n = EncodeFrame(Opcode::kPing, true, AsBytes(item.data), mask, frame);
        break;
      case MessageEvent::Kind::kPong:
        n = EncodeFrame(Opcode::kPong, true, AsBytes(item.data), mask, frame);
        break;
      case MessageEvent::Kind::kClose:
        n = EncodeCloseFrame(item.code, item.data, mask, frame);
        break;
      default:
        return wire;
    }
    Require(n > 0);
    wire.insert(wire.end(), frame.begin(), frame.begin() + static_cast<std::ptrdiff_t>(n));
  }
  return wire;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const Role role = (data[0] & 1) ? Role::kServer : Role::kClient;
  const std::size_t chunk = ((data[0] >> 1) & 63) + 1;
  constexpr std::uint64_t kLimits[] = {0, 5, 125, 1000, std::uint64_t{1} << 20, ~std::uint64_t{0}};
  const std::uint64_t max = kLimits[data[1] % 6];
  const std::vector<std::byte> wire(reinterpret_cast<const std::byte*>(data + 2),
                                    reinterpret_cast<const std::byte*>(data + size));

  CheckFrames(role, wire, chunk);
  CheckFrames(role, wire, wire.size() + 1);

  const std::vector<Item> cut = DecodeMessages(role, wire, chunk, max);
  const std::vector<Item> whole = DecodeMessages(role, wire, wire.size() + 1, max);
  Require(cut == whole);

  std::vector<Item> valid = whole;
  if (!valid.empty() && valid.back().kind == MessageEvent::Kind::kError) valid.pop_back();
  Require(DecodeMessages(role, Encode(role, valid), 7, max) == valid);
  return 0;
}
