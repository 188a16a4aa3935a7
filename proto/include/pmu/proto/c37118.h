// IEEE C37.118.2 synchrophasor frames (docs/PROTOCOL.md "IEEE C37.118.2 synchrophasor
// stream"): encoders and decoders for data, header, CFG-1, CFG-2, CFG-3 and command
// frames, versions 1 (2005) and 2 (2011). Pure code over byte spans: no I/O, no heap,
// no exceptions; shared by the device (encodes configuration, header and data frames,
// decodes commands) and the PDC (decodes everything, encodes commands).
//
// Every frame is
//   SYNC(2) FRAMESIZE(2) IDCODE(2) SOC(4) FRACSEC(4) payload CHK(2)
// all big-endian. SYNC is 0xAA, then the frame type in bits 6-4 and the version in
// bits 3-0 of the second byte. CHK is CRC-16/CCITT-FALSE over every byte before it.
//
// Decoding is two steps. ParseFrame() checks the framing that every frame shares
// (SYNC, version, type, FRAMESIZE against the bytes given, CHK) and returns a Frame;
// the typed decoders (DecodeCommand, DecodeHeader, DecodeConfig, DecodeData) then read
// the payload. A data frame can be read only with the configuration (CFG-2 or CFG-3)
// that describes it. Over TCP, StreamDecoder (c37118_stream.h) cuts frames out of the
// byte stream; a UDP datagram is one frame for ParseFrame.
//
// Lifetimes: every view in a decoded value (Frame::bytes, names, header text, command
// extended data) points into the bytes that were decoded and is valid only as long as
// they are. Encoders copy what the views point at, so the views in a value that is
// encoded may point anywhere (e.g. into the device's configuration).
//
// Errors are values, each with its own message (the tests check both code and
// message). The codes follow one rule:
//   kInvalidArgument  the bytes are not such a frame: bad SYNC, bad frame type, bytes
//                     beyond FRAMESIZE, a payload longer than its fields, a frame given
//                     to the wrong decoder, a data frame whose IDCODE is not its
//                     configuration's; for encoders, a value that cannot be sent
//   kUnimplemented    a version other than 1 and 2; a fragmented CFG-3 (CONT_IDX != 0)
//   kDataLoss         bad CHK, or fewer bytes than FRAMESIZE or than the fields need
//   kOutOfRange       a well-formed field with a value the standard or this code's
//                     compile-time maxima do not allow (FRAMESIZE below 16, NUM_PMU 0,
//                     PHNMR above kMaxPhasors, reserved bits set, TIME_BASE 0, ...)
//   kResourceExhausted an encoder's output buffer is too small
//
// Reserved bits: fields this code interprets (FORMAT, FNOM, TIME_BASE, PHUNIT's type)
// must have their reserved bits clear, since a future meaning could change how the data
// is read; fields carried as raw words (STAT, FRACSEC's time-quality byte, the CFG-3
// PHSCALE flags and type, ANUNIT's type) keep every bit, so a decoded frame always
// encodes back to the same bytes.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "pmu/base/bytes.h"
#include "pmu/base/result.h"
#include "pmu/base/status.h"

// Compile-time maxima of a configuration (and so of the data frames it describes).
// Frames that exceed them are rejected with kOutOfRange. The defaults fit a
// substation PMU (the device streams one PMU with at most 16 phasors) and a PDC that
// talks to PMUs directly; a build may override them, for the whole program, with
// target_compile_definitions(pmu_proto PUBLIC PMU_C37118_MAX_PMUS=...). Sizes on a
// 64-bit host with the defaults: ConfigFrame about 17 KiB (11.5 KiB on a 32-bit
// target, whose string views are half the size), DataFrame about 1.7 KiB.
#ifndef PMU_C37118_MAX_PMUS
#define PMU_C37118_MAX_PMUS 8  // PMU blocks per frame (NUM_PMU)
#endif
#ifndef PMU_C37118_MAX_PHASORS
#define PMU_C37118_MAX_PHASORS 16  // per PMU (PHNMR)
#endif
#ifndef PMU_C37118_MAX_ANALOGS
#define PMU_C37118_MAX_ANALOGS 16  // per PMU (ANNMR)
#endif
#ifndef PMU_C37118_MAX_DIGITAL_WORDS
#define PMU_C37118_MAX_DIGITAL_WORDS 4  // 16-bit status words per PMU (DGNMR)
#endif

