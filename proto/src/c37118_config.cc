// C37.118.2 configuration frames: CFG-1 and CFG-2 (fixed 16-byte names, PHUNIT and
// ANUNIT) and CFG-3 (length-prefixed names, PHSCALE, ANSCALE, location and window).
#include "c37118_wire.h"
#include "pmu/proto/c37118.h"

namespace pmu::proto::c37118 {
namespace {

constexpr Status kNotConfig = InvalidArgument("not a configuration frame");
constexpr Status kFragmented = Status(StatusCode::kUnimplemented, "fragmented CFG-3 (CONT_IDX not 0)");
constexpr Status kConfigShort = DataLoss("configuration frame shorter than its fields");
constexpr Status kConfigLong = InvalidArgument("configuration frame longer than its fields");
constexpr Status kTimeBaseZero = OutOfRange("TIME_BASE is 0");
constexpr Status kTimeBaseReserved = OutOfRange("TIME_BASE reserved bits set");
constexpr Status kFractionRange = OutOfRange("FRACSEC fraction not below TIME_BASE");
constexpr Status kNoPmus = OutOfRange("NUM_PMU is 0");
constexpr Status kTooManyPmus = OutOfRange("NUM_PMU above kMaxPmus");
constexpr Status kTooManyPhasors = OutOfRange("PHNMR above kMaxPhasors");
constexpr Status kTooManyAnalogs = OutOfRange("ANNMR above kMaxAnalogs");
constexpr Status kTooManyDigitals = OutOfRange("DGNMR above kMaxDigitalWords");
constexpr Status kFormatReserved = OutOfRange("FORMAT reserved bits set");
constexpr Status kBadPhasorKind = OutOfRange("PHUNIT type is not voltage or current");
constexpr Status kFnomReserved = OutOfRange("FNOM reserved bits set");
constexpr Status kFixedNameTooLong = InvalidArgument("name longer than 16 bytes");
constexpr Status kNameTooLong = InvalidArgument("name longer than 255 bytes");
constexpr Status kPhasorScaleTooLarge = InvalidArgument("PHUNIT scale above 24 bits");
constexpr Status kAnalogScaleRange = InvalidArgument("ANUNIT scale outside 24 bits");

constexpr std::uint16_t kFormatMask = 0x000F;
constexpr std::uint16_t kFnomMask = 0x0001;
constexpr std::int32_t kMinAnalogScale = -0x800000;
constexpr std::int32_t kMaxAnalogScale = 0x7FFFFF;

bool IsConfigType(FrameType t) {
  return t == FrameType::kConfig1 || t == FrameType::kConfig2 || t == FrameType::kConfig3;
}

Status CheckTimeBase(std::uint32_t time_base) {
  if (time_base > kMaxTimeBase) return kTimeBaseReserved;
  if (time_base == 0) return kTimeBaseZero;
  return Status::Ok();
}

Status CheckPmuCount(std::size_t n) {
  if (n == 0) return kNoPmus;
  if (n > kMaxPmus) return kTooManyPmus;
  return Status::Ok();
}

Status CheckChannelCounts(std::size_t phasors, std::size_t analogs, std::size_t digitals) {
  if (phasors > kMaxPhasors) return kTooManyPhasors;
  if (analogs > kMaxAnalogs) return kTooManyAnalogs;
  if (digitals > kMaxDigitalWords) return kTooManyDigitals;
  return Status::Ok();
}

DataFormat FormatFromWord(std::uint16_t word) {
  DataFormat f;
  f.polar = (word & 0x1) != 0;
  f.phasor_float = (word & 0x2) != 0;
  f.analog_float = (word & 0x4) != 0;
  f.freq_float = (word & 0x8) != 0;
  return f;
}

// ---- Reading

// Reads the fields common to every PMU block up to the channel names.
Status ReadCounts(wire::Reader& r, PmuConfig& p) {
  std::uint16_t format = 0;
  if (!r.U16(format) || !r.U16(p.phasor_count) || !r.U16(p.analog_count) || !r.U16(p.digital_count)) {
    return kConfigShort;
  }
  if ((format & ~kFormatMask) != 0) return kFormatReserved;
  p.format = FormatFromWord(format);
  return CheckChannelCounts(p.phasor_count, p.analog_count, p.digital_count);
}

// Reads every channel name with `read_name(std::string_view&)`.
template <typename ReadName>
Status ReadChannelNames(PmuConfig& p, ReadName&& read_name) {
  for (std::size_t i = 0; i < p.phasor_count; ++i) {
    if (!read_name(p.phasor_names[i])) return kConfigShort;
  }
  for (std::size_t i = 0; i < p.analog_count; ++i) {
    if (!read_name(p.analog_names[i])) return kConfigShort;
  }
  for (std::size_t i = 0; i < kDigitalBitsPerWord * p.digital_count; ++i) {
    if (!read_name(p.digital_names[i])) return kConfigShort;
  }
  return Status::Ok();
}

Status ReadDigitalUnits(wire::Reader& r, PmuConfig& p) {
  for (std::size_t i = 0; i < p.digital_count; ++i) {
    if (!r.U16(p.digital_units[i].normal_status) || !r.U16(p.digital_units[i].valid_inputs)) return kConfigShort;
  }
  return Status::Ok();
}

Status ReadFnomAndCount(wire::Reader& r, PmuConfig& p) {
  std::uint16_t fnom = 0;
  if (!r.U16(fnom) || !r.U16(p.config_count)) return kConfigShort;
  if ((fnom & ~kFnomMask) != 0) return kFnomReserved;
  p.nominal_frequency = (fnom & 1) ? NominalFrequency::k50Hz : NominalFrequency::k60Hz;
  return Status::Ok();
}

Status ReadPmu12(wire::Reader& r, PmuConfig& p) {
  if (!r.Text(kFixedNameSize, p.station_name) || !r.U16(p.idcode)) return kConfigShort;
  PMU_TRY(ReadCounts(r, p));
  PMU_TRY(ReadChannelNames(p, [&](std::string_view& name) { return r.Text(kFixedNameSize, name); }));
  for (std::size_t i = 0; i < p.phasor_count; ++i) {
    std::uint32_t unit = 0;
    if (!r.U32(unit)) return kConfigShort;
    const std::uint32_t kind = unit >> 24;
    if (kind > static_cast<std::uint32_t>(PhasorKind::kCurrent)) return kBadPhasorKind;
    p.phasor_units[i] = {static_cast<PhasorKind>(kind), unit & 0xFFFFFF};
  }
  for (std::size_t i = 0; i < p.analog_count; ++i) {
    std::uint32_t unit = 0;
    if (!r.U32(unit)) return kConfigShort;
    // Sign-extends the 24-bit scale.
    const std::int32_t scale = static_cast<std::int32_t>((unit & 0xFFFFFF) ^ 0x800000) - 0x800000;
    p.analog_units[i] = {static_cast<std::uint8_t>(unit >> 24), scale};
  }
  PMU_TRY(ReadDigitalUnits(r, p));
  return ReadFnomAndCount(r, p);
}

bool ReadName3(wire::Reader& r, std::string_view& name) {
  std::uint8_t length = 0;
  return r.U8(length) && r.Text(length, name);
}

Status ReadPmu3(wire::Reader& r, PmuConfig& p) {
  ByteSpan global_id;
  if (!ReadName3(r, p.station_name) || !r.U16(p.idcode) || !r.Bytes(kGlobalPmuIdSize, global_id)) {
    return kConfigShort;
  }
  for (std::size_t i = 0; i < kGlobalPmuIdSize; ++i) p.global_id[i] = global_id[i];
  PMU_TRY(ReadCounts(r, p));
  PMU_TRY(ReadChannelNames(p, [&](std::string_view& name) { return ReadName3(r, name); }));
  for (std::size_t i = 0; i < p.phasor_count; ++i) {
    PhasorScale& s = p.phasor_scales[i];
    if (!r.U16(s.flags) || !r.U8(s.type) || !r.U8(s.user) || !r.F32(s.magnitude_scale) ||
        !r.F32(s.angle_offset)) {
      return kConfigShort;
    }
  }
  for (std::size_t i = 0; i < p.analog_count; ++i) {
    if (!r.F32(p.analog_scales[i].scale) || !r.F32(p.analog_scales[i].offset)) return kConfigShort;
  }
  PMU_TRY(ReadDigitalUnits(r, p));
  std::uint8_t service_class = 0;
  if (!r.F32(p.latitude) || !r.F32(p.longitude) || !r.F32(p.elevation) || !r.U8(service_class) ||
      !r.I32(p.window_us) || !r.I32(p.group_delay_us)) {
    return kConfigShort;
  }
  p.service_class = static_cast<char>(service_class);
  return ReadFnomAndCount(r, p);
}

// ---- Writing

Status CheckName(std::string_view name, bool cfg3) {
  if (cfg3) return name.size() > kMaxNameSize ? kNameTooLong : Status::Ok();
  return name.size() > kFixedNameSize ? kFixedNameTooLong : Status::Ok();
}

Status CheckPmuForEncode(const PmuConfig& p, bool cfg3) {
  PMU_TRY(CheckChannelCounts(p.phasor_count, p.analog_count, p.digital_count));
  PMU_TRY(CheckName(p.station_name, cfg3));
  for (std::size_t i = 0; i < p.phasor_count; ++i) PMU_TRY(CheckName(p.phasor_names[i], cfg3));
  for (std::size_t i = 0; i < p.analog_count; ++i) PMU_TRY(CheckName(p.analog_names[i], cfg3));
  for (std::size_t i = 0; i < kDigitalBitsPerWord * p.digital_count; ++i) {
    PMU_TRY(CheckName(p.digital_names[i], cfg3));
  }
  if (!cfg3) {
    for (std::size_t i = 0; i < p.phasor_count; ++i) {
      const PhasorUnit& u = p.phasor_units[i];
      if (u.kind != PhasorKind::kVoltage && u.kind != PhasorKind::kCurrent) return kBadPhasorKind;
      if (u.scale > 0xFFFFFF) return kPhasorScaleTooLarge;
    }
    for (std::size_t i = 0; i < p.analog_count; ++i) {
      const std::int32_t scale = p.analog_units[i].scale;
      if (scale < kMinAnalogScale || scale > kMaxAnalogScale) return kAnalogScaleRange;
    }
  }
  if (p.nominal_frequency != NominalFrequency::k60Hz && p.nominal_frequency != NominalFrequency::k50Hz) {
    return kFnomReserved;
  }
  return Status::Ok();
}

void WriteFixedName(wire::Writer& w, std::string_view name) {
  w.Text(name);
  w.Fill(kFixedNameSize - name.size(), std::byte{' '});
}

void WriteName3(wire::Writer& w, std::string_view name) {
  w.U8(static_cast<std::uint8_t>(name.size()));
  w.Text(name);
}

template <typename WriteName>
void WriteCountsAndNames(wire::Writer& w, const PmuConfig& p, WriteName&& write_name) {
  w.U16(p.format.ToWord());
  w.U16(p.phasor_count);
  w.U16(p.analog_count);
  w.U16(p.digital_count);
  for (std::size_t i = 0; i < p.phasor_count; ++i) write_name(p.phasor_names[i]);
  for (std::size_t i = 0; i < p.analog_count; ++i) write_name(p.analog_names[i]);
  for (std::size_t i = 0; i < kDigitalBitsPerWord * p.digital_count; ++i) write_name(p.digital_names[i]);
}

void WriteDigitalUnitsFnomCount(wire::Writer& w, const PmuConfig& p, bool cfg3) {
  for (std::size_t i = 0; i < p.digital_count; ++i) {
    w.U16(p.digital_units[i].normal_status);
    w.U16(p.digital_units[i].valid_inputs);
  }
  if (cfg3) {
    w.F32(p.latitude);
    w.F32(p.longitude);
    w.F32(p.elevation);
    w.U8(static_cast<std::uint8_t>(p.service_class));
    w.I32(p.window_us);
    w.I32(p.group_delay_us);
  }
  w.U16(static_cast<std::uint16_t>(p.nominal_frequency));
  w.U16(p.config_count);
}

void WritePmu12(wire::Writer& w, const PmuConfig& p) {
  WriteFixedName(w, p.station_name);
  w.U16(p.idcode);
  WriteCountsAndNames(w, p, [&](std::string_view name) { WriteFixedName(w, name); });
  for (std::size_t i = 0; i < p.phasor_count; ++i) {
    w.U32((static_cast<std::uint32_t>(p.phasor_units[i].kind) << 24) | p.phasor_units[i].scale);
  }
  for (std::size_t i = 0; i < p.analog_count; ++i) {
    w.U32((std::uint32_t{p.analog_units[i].kind} << 24) |
          (static_cast<std::uint32_t>(p.analog_units[i].scale) & 0xFFFFFF));
  }
  WriteDigitalUnitsFnomCount(w, p, false);
}

void WritePmu3(wire::Writer& w, const PmuConfig& p) {
  WriteName3(w, p.station_name);
  w.U16(p.idcode);
  w.Bytes(p.global_id);
  WriteCountsAndNames(w, p, [&](std::string_view name) { WriteName3(w, name); });
  for (std::size_t i = 0; i < p.phasor_count; ++i) {
    const PhasorScale& s = p.phasor_scales[i];
    w.U16(s.flags);
    w.U8(s.type);
    w.U8(s.user);
    w.F32(s.magnitude_scale);
    w.F32(s.angle_offset);
  }
  for (std::size_t i = 0; i < p.analog_count; ++i) {
    w.F32(p.analog_scales[i].scale);
    w.F32(p.analog_scales[i].offset);
  }
  WriteDigitalUnitsFnomCount(w, p, true);
}

Status CheckConfigForEncode(const ConfigFrame& config) {
  PMU_TRY(wire::CheckConfigShape(config));
  if (config.type != FrameType::kConfig3 && !wire::IsValidVersion(config.version)) {
    return wire::kBadVersionArgument;
  }
  if (config.time.fraction() >= config.time_base) return kFractionRange;
  const bool cfg3 = config.type == FrameType::kConfig3;
  for (std::size_t i = 0; i < config.pmu_count; ++i) PMU_TRY(CheckPmuForEncode(config.pmus[i], cfg3));
  return Status::Ok();
}

void WriteConfigPayload(wire::Writer& w, const ConfigFrame& config) {
  const bool cfg3 = config.type == FrameType::kConfig3;
  if (cfg3) w.U16(0);  // CONT_IDX: not fragmented
  w.U32(config.time_base);
  w.U16(config.pmu_count);
  for (std::size_t i = 0; i < config.pmu_count; ++i) {
    if (cfg3) {
      WritePmu3(w, config.pmus[i]);
    } else {
      WritePmu12(w, config.pmus[i]);
    }
  }
  w.I16(config.data_rate);
}

}  // namespace

std::uint16_t DataFormat::ToWord() const {
  return static_cast<std::uint16_t>((polar ? 0x1 : 0) | (phasor_float ? 0x2 : 0) | (analog_float ? 0x4 : 0) |
                                    (freq_float ? 0x8 : 0));
}

std::string_view TrimName(std::string_view name) {
  while (!name.empty() && (name.back() == ' ' || name.back() == '\0')) name.remove_suffix(1);
  return name;
}

namespace wire {

Status CheckConfigShape(const ConfigFrame& config) {
  if (!IsConfigType(config.type)) return kNotConfig;
  PMU_TRY(CheckTimeBase(config.time_base));
  PMU_TRY(CheckPmuCount(config.pmu_count));
  for (std::size_t i = 0; i < config.pmu_count; ++i) {
    const PmuConfig& p = config.pmus[i];
    PMU_TRY(CheckChannelCounts(p.phasor_count, p.analog_count, p.digital_count));
  }
  return Status::Ok();
}

}  // namespace wire

Status DecodeConfig(const Frame& frame, ConfigFrame& out) {
  if (!IsConfigType(frame.type)) return kNotConfig;
  out = ConfigFrame{};
  out.type = frame.type;
  out.version = frame.version;
  out.idcode = frame.idcode;
  out.time = frame.time;
  const bool cfg3 = frame.type == FrameType::kConfig3;
  wire::Reader r(frame.payload());
  if (cfg3) {
    std::uint16_t cont_idx = 0;
    if (!r.U16(cont_idx)) return kConfigShort;
    if (cont_idx != 0) return kFragmented;
  }
  if (!r.U32(out.time_base) || !r.U16(out.pmu_count)) return kConfigShort;
  PMU_TRY(CheckTimeBase(out.time_base));
  if (out.time.fraction() >= out.time_base) return kFractionRange;
  PMU_TRY(CheckPmuCount(out.pmu_count));
  for (std::size_t i = 0; i < out.pmu_count; ++i) {
    PMU_TRY(cfg3 ? ReadPmu3(r, out.pmus[i]) : ReadPmu12(r, out.pmus[i]));
  }
  if (!r.I16(out.data_rate)) return kConfigShort;
  if (r.remaining() != 0) return kConfigLong;
  return Status::Ok();
}

Status DecodeConfig(ByteSpan bytes, ConfigFrame& out) {
  PMU_ASSIGN_OR_RETURN(const Frame frame, ParseFrame(bytes));
  return DecodeConfig(frame, out);
}

Result<std::size_t> EncodedConfigSize(const ConfigFrame& config) {
  PMU_TRY(CheckConfigForEncode(config));
  return wire::SizeFrame([&](wire::Writer& w) { WriteConfigPayload(w, config); });
}

Result<std::size_t> EncodeConfig(const ConfigFrame& config, MutableByteSpan out) {
  PMU_TRY(CheckConfigForEncode(config));
  // CFG-3 exists only in version 2.
  const Version version = config.type == FrameType::kConfig3 ? Version::k2011 : config.version;
  return wire::EncodeFrame(config.type, version, config.idcode, config.time, out,
                           [&](wire::Writer& w) { WriteConfigPayload(w, config); });
}

}  // namespace pmu::proto::c37118
