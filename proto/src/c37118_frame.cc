// C37.118.2 framing (SYNC, FRAMESIZE, CHK), command and header frames.
#include <array>

#include "c37118_wire.h"
#include "pmu/proto/c37118.h"

namespace pmu::proto::c37118 {
namespace {

constexpr Status kBadSync = InvalidArgument("bad SYNC: first byte is not 0xAA");
constexpr Status kBadType = InvalidArgument("bad frame type");
constexpr Status kUnsupportedVersion = Status(StatusCode::kUnimplemented, "unsupported version");
constexpr Status kConfig3Version1 = InvalidArgument("CFG-3 frame with version 1");
constexpr Status kTruncated = DataLoss("truncated frame");
constexpr Status kFrameSizeTooSmall = OutOfRange("FRAMESIZE below 16");
constexpr Status kBytesBeyondFrameSize = InvalidArgument("bytes beyond FRAMESIZE");
constexpr Status kBadCrc = DataLoss("bad CRC");
constexpr Status kNotCommand = InvalidArgument("not a command frame");
constexpr Status kNoCmdWord = DataLoss("command frame without CMD");
constexpr Status kNotHeader = InvalidArgument("not a header frame");

// The CRC of every value of the top `Bits` bits of the register, shifted through.
template <unsigned Bits>
constexpr std::array<std::uint16_t, (1u << Bits)> MakeCrcTable() {
  std::array<std::uint16_t, (1u << Bits)> table{};
  for (unsigned i = 0; i < (1u << Bits); ++i) {
    unsigned crc = i << (16 - Bits);
    for (unsigned bit = 0; bit < Bits; ++bit) crc = (crc & 0x8000) ? (crc << 1) ^ 0x1021 : crc << 1;
    table[i] = static_cast<std::uint16_t>(crc);
  }
  return table;
}
constexpr auto kByteTable = MakeCrcTable<8>();    // 512 bytes
constexpr auto kNibbleTable = MakeCrcTable<4>();  // 32 bytes

// The second SYNC byte: bit 7 clear, type 0-5 in bits 6-4, version 1 or 2 in bits 3-0.
Status CheckSyncWord(std::byte second, FrameType& type, Version& version) {
  const unsigned b = std::to_integer<unsigned>(second);
  const unsigned t = b >> 4;
  if (t > static_cast<unsigned>(FrameType::kConfig3)) return kBadType;  // also bit 7 set
  const unsigned v = b & 0x0F;
  if (v != 1 && v != 2) return kUnsupportedVersion;
  type = static_cast<FrameType>(t);
  version = static_cast<Version>(v);
  if (type == FrameType::kConfig3 && version == Version::k2005) return kConfig3Version1;
  return Status::Ok();
}

}  // namespace

TimeQuality TimeQuality::FromByte(std::uint8_t byte) {
  TimeQuality q;
  q.reserved = (byte & 0x80) != 0;
  q.leap_second_delete = (byte & 0x40) != 0;
  q.leap_second_occurred = (byte & 0x20) != 0;
  q.leap_second_pending = (byte & 0x10) != 0;
  q.quality = static_cast<std::uint8_t>(byte & 0x0F);
  return q;
}

std::uint8_t TimeQuality::ToByte() const {
  return static_cast<std::uint8_t>((reserved ? 0x80 : 0) | (leap_second_delete ? 0x40 : 0) |
                                   (leap_second_occurred ? 0x20 : 0) | (leap_second_pending ? 0x10 : 0) |
                                   (quality & 0x0F));
}

Result<Timestamp> Timestamp::Make(std::uint32_t soc, std::uint32_t fraction, TimeQuality quality) {
  if (fraction > kMaxFraction) return OutOfRange("fraction above 24 bits");
  return Timestamp{soc, (std::uint32_t{quality.ToByte()} << 24) | fraction};
}

std::uint16_t Crc16CcittByteTable(ByteSpan bytes) {
  unsigned crc = 0xFFFF;
  for (std::byte b : bytes) {
    crc = (crc << 8) ^ kByteTable[((crc >> 8) ^ std::to_integer<unsigned>(b)) & 0xFF];
  }
  return static_cast<std::uint16_t>(crc);
}

std::uint16_t Crc16CcittNibbleTable(ByteSpan bytes) {
  unsigned crc = 0xFFFF;
  for (std::byte b : bytes) {
    const unsigned v = std::to_integer<unsigned>(b);
    crc = (crc << 4) ^ kNibbleTable[((crc >> 12) ^ (v >> 4)) & 0x0F];
    crc = (crc << 4) ^ kNibbleTable[((crc >> 12) ^ v) & 0x0F];
  }
  return static_cast<std::uint16_t>(crc);
}

std::uint16_t Crc16Ccitt(ByteSpan bytes) {
#if defined(__ARM_ARCH_PROFILE) && __ARM_ARCH_PROFILE == 'M'
  // A microcontroller: 480 bytes of flash matter more than a few hundred cycles per
  // frame (a 100-byte frame: about 1,500 cycles on a Cortex-M3).
  return Crc16CcittNibbleTable(bytes);
#else
  return Crc16CcittByteTable(bytes);  // the PDC concentrates many streams
#endif
}

Result<std::uint16_t> CheckFramePrefix(ByteSpan prefix) {
  if (prefix.empty()) return kTruncated;
  if (prefix[0] != kSyncByte) return kBadSync;
  if (prefix.size() < 2) return kTruncated;
  FrameType type{};
  Version version{};
  PMU_TRY(CheckSyncWord(prefix[1], type, version));
  if (prefix.size() < 4) return kTruncated;
  const std::uint16_t frame_size = LoadBe16(prefix.data() + 2);
  if (frame_size < kMinFrameSize) return kFrameSizeTooSmall;
  return frame_size;
}

Result<Frame> ParseFrame(ByteSpan bytes) {
  PMU_ASSIGN_OR_RETURN(const std::uint16_t frame_size, CheckFramePrefix(bytes));
  if (bytes.size() < frame_size) return kTruncated;
  if (bytes.size() > frame_size) return kBytesBeyondFrameSize;
  const std::uint16_t check = LoadBe16(bytes.data() + frame_size - kCheckSize);
  if (Crc16Ccitt(bytes.first(frame_size - kCheckSize)) != check) return kBadCrc;

  Frame frame;
  CheckSyncWord(bytes[1], frame.type, frame.version).IgnoreError();  // checked by CheckFramePrefix
  frame.idcode = LoadBe16(bytes.data() + 4);
  frame.time.soc = LoadBe32(bytes.data() + 6);
  frame.time.fracsec = LoadBe32(bytes.data() + 10);
  frame.bytes = bytes;
  return frame;
}

namespace wire {

void WriteCommonHeader(Writer& w, FrameType type, Version version, std::size_t frame_size,
                       std::uint16_t idcode, const Timestamp& time) {
  w.U8(std::to_integer<std::uint8_t>(kSyncByte));
  w.U8(static_cast<std::uint8_t>((static_cast<unsigned>(type) << 4) | static_cast<unsigned>(version)));
  w.U16(static_cast<std::uint16_t>(frame_size));
  w.U16(idcode);
  w.U32(time.soc);
  w.U32(time.fracsec);
}

}  // namespace wire

Result<CommandFrame> DecodeCommand(const Frame& frame) {
  if (frame.type != FrameType::kCommand) return kNotCommand;
  wire::Reader r(frame.payload());
  CommandFrame out;
  out.version = frame.version;
  out.idcode = frame.idcode;
  out.time = frame.time;
  std::uint16_t cmd = 0;
  if (!r.U16(cmd)) return kNoCmdWord;
  out.command = static_cast<CommandCode>(cmd);
  (void)r.Bytes(r.remaining(), out.extended_data);
  return out;
}

Result<CommandFrame> DecodeCommand(ByteSpan bytes) {
  PMU_ASSIGN_OR_RETURN(const Frame frame, ParseFrame(bytes));
  return DecodeCommand(frame);
}

Result<std::size_t> EncodeCommand(const CommandFrame& frame, MutableByteSpan out) {
  return wire::EncodeFrame(FrameType::kCommand, frame.version, frame.idcode, frame.time, out,
                           [&](wire::Writer& w) {
                             w.U16(static_cast<std::uint16_t>(frame.command));
                             w.Bytes(frame.extended_data);
                           });
}

Result<HeaderFrame> DecodeHeader(const Frame& frame) {
  if (frame.type != FrameType::kHeader) return kNotHeader;
  HeaderFrame out;
  out.version = frame.version;
  out.idcode = frame.idcode;
  out.time = frame.time;
  out.text = AsText(frame.payload());
  return out;
}

Result<HeaderFrame> DecodeHeader(ByteSpan bytes) {
  PMU_ASSIGN_OR_RETURN(const Frame frame, ParseFrame(bytes));
  return DecodeHeader(frame);
}

Result<std::size_t> EncodeHeader(const HeaderFrame& frame, MutableByteSpan out) {
  return wire::EncodeFrame(FrameType::kHeader, frame.version, frame.idcode, frame.time, out,
                           [&](wire::Writer& w) { w.Text(frame.text); });
}

}  // namespace pmu::proto::c37118