namespace pmu::proto::c37118 {

inline constexpr std::size_t kMaxPmus = PMU_C37118_MAX_PMUS;
inline constexpr std::size_t kMaxPhasors = PMU_C37118_MAX_PHASORS;
inline constexpr std::size_t kMaxAnalogs = PMU_C37118_MAX_ANALOGS;
inline constexpr std::size_t kMaxDigitalWords = PMU_C37118_MAX_DIGITAL_WORDS;
inline constexpr std::size_t kDigitalBitsPerWord = 16;  // one channel name per bit
inline constexpr std::size_t kMaxDigitalNames = kDigitalBitsPerWord * kMaxDigitalWords;
static_assert(kMaxPmus >= 1 && kMaxPmus <= 0xFFFF, "NUM_PMU is a 16-bit count");
static_assert(kMaxPhasors <= 0xFFFF && kMaxAnalogs <= 0xFFFF && kMaxDigitalWords <= 0xFFFF,
              "channel counts are 16-bit");

// Framing.
inline constexpr std::byte kSyncByte{0xAA};
inline constexpr std::size_t kMaxFrameSize = 0xFFFF;   // FRAMESIZE is 16-bit
inline constexpr std::size_t kCommonHeaderSize = 14;   // SYNC to FRACSEC
inline constexpr std::size_t kCheckSize = 2;           // CHK
inline constexpr std::size_t kMinFrameSize = kCommonHeaderSize + kCheckSize;
inline constexpr std::size_t kCommandFrameSize = kMinFrameSize + 2;  // with no extended data
inline constexpr std::size_t kFixedNameSize = 16;  // CFG-1/2 names: 16 bytes, space-padded
inline constexpr std::size_t kMaxNameSize = 255;   // CFG-3 names: a length byte, then the name
inline constexpr std::size_t kGlobalPmuIdSize = 16;
inline constexpr std::uint32_t kMaxFraction = 0xFFFFFF;   // FRACSEC bits 23-0
inline constexpr std::uint32_t kMaxTimeBase = 0xFFFFFF;   // TIME_BASE bits 23-0

enum class FrameType : std::uint8_t {
  kData = 0,
  kHeader = 1,
  kConfig1 = 2,  // what the PMU can send
  kConfig2 = 3,  // what the PMU sends
  kCommand = 4,
  kConfig3 = 5,  // CFG-2 with more detail; version 2 only
};

enum class Version : std::uint8_t {
  k2005 = 1,  // IEEE C37.118-2005
  k2011 = 2,  // IEEE C37.118.2-2011
};
// What encoders emit unless told otherwise. Both versions are always accepted.
inline constexpr Version kDefaultVersion = Version::k2011;

// The time-quality byte, bits 31-24 of FRACSEC.
struct TimeQuality {
  bool reserved = false;              // bit 7, carried as sent
  bool leap_second_delete = false;    // bit 6: the leap second is deleted (0: added)
  bool leap_second_occurred = false;  // bit 5: set in the second after the leap second
  bool leap_second_pending = false;   // bit 4: set before a leap second
  std::uint8_t quality = 0;           // bits 3-0: 0 locked, 1..0xB error up to 1 ns..10 s, 0xF fault

  static TimeQuality FromByte(std::uint8_t byte);
  std::uint8_t ToByte() const;  // quality is masked to 4 bits
  friend bool operator==(const TimeQuality&, const TimeQuality&) = default;
};

// SOC and FRACSEC as they are on the wire.
struct Timestamp {
  std::uint32_t soc = 0;      // seconds since 1970-01-01 00:00 UTC
  std::uint32_t fracsec = 0;  // time-quality byte (bits 31-24) and fraction (bits 23-0)

  // The fraction of the second is fraction() / TIME_BASE (from the configuration).
  std::uint32_t fraction() const { return fracsec & kMaxFraction; }
  TimeQuality quality() const { return TimeQuality::FromByte(static_cast<std::uint8_t>(fracsec >> 24)); }

