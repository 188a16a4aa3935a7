// Bounds-checked big-endian reading and writing for the C37.118.2 codec (internal).
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "pmu/base/bytes.h"
#include "pmu/proto/c37118.h"

namespace pmu::proto::c37118::wire {

// Reads fields in order; a read past the end returns false and reads nothing, so a
// decoder turns it into its "shorter than its fields" error.
class Reader {
 public:
  explicit Reader(ByteSpan data) : data_(data) {}

  std::size_t remaining() const { return data_.size() - pos_; }

  bool U8(std::uint8_t& v) {
    if (remaining() < 1) return false;
    v = std::to_integer<std::uint8_t>(data_[pos_]);
    pos_ += 1;
    return true;
  }
  bool U16(std::uint16_t& v) {
    if (remaining() < 2) return false;
    v = LoadBe16(data_.data() + pos_);
    pos_ += 2;
    return true;
  }
  bool I16(std::int16_t& v) {
    std::uint16_t u = 0;
    if (!U16(u)) return false;
    v = static_cast<std::int16_t>(u);
    return true;
  }
  bool U32(std::uint32_t& v) {
    if (remaining() < 4) return false;
    v = LoadBe32(data_.data() + pos_);
    pos_ += 4;
    return true;
  }
  bool I32(std::int32_t& v) {
    std::uint32_t u = 0;
    if (!U32(u)) return false;
    v = static_cast<std::int32_t>(u);
    return true;
  }
  // IEEE 754 single precision; the bits are kept as sent (NaN payloads included).
  bool F32(float& v) {
    std::uint32_t u = 0;
    if (!U32(u)) return false;
    v = std::bit_cast<float>(u);
    return true;
  }
  bool Bytes(std::size_t n, ByteSpan& v) {
    if (remaining() < n) return false;
    v = data_.subspan(pos_, n);
    pos_ += n;
    return true;
  }
  bool Text(std::size_t n, std::string_view& v) {
    ByteSpan b;
    if (!Bytes(n, b)) return false;
    v = AsText(b);
    return true;
  }

 private:
  ByteSpan data_;
  std::size_t pos_ = 0;
};

// Writes fields in order. With an empty output it only counts, so the same code both
// sizes a frame and writes it; writes past the end of a non-empty output are dropped
// and remembered (overflow()).
class Writer {
 public:
  Writer() = default;  // counting only
  explicit Writer(MutableByteSpan out) : out_(out), counting_(false) {}

  std::size_t size() const { return pos_; }
  bool overflow() const { return overflow_; }

  void U8(std::uint8_t v) {
    if (Room(1)) out_[pos_] = std::byte{v};
    pos_ += 1;
  }
  void U16(std::uint16_t v) {
    if (Room(2)) StoreBe16(out_.data() + pos_, v);
    pos_ += 2;
  }
  void I16(std::int16_t v) { U16(static_cast<std::uint16_t>(v)); }
  void U32(std::uint32_t v) {
    if (Room(4)) StoreBe32(out_.data() + pos_, v);
    pos_ += 4;
  }
  void I32(std::int32_t v) { U32(static_cast<std::uint32_t>(v)); }
  void F32(float v) { U32(std::bit_cast<std::uint32_t>(v)); }
  void Bytes(ByteSpan b) {
    if (!b.empty() && Room(b.size())) std::memcpy(out_.data() + pos_, b.data(), b.size());
    pos_ += b.size();
  }
  void Text(std::string_view t) { Bytes(AsBytes(t)); }
  void Fill(std::size_t n, std::byte v) {
    if (n > 0 && Room(n)) std::memset(out_.data() + pos_, std::to_integer<int>(v), n);
    pos_ += n;
  }

 private:
  bool Room(std::size_t n) {
    if (counting_) return false;
    if (out_.size() < pos_ || out_.size() - pos_ < n) {
      overflow_ = true;
      return false;
    }
    return true;
  }

  MutableByteSpan out_;
  bool counting_ = true;
  std::size_t pos_ = 0;
  bool overflow_ = false;
};

}  // namespace pmu::proto::c37118::wire

namespace pmu::proto::c37118::wire {

inline constexpr Status kBadVersionArgument = InvalidArgument("bad version");
inline constexpr Status kFrameTooLarge = InvalidArgument("frame larger than 65535 bytes");
inline constexpr Status kOutputTooSmall = ResourceExhausted("output buffer too small");

inline bool IsValidVersion(Version v) { return v == Version::k2005 || v == Version::k2011; }

// Writes SYNC, FRAMESIZE, IDCODE, SOC and FRACSEC.
void WriteCommonHeader(Writer& w, FrameType type, Version version, std::size_t frame_size,
                       std::uint16_t idcode, const Timestamp& time);

// The size of a frame whose payload `write_payload(Writer&)` writes.
template <typename WritePayload>
Result<std::size_t> SizeFrame(WritePayload&& write_payload) {
  Writer counter;
  write_payload(counter);
  if (counter.size() > kMaxFrameSize - kMinFrameSize) return kFrameTooLarge;
  return kMinFrameSize + counter.size();
}

// Encodes one frame whose payload `write_payload(Writer&)` writes: sizes it with a
// counting pass, then writes the header, the payload and CHK into `out`.
template <typename WritePayload>
Result<std::size_t> EncodeFrame(FrameType type, Version version, std::uint16_t idcode,
                                const Timestamp& time, MutableByteSpan out, WritePayload&& write_payload) {
  if (!IsValidVersion(version)) return kBadVersionArgument;
  PMU_ASSIGN_OR_RETURN(const std::size_t size, SizeFrame(write_payload));
  if (out.size() < size) return kOutputTooSmall;
  Writer w(out.first(size));
  WriteCommonHeader(w, type, version, size, idcode, time);
  write_payload(w);
  if (w.overflow() || w.size() != size - kCheckSize) return Internal("payload size changed between passes");
  w.U16(Crc16Ccitt(out.first(size - kCheckSize)));
  return size;
}

}  // namespace pmu::proto::c37118::wire

namespace pmu::proto::c37118::wire {

// Checks that `config` can describe frames: a configuration type, TIME_BASE, NUM_PMU
// and every channel count within the standard and the compile-time maxima. The
// errors are those DecodeConfig gives for the same fields.
Status CheckConfigShape(const ConfigFrame& config);

}  // namespace pmu::proto::c37118::wire
