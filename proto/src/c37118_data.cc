// C37.118.2 data frames, read and written in the layout their configuration gives.
#include <cmath>

#include "c37118_wire.h"
#include "pmu/proto/c37118.h"

namespace pmu::proto::c37118 {
namespace {

constexpr Status kNotData = InvalidArgument("not a data frame");
constexpr Status kNeedsConfig2Or3 = InvalidArgument("data frames need a CFG-2 or CFG-3 configuration");
constexpr Status kIdcodeMismatch = InvalidArgument("IDCODE differs from the configuration's");
constexpr Status kPmuCountMismatch = InvalidArgument("NUM_PMU differs from the configuration's");
constexpr Status kDataShort = DataLoss("data frame shorter than its configuration");
constexpr Status kDataLong = InvalidArgument("data frame longer than its configuration");
constexpr Status kFractionRange = OutOfRange("FRACSEC fraction not below TIME_BASE");

constexpr std::uint16_t kMissingInt = 0x8000;  // "no data" in 16-bit integer formats

std::size_t PmuDataSize(const PmuConfig& p) {
  return 2 + p.phasor_count * (p.format.phasor_float ? 8u : 4u) + (p.format.freq_float ? 8u : 4u) +
         p.analog_count * (p.format.analog_float ? 4u : 2u) + 2u * p.digital_count;
}

// Round to nearest (half away from zero), saturating; NaN is "no data".
std::uint16_t ToSigned16(float v) {
  if (std::isnan(v)) return kMissingInt;
  if (v <= -32768.0f) return 0x8000;
  if (v >= 32767.0f) return 0x7FFF;
  const int i = static_cast<int>(v < 0 ? v - 0.5f : v + 0.5f);
  return static_cast<std::uint16_t>(static_cast<std::int16_t>(i));
}

std::uint16_t ToUnsigned16(float v) {
  if (std::isnan(v)) return kMissingInt;
  if (v <= 0.0f) return 0;
  if (v >= 65535.0f) return 0xFFFF;
  return static_cast<std::uint16_t>(static_cast<unsigned>(v + 0.5f));
}

float FromSigned16(std::uint16_t v) { return static_cast<float>(static_cast<std::int16_t>(v)); }

bool ReadPmuData(wire::Reader& r, const PmuConfig& c, PmuData& d) {
  if (!r.U16(d.stat)) return false;
  for (std::size_t i = 0; i < c.phasor_count; ++i) {
    Phasor& p = d.phasors[i];
    if (c.format.phasor_float) {
      if (!r.F32(p.first) || !r.F32(p.second)) return false;
    } else {
      std::uint16_t a = 0, b = 0;
      if (!r.U16(a) || !r.U16(b)) return false;
      p.first = c.format.polar ? static_cast<float>(a) : FromSigned16(a);
      p.second = FromSigned16(b);
    }
  }
  if (c.format.freq_float) {
    if (!r.F32(d.frequency) || !r.F32(d.rocof)) return false;
  } else {
    std::uint16_t f = 0, df = 0;
    if (!r.U16(f) || !r.U16(df)) return false;
    d.frequency = FromSigned16(f);
    d.rocof = FromSigned16(df);
  }
  for (std::size_t i = 0; i < c.analog_count; ++i) {
    if (c.format.analog_float) {
      if (!r.F32(d.analogs[i])) return false;
    } else {
      std::uint16_t a = 0;
      if (!r.U16(a)) return false;
      d.analogs[i] = FromSigned16(a);
    }
  }
  for (std::size_t i = 0; i < c.digital_count; ++i) {
    if (!r.U16(d.digitals[i])) return false;
  }
  return true;
}

void WritePmuData(wire::Writer& w, const PmuConfig& c, const PmuData& d) {
  w.U16(d.stat);
  for (std::size_t i = 0; i < c.phasor_count; ++i) {
    const Phasor& p = d.phasors[i];
    if (c.format.phasor_float) {
      w.F32(p.first);
      w.F32(p.second);
    } else {
      w.U16(c.format.polar ? ToUnsigned16(p.first) : ToSigned16(p.first));
      w.U16(ToSigned16(p.second));
    }
  }
  if (c.format.freq_float) {
    w.F32(d.frequency);
    w.F32(d.rocof);
  } else {
    w.U16(ToSigned16(d.frequency));
    w.U16(ToSigned16(d.rocof));
  }
  for (std::size_t i = 0; i < c.analog_count; ++i) {
    if (c.format.analog_float) {
      w.F32(d.analogs[i]);
    } else {
      w.U16(ToSigned16(d.analogs[i]));
    }
  }
  for (std::size_t i = 0; i < c.digital_count; ++i) w.U16(d.digitals[i]);
}

}  // namespace

Result<std::size_t> DataFrameSize(const ConfigFrame& config) {
  PMU_TRY(wire::CheckConfigShape(config));
  std::size_t size = kMinFrameSize;
  for (std::size_t i = 0; i < config.pmu_count; ++i) size += PmuDataSize(config.pmus[i]);
  if (size > kMaxFrameSize) return wire::kFrameTooLarge;
  return size;
}

Status DecodeData(const Frame& frame, const ConfigFrame& config, DataFrame& out) {
  if (frame.type != FrameType::kData) return kNotData;
  if (config.type != FrameType::kConfig2 && config.type != FrameType::kConfig3) return kNeedsConfig2Or3;
  PMU_ASSIGN_OR_RETURN(const std::size_t size, DataFrameSize(config));
  if (frame.idcode != config.idcode) return kIdcodeMismatch;
  if (frame.bytes.size() < size) return kDataShort;
  if (frame.bytes.size() > size) return kDataLong;
  if (frame.time.fraction() >= config.time_base) return kFractionRange;
  out = DataFrame{};
  out.version = frame.version;
  out.idcode = frame.idcode;
  out.time = frame.time;
  out.pmu_count = config.pmu_count;
  wire::Reader r(frame.payload());
  for (std::size_t i = 0; i < config.pmu_count; ++i) {
    if (!ReadPmuData(r, config.pmus[i], out.pmus[i])) return kDataShort;
  }
  return Status::Ok();
}

Status DecodeData(ByteSpan bytes, const ConfigFrame& config, DataFrame& out) {
  PMU_ASSIGN_OR_RETURN(const Frame frame, ParseFrame(bytes));
  return DecodeData(frame, config, out);
}

Status SetDataStatBits(MutableByteSpan frame, std::uint16_t bits) {
  const Result<Frame> parsed = ParseFrame(frame);
  if (!parsed.ok()) return parsed.status();
  if (parsed->type != FrameType::kData) return InvalidArgument("not a data frame");
  if (parsed->payload().size() < 2) return DataLoss("data frame shorter than its configuration");
  // STAT is the first field after the common header.
  std::byte* stat = frame.data() + kCommonHeaderSize;
  StoreBe16(stat, static_cast<std::uint16_t>(LoadBe16(stat) | bits));
  const std::size_t body = frame.size() - kCheckSize;
  StoreBe16(frame.data() + body, Crc16Ccitt(frame.first(body)));
  return Status::Ok();
}

Result<std::size_t> EncodeData(const DataFrame& frame, const ConfigFrame& config, MutableByteSpan out) {
  PMU_TRY(wire::CheckConfigShape(config));
  if (frame.idcode != config.idcode) return kIdcodeMismatch;
  if (frame.pmu_count != config.pmu_count) return kPmuCountMismatch;
  if (frame.time.fraction() >= config.time_base) return kFractionRange;
  return wire::EncodeFrame(FrameType::kData, frame.version, frame.idcode, frame.time, out, [&](wire::Writer& w) {
    for (std::size_t i = 0; i < config.pmu_count; ++i) WritePmuData(w, config.pmus[i], frame.pmus[i]);
  });
}

}  // namespace pmu::proto::c37118