  // OutOfRange when fraction exceeds 24 bits.
  static Result<Timestamp> Make(std::uint32_t soc, std::uint32_t fraction, TimeQuality quality = {});
  friend bool operator==(const Timestamp&, const Timestamp&) = default;
};

// CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final XOR): CHK.
// Computed with a 32-byte table on microcontrollers and a 512-byte one elsewhere; both
// are here so the host's tests check each.
std::uint16_t Crc16Ccitt(ByteSpan bytes);
std::uint16_t Crc16CcittByteTable(ByteSpan bytes);
std::uint16_t Crc16CcittNibbleTable(ByteSpan bytes);

// ---------------------------------------------------------------------------------
// Framing shared by every frame type.

// A frame whose SYNC, version, type, FRAMESIZE and CHK are checked.
struct Frame {
  FrameType type = FrameType::kData;
  Version version = kDefaultVersion;
  std::uint16_t idcode = 0;  // data stream ID
  Timestamp time;
  ByteSpan bytes;  // the whole frame, SYNC to CHK (a view into the decoded bytes)

  // The bytes between FRACSEC and CHK.
  ByteSpan payload() const {
    if (bytes.size() < kMinFrameSize) return {};
    return bytes.subspan(kCommonHeaderSize, bytes.size() - kMinFrameSize);
  }
};

// Checks `bytes` as exactly one frame. Errors, in the order they are checked:
//   InvalidArgument "bad SYNC: first byte is not 0xAA"
//   InvalidArgument "bad frame type" (SYNC bits 6-4 above 5, or bit 7 set)
//   Unimplemented   "unsupported version" (SYNC bits 3-0 other than 1 and 2)
//   InvalidArgument "CFG-3 frame with version 1"
//   DataLoss        "truncated frame" (fewer bytes than the common header, or than FRAMESIZE)
//   OutOfRange      "FRAMESIZE below 16"
//   InvalidArgument "bytes beyond FRAMESIZE"
//   DataLoss        "bad CRC"
Result<Frame> ParseFrame(ByteSpan bytes);

// The checks ParseFrame makes on the first 4 bytes (SYNC and FRAMESIZE), for stream
// decoders; `prefix` must hold at least 4 bytes. Returns FRAMESIZE.
Result<std::uint16_t> CheckFramePrefix(ByteSpan prefix);

// ---------------------------------------------------------------------------------
// Command frames: PDC to PMU.

enum class CommandCode : std::uint16_t {
  kDataOff = 0x0001,       // turn off transmission of data frames
  kDataOn = 0x0002,        // turn on transmission of data frames
  kSendHeader = 0x0003,
  kSendConfig1 = 0x0004,
  kSendConfig2 = 0x0005,
  kSendConfig3 = 0x0006,   // version 2
  kExtended = 0x0008,      // extended frame: the data follows CMD
  // Other codes are user-designated or reserved; they decode as sent, and the device
  // accepts and ignores them (0x8000 and above often carry extended data).
};

struct CommandFrame {
  Version version = kDefaultVersion;
  std::uint16_t idcode = 0;  // the PMU or stream the command is for
  Timestamp time;            // SOC and FRACSEC 0 are valid
  CommandCode command = CommandCode::kDataOn;
  ByteSpan extended_data;    // EXTFRAME: any bytes after CMD (view)

  // Bytes of the encoded frame.
  std::size_t encoded_size() const { return kCommandFrameSize + extended_data.size(); }
};

// Errors: those of ParseFrame; InvalidArgument "not a command frame";
// DataLoss "command frame without CMD" (FRAMESIZE 16 or 17).
Result<CommandFrame> DecodeCommand(const Frame& frame);
Result<CommandFrame> DecodeCommand(ByteSpan bytes);
// Writes the frame into `out`; returns its length (encoded_size()). Errors:
// InvalidArgument "frame larger than 65535 bytes", "bad version";
// ResourceExhausted "output buffer too small".
Result<std::size_t> EncodeCommand(const CommandFrame& frame, MutableByteSpan out);

// ---------------------------------------------------------------------------------
// Header frames: free text about the PMU.

struct HeaderFrame {
  Version version = kDefaultVersion;
  std::uint16_t idcode = 0;
  Timestamp time;
  std::string_view text;  // as sent: ASCII, no terminator (view)

  std::size_t encoded_size() const { return kMinFrameSize + text.size(); }
};

// Errors: those of ParseFrame; InvalidArgument "not a header frame".
Result<HeaderFrame> DecodeHeader(const Frame& frame);
Result<HeaderFrame> DecodeHeader(ByteSpan bytes);
// Errors as EncodeCommand.
Result<std::size_t> EncodeHeader(const HeaderFrame& frame, MutableByteSpan out);

// ---------------------------------------------------------------------------------
// Configuration frames: CFG-1, CFG-2, CFG-3.

// FORMAT: how the data frames carry each PMU's values.
struct DataFormat {
  bool polar = false;         // bit 0: phasors as magnitude and angle (else real and imaginary)
  bool phasor_float = false;  // bit 1: phasors as 32-bit floats (else 16-bit integers)
  bool analog_float = false;  // bit 2
  bool freq_float = false;    // bit 3: FREQ and DFREQ
  std::uint16_t ToWord() const;
  friend bool operator==(const DataFormat&, const DataFormat&) = default;
};

enum class PhasorKind : std::uint8_t { kVoltage = 0, kCurrent = 1 };

// PHUNIT (CFG-1/2): scale of 16-bit integer phasors, ignored for floats.
struct PhasorUnit {
  PhasorKind kind = PhasorKind::kVoltage;
  std::uint32_t scale = 0;  // 24-bit, in 1e-5 V or A per bit
  friend bool operator==(const PhasorUnit&, const PhasorUnit&) = default;
};

// ANUNIT (CFG-1/2).
struct AnalogUnit {
  std::uint8_t kind = 0;   // 0 single point-on-wave, 1 RMS, 2 peak, 65-255 user-defined
  std::int32_t scale = 0;  // signed 24-bit, user-defined scaling
  friend bool operator==(const AnalogUnit&, const AnalogUnit&) = default;
};

// DIGUNIT (CFG-1/2/3): two masks per digital status word.
struct DigitalUnit {
  std::uint16_t normal_status = 0;  // XOR with the word gives 0 in the normal state
  std::uint16_t valid_inputs = 0;   // bits in use
  friend bool operator==(const DigitalUnit&, const DigitalUnit&) = default;
};

// PHSCALE (CFG-3): primary value = wire value * magnitude_scale, angle + angle_offset.
struct PhasorScale {
  std::uint16_t flags = 0;    // data modification flags (bit 1 upsampled ... bit 15 other)
  std::uint8_t type = 0;      // bit 3: current (else voltage); bits 2-0: 0 zero, 1 positive,
                              // 2 negative sequence, 4/5/6 phase A/B/C
  std::uint8_t user = 0;      // available for user designation
  float magnitude_scale = 1;  // to primary volts or amperes
  float angle_offset = 0;     // radians
  friend bool operator==(const PhasorScale&, const PhasorScale&) = default;
};

// ANSCALE (CFG-3): value = wire value * scale + offset.
struct AnalogScale {
  float scale = 1;
  float offset = 0;
  friend bool operator==(const AnalogScale&, const AnalogScale&) = default;
};

enum class NominalFrequency : std::uint8_t { k60Hz = 0, k50Hz = 1 };  // FNOM bit 0

// One PMU block of a configuration frame. Names are views: as sent for CFG-1/2 (16
// bytes with their padding; see TrimName) and CFG-3 (0 to 255 bytes). Entries beyond
// the counts are left at their defaults.
struct PmuConfig {
  std::string_view station_name;
  std::uint16_t idcode = 0;  // this PMU's ID
  DataFormat format;
  std::uint16_t phasor_count = 0;   // PHNMR, at most kMaxPhasors
  std::uint16_t analog_count = 0;   // ANNMR, at most kMaxAnalogs
  std::uint16_t digital_count = 0;  // DGNMR (status words), at most kMaxDigitalWords
  std::array<std::string_view, kMaxPhasors> phasor_names{};
  std::array<std::string_view, kMaxAnalogs> analog_names{};
  // 16 per status word, bit 0 of the first word first.
  std::array<std::string_view, kMaxDigitalNames> digital_names{};
  std::array<PhasorUnit, kMaxPhasors> phasor_units{};     // CFG-1/2
  std::array<AnalogUnit, kMaxAnalogs> analog_units{};     // CFG-1/2
  std::array<PhasorScale, kMaxPhasors> phasor_scales{};   // CFG-3
  std::array<AnalogScale, kMaxAnalogs> analog_scales{};   // CFG-3
  std::array<DigitalUnit, kMaxDigitalWords> digital_units{};
  NominalFrequency nominal_frequency = NominalFrequency::k60Hz;
  std::uint16_t config_count = 0;  // CFGCNT: changes of configuration
  // CFG-3 only.
  std::array<std::byte, kGlobalPmuIdSize> global_id{};  // G_PMU_ID
  float latitude = 0;   // degrees, WGS 84; infinity when unknown
  float longitude = 0;
  float elevation = 0;  // metres
  char service_class = 'M';  // 'M' or 'P' (IEEE C37.118.1)
  std::int32_t window_us = 0;       // measurement window
  std::int32_t group_delay_us = 0;  // measurement group delay

  friend bool operator==(const PmuConfig&, const PmuConfig&) = default;
};

struct ConfigFrame {
  FrameType type = FrameType::kConfig2;  // kConfig1, kConfig2 or kConfig3
  Version version = kDefaultVersion;     // CFG-3 is always encoded as version 2
  std::uint16_t idcode = 0;              // data stream ID
  Timestamp time;
  std::uint32_t time_base = 1'000'000;   // FRACSEC counts per second, 1 to 0xFFFFFF
  std::uint16_t pmu_count = 0;           // NUM_PMU, 1 to kMaxPmus
  std::array<PmuConfig, kMaxPmus> pmus{};
  std::int16_t data_rate = 0;  // frames per second (> 0) or seconds per frame (< 0)

  friend bool operator==(const ConfigFrame&, const ConfigFrame&) = default;
};

// Largest CFG-1/2 frame within the compile-time maxima (CFG-3 frames, with names of
// up to 255 bytes, are bounded only by kMaxFrameSize).
inline constexpr std::size_t kMaxConfig12FrameSize = [] {
  const std::size_t per_pmu = kFixedNameSize + 2 + 2 + 6 +
                              kFixedNameSize * (kMaxPhasors + kMaxAnalogs + kMaxDigitalNames) +
                              4 * (kMaxPhasors + kMaxAnalogs + kMaxDigitalWords) + 2 + 2;
  const std::size_t size = kMinFrameSize + 4 + 2 + kMaxPmus * per_pmu + 2;
  return size < kMaxFrameSize ? size : kMaxFrameSize;
}();

// Reads a CFG-1, CFG-2 or CFG-3 frame into `out` (large: an out-parameter rather than
// a Result spares a copy on small stacks). On error `out` is unspecified. Errors:
// those of ParseFrame, and
//   InvalidArgument "not a configuration frame"
//   Unimplemented   "fragmented CFG-3 (CONT_IDX not 0)"
//   DataLoss        "configuration frame shorter than its fields"
//   InvalidArgument "configuration frame longer than its fields"
//   OutOfRange      "TIME_BASE is 0", "TIME_BASE reserved bits set",
//                   "FRACSEC fraction not below TIME_BASE", "NUM_PMU is 0",
//                   "NUM_PMU above kMaxPmus", "PHNMR above kMaxPhasors",
//                   "ANNMR above kMaxAnalogs", "DGNMR above kMaxDigitalWords",
//                   "FORMAT reserved bits set", "PHUNIT type is not voltage or current",
//                   "FNOM reserved bits set"
Status DecodeConfig(const Frame& frame, ConfigFrame& out);
Status DecodeConfig(ByteSpan bytes, ConfigFrame& out);

// Size of the encoded frame, or the error EncodeConfig would return for `config`
// (anything but a too-small buffer).
Result<std::size_t> EncodedConfigSize(const ConfigFrame& config);
// Writes `config` as the frame its `type` names; returns the length. Names shorter
// than 16 bytes are padded with spaces in CFG-1/2; CFG-3 frames are not fragmented
// (CONT_IDX 0). Errors: the range errors DecodeConfig gives for the same fields
// (OutOfRange, same messages: "NUM_PMU is 0", "FNOM reserved bits set", ...), and
//   InvalidArgument "not a configuration frame" (type), "bad version",
//                   "name longer than 16 bytes" (CFG-1/2), "name longer than 255 bytes"
//                   (CFG-3), "PHUNIT scale above 24 bits", "ANUNIT scale outside 24 bits",
//                   "frame larger than 65535 bytes"
//   ResourceExhausted "output buffer too small" (nothing is written past `out`).
Result<std::size_t> EncodeConfig(const ConfigFrame& config, MutableByteSpan out);

// Removes the space and NUL padding at the end of a CFG-1/2 name.
std::string_view TrimName(std::string_view name);

// ---------------------------------------------------------------------------------
// Data frames.

// A phasor as its configuration's FORMAT carries it: (real, imaginary) or (magnitude,
// angle). Integer formats hold the 16-bit value exactly (magnitude unsigned, angle in
// 1e-4 rad); float formats hold the float as sent (engineering units, angle in rad).
// Missing data is 0x8000 (-32768, or 32768 for a magnitude) in integer formats and NaN
// in float formats; an encoder sends NaN as 0x8000 in integer formats, and rounds and
// saturates other values.
struct Phasor {
  float first = 0;   // real part or magnitude
  float second = 0;  // imaginary part or angle
  friend bool operator==(const Phasor&, const Phasor&) = default;
};

// STAT word bits (2011 meanings; 2005 frames use bits 15-13, 11, 10, 5-0 alike).
inline constexpr std::uint16_t kStatDataErrorMask = 0xC000;   // 0 good, 1 PMU error, 2 test, 3 invalid
inline constexpr std::uint16_t kStatPmuSyncLost = 0x2000;
inline constexpr std::uint16_t kStatSortByArrival = 0x1000;
inline constexpr std::uint16_t kStatTrigger = 0x0800;
inline constexpr std::uint16_t kStatConfigChange = 0x0400;
inline constexpr std::uint16_t kStatDataModified = 0x0200;
inline constexpr std::uint16_t kStatTimeQualityMask = 0x01C0; // PMU time quality, bits 8-6
inline constexpr std::uint16_t kStatUnlockedMask = 0x0030;    // time since sync lost, bits 5-4
inline constexpr std::uint16_t kStatTriggerReasonMask = 0x000F;

struct PmuData {
  std::uint16_t stat = 0;  // STAT, as sent
  std::array<Phasor, kMaxPhasors> phasors{};
  // FREQ: integer: deviation from nominal in mHz; float: frequency in Hz.
  float frequency = 0;
  // DFREQ: integer: ROCOF * 100 in Hz/s; float: ROCOF in Hz/s.
  float rocof = 0;
  std::array<float, kMaxAnalogs> analogs{};  // integer formats hold the 16-bit value
  std::array<std::uint16_t, kMaxDigitalWords> digitals{};
  friend bool operator==(const PmuData&, const PmuData&) = default;
};

struct DataFrame {
  Version version = kDefaultVersion;
  std::uint16_t idcode = 0;  // must be the configuration's
  Timestamp time;            // fraction below the configuration's TIME_BASE
  std::uint16_t pmu_count = 0;  // the configuration's NUM_PMU
  std::array<PmuData, kMaxPmus> pmus{};  // counts of each as in the configuration
  friend bool operator==(const DataFrame&, const DataFrame&) = default;
};

// Largest data frame within the compile-time maxima.
inline constexpr std::size_t kMaxDataFrameSize = [] {
  const std::size_t per_pmu = 2 + 8 * kMaxPhasors + 8 + 4 * kMaxAnalogs + 2 * kMaxDigitalWords;
  const std::size_t size = kMinFrameSize + kMaxPmus * per_pmu;
  return size < kMaxFrameSize ? size : kMaxFrameSize;
}();

// Size of the data frames `config` describes, or why it cannot describe any
// (the configuration errors of DecodeData).
Result<std::size_t> DataFrameSize(const ConfigFrame& config);

// Reads a data frame with the configuration that describes it. On error `out` is
// unspecified. Errors: those of ParseFrame, and
//   InvalidArgument "not a data frame"
//   InvalidArgument "data frames need a CFG-2 or CFG-3 configuration"
//   InvalidArgument "IDCODE differs from the configuration's"
//   DataLoss        "data frame shorter than its configuration"
//   InvalidArgument "data frame longer than its configuration"
//   OutOfRange      "FRACSEC fraction not below TIME_BASE"
//   and, for a configuration that was not decoded, the range errors of DecodeConfig.
Status DecodeData(const Frame& frame, const ConfigFrame& config, DataFrame& out);
Status DecodeData(ByteSpan bytes, const ConfigFrame& config, DataFrame& out);

// Writes `frame` in the layout `config` gives. The layout depends only on the counts
// and FORMATs, so any configuration type will do (the device may hold its own as any
// of CFG-1, 2 or 3). Errors:
// InvalidArgument "bad version", "IDCODE differs from the configuration's",
// "NUM_PMU differs from the configuration's", the configuration errors of DecodeData,
// "FRACSEC fraction not below TIME_BASE"; ResourceExhausted "output buffer too small".
Result<std::size_t> EncodeData(const DataFrame& frame, const ConfigFrame& config, MutableByteSpan out);

// Sets bits of the first PMU's STAT in an encoded data frame and recomputes its CHK,
// without decoding it: the device sets the configuration-changed bit (kStatConfigChange)
// per PDC on a frame it encoded once for all. Errors: those of ParseFrame (the frame
// must be whole and its CHK right), InvalidArgument "not a data frame".
Status SetDataStatBits(MutableByteSpan frame, std::uint16_t bits);

// ---------------------------------------------------------------------------------
// Engineering values of a data frame, for the PDC.

struct PolarValue {
  double magnitude = 0;  // primary volts or amperes
  double angle = 0;      // radians
};

// Phasor `index` of PMU `pmu` scaled with PHUNIT (CFG-1/2, integer formats) or
// PHSCALE (CFG-3, either format). OutOfRange when `pmu` or `index` is beyond the
// configuration.
Result<PolarValue> ScalePhasor(const ConfigFrame& config, std::size_t pmu, std::size_t index,
                               const Phasor& value);
// Analog `index` of PMU `pmu` in engineering units. CFG-3: value * ANSCALE's scale +
// offset, in either format, as PHSCALE (the standard asks a PMU whose float phasors
// need no scaling to send PHSCALE 1 and 0, so CFG-3's factors apply to floats too).
// CFG-1/2: a 16-bit integer times ANUNIT's signed 24-bit factor, or the integer as
// sent when that factor is 0 (no factor given); floats as sent, as PHUNIT is ignored
// for floats. OutOfRange when `pmu` or `index` is beyond the configuration.
Result<double> ScaleAnalog(const ConfigFrame& config, std::size_t pmu, std::size_t index, float value);
// Fills in the factors of the configuration form a PMU block was not decoded from, so
// that it encodes as CFG-1/2 and as CFG-3 with the same engineering values (a
// concentrator serves either, whichever it read). From CFG-1/2: PHSCALE = PHUNIT's
// 1e-5 V or A per bit for integer phasors, else 1, with PHUNIT's voltage or current
// (the component is not known: 0); ANSCALE = ANUNIT's factor for integer analogs,
// else 1, offset 0. From CFG-3: PHUNIT and ANUNIT from the scales, rounded; the kind
// of each analog is not known (0). False when CFG-1/2 cannot say the same: an angle or
// analog offset, a scale off PHUNIT's or ANUNIT's grid or range, or a float channel
// with a scale other than 1 (CFG-1/2 apply no factor to floats).
bool CompleteScales(PmuConfig& pmu, FrameType decoded_from);
// FREQ in Hz and DFREQ in Hz/s of PMU `pmu`. OutOfRange when `pmu` is beyond it.
Result<double> FrequencyHz(const ConfigFrame& config, std::size_t pmu, const PmuData& data);
Result<double> RocofHzPerSecond(const ConfigFrame& config, std::size_t pmu, const PmuData& data);

}  // namespace pmu::proto::c37118
