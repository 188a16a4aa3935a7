// IEEE C37.111 COMTRADE records (revisions 1991, 1999 and 2013): the configuration
// (.cfg) parser and writer, the data (.dat) record decoders and encoders in the four
// formats (ASCII, BINARY, BINARY32, FLOAT32), and the section headers of the 2013
// single-file form (.cff). Pure code: no I/O, no heap, no exceptions; shared by the
// device's playback front end and the PDC, which writes what it receives.
//
// Streaming on purpose: the configuration is fed one line at a time (ConfigParser) and
// the data one record at a time (DecodeAsciiRecord, DecodeBinaryRecord), over the
// caller's buffers, so a board can read a record straight out of a storage area with a
// small line buffer. Nothing here keeps a view into the caller's text after a call
// returns (names are copied, truncated to their FixedString capacity).
//
// Errors name where: the 1-based line of the .cfg (or record of the .dat), the field
// by the standard's name ("a", "nrates", "endsamp", "timestamp" ...), the analog
// channel when one is concerned, and the reason. Describe() makes one line of it.
//
// What the parser accepts beyond the letter of the standard, because real recorders
// write it: fields padded with spaces; lower-case "p"/"s" and format names; CR LF, LF
// or CR line ends; a 1999/2013 file that stops after timemult (the 2013 time-code and
// time-quality lines are optional here); blank lines after the last one. It refuses
// everything else with an error.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <type_traits>

#include "pmu/base/bytes.h"
#include "pmu/base/fixed_string.h"
#include "pmu/base/result.h"
#include "pmu/base/status.h"

// The most analog channels a configuration may have. The default fits the PDC, which
// writes one record for every channel of up to 8 PMUs; a board lowers it with a compile
// definition its target carries (targets/mps2-an385/CMakeLists.txt).
#ifndef PMU_COMTRADE_MAX_ANALOG
#define PMU_COMTRADE_MAX_ANALOG 256
#endif

namespace pmu::proto::comtrade {

inline constexpr std::size_t kMaxAnalog = PMU_COMTRADE_MAX_ANALOG;
inline constexpr std::size_t kMaxDigital = 65535;
inline constexpr std::size_t kMaxRates = 16;

enum class Revision : std::uint8_t { k1991, k1999, k2013 };
enum class Format : std::uint8_t { kAscii, kBinary, kBinary32, kFloat32 };

const char* RevisionName(Revision r);  // "1991", "1999", "2013"
const char* FormatName(Format f);      // "ASCII", "BINARY", "BINARY32", "FLOAT32"

// Where a record is wrong and why. `line` is the 1-based .cfg line (or .dat record);
// `field` the standard's name of the field; `channel` the 1-based analog channel (0:
// none). All strings are static.
struct Error {
  std::uint32_t line = 0;
  const char* field = nullptr;
  std::uint32_t channel = 0;
  const char* reason = nullptr;
  bool ok() const { return reason == nullptr; }
};

// "cfg line 5, field a (analog channel 3): must be a number"; `what` is "cfg", "dat"
// or "cff" (the unit of `line`: a line, or for binary data a record).
FixedString<200> Describe(const Error& e, const char* what);

struct AnalogChannel {
  std::uint32_t index = 0;   // An
  FixedString<64> id;        // ch_id (trimmed; longer names are cut)
  FixedString<4> phase;      // ph
  FixedString<16> units;     // uu
  double a = 1;              // value = a * raw + b
  double b = 0;
  double skew_us = 0;
  double min = 0;            // raw range
  double max = 0;
  double primary = 1;        // transformer ratio primary:secondary
  double secondary = 1;
  bool primary_values = true;  // PS: the values are primary (P) or secondary (S)

  // The raw value as a primary quantity: a * raw + b, times primary/secondary when
  // the values are secondary (a ratio that is not positive counts as 1).
  double Primary(double raw) const;
};

// One sampling rate and the number of the last sample taken at it.
struct RateSegment {
  double rate = 0;  // samples per second
  std::uint64_t end_sample = 0;
};

// A date and time as the record gives it (dd/mm/yyyy,hh:mm:ss.ssssss; mm/dd/yy in
// 1991), with the number of fraction digits it had (6 or 9 in practice).
struct Stamp {
  std::int32_t year = 1970;
  std::uint8_t month = 1, day = 1, hour = 0, minute = 0, second = 0;
  std::uint32_t nanosecond = 0;
  std::uint8_t fraction_digits = 6;
  std::int64_t UnixNs() const;  // as if the record's time were UTC
};

struct Config {
  FixedString<64> station;
  FixedString<64> device;
  Revision revision = Revision::k1999;
  std::uint32_t analog_count = 0;
  std::uint32_t digital_count = 0;
  std::array<AnalogChannel, kMaxAnalog> analog{};
  double line_hz = 60;
  // nrates as in the file; 0 means the time stamps give the timing (one segment with
  // rate 0 then says how many samples there are).
  std::uint32_t rate_count = 1;
  std::array<RateSegment, kMaxRates> rates{};
  Stamp first;    // the first sample
  Stamp trigger;  // the trigger point
  Format format = Format::kAscii;
  double timemult = 1;
  // 2013 only (empty / 0 otherwise): time_code, local_code, tmq_code, leapsec.
  FixedString<8> time_code;
  FixedString<8> local_code;
  FixedString<2> time_quality;
  std::uint8_t leap_second = 0;

  std::uint64_t sample_count() const;
  std::size_t segment_count() const { return rate_count == 0 ? 1 : rate_count; }
  // Nanoseconds per unit of a record's time stamp: 1000 (microseconds) unless the
  // first sample's time has 9 fraction digits (2013: nanoseconds), times timemult.
  double TimestampNs() const;
  // Seconds from the first sample to sample `n` (1-based) by the sampling rates; NaN
  // when rate_count is 0 (then the time stamps say it).
  double SampleTime(std::uint64_t n) const;
};
static_assert(std::is_trivially_destructible_v<Config>, "ConfigParser makes a new one over the old in place");

// Feeds a .cfg one line at a time. A line is given without its end (a trailing CR is
// dropped). `config` is written as the lines come and is complete when Finish() says
// so; on any error, stop.
class ConfigParser {
 public:
  // Starts `config` over in place: assigning a new Config would build it on the stack
  // first (3.6 KiB, a board's stack is 8).
  explicit ConfigParser(Config& config) : config_(config) { std::construct_at(&config_); }

  Error Line(std::string_view text);
  // The end of the text: an error when lines are missing.
  Error Finish() const;
  // Every line this revision may have has been read (more non-blank lines are errors).
  bool complete() const { return state_ == State::kDone; }

 private:
  enum class State : std::uint8_t {
    kIdentity, kCounts, kAnalog, kDigital, kLineFrequency, kRateCount, kRates, kFirstStamp, kTriggerStamp,
    kFormat, kTimemult, kTimeCode, kTimeQuality, kDone
  };
  Error ParseIdentity(std::string_view text);
  Error ParseCounts(std::string_view text);
  Error ParseAnalog(std::string_view text);
  Error ParseDigital(std::string_view text);
  Error ParseRate(std::string_view text);
  Error ParseStamp(std::string_view text, Stamp& out);
  Error Fail(const char* field, const char* reason, std::uint32_t channel = 0) const {
    return Error{line_, field, channel, reason};
  }

  Config& config_;
  State state_ = State::kIdentity;
  std::uint32_t line_ = 0;
  std::uint32_t item_ = 0;  // analog/digital channel or rate segment being read
};

// A whole .cfg text at once (line ends CR LF, LF or CR).
Error ParseConfig(std::string_view text, Config& config);

// ---- data records ---------------------------------------------------------------------

// One decoded record. `values` is the caller's buffer of at least analog_count
// entries: the raw values (before a * raw + b), NaN where the record marks a value
// missing. `timestamp` is in the file's units (Config::TimestampNs), -1 when missing.
struct Record {
  std::uint32_t number = 0;
  std::int64_t timestamp = -1;
  std::span<double> values;
};

// Bytes of one record of a binary format: 4 (number) + 4 (time stamp) + each analog
// value (2 or 4 bytes) + 2 for every 16 digital channels. 0 for ASCII.
std::size_t BinaryRecordSize(const Config& config);

// One ASCII line (without its end): n,timestamp,A1..Ak,D1..Dm. `record_line` names the
// line in errors.
Error DecodeAsciiRecord(const Config& config, std::string_view line, std::uint32_t record_line, Record& out);
// One binary record of exactly BinaryRecordSize() bytes (little-endian).
Error DecodeBinaryRecord(const Config& config, ByteSpan bytes, std::uint32_t record_index, Record& out);

// ---- the 2013 single file (.cff) -------------------------------------------------------

enum class CffSection : std::uint8_t { kCfg, kInf, kHdr, kDat };
struct CffHeader {
  CffSection section = CffSection::kCfg;
  Format format = Format::kAscii;  // of a DAT section
  std::uint64_t bytes = 0;         // of a binary DAT section (ASCII: 0, to the end)
};
// "--- file type: CFG ---", "... INF ...", "... HDR ...", "--- file type: DAT ASCII ---",
// "--- file type: DAT BINARY: 4214 ---" (also BINARY32, FLOAT32). Returns false when
// the line is not a section header at all; true with `error` set when it is one but
// malformed.
bool ParseCffHeader(std::string_view line, CffHeader& out, Error& error);

// ---- writing ----------------------------------------------------------------------------

// The .cfg text of `config` for its revision (lines end CR LF). ResourceExhausted when
// `out` is too small.
Result<std::size_t> WriteConfig(const Config& config, std::span<char> out);
// One record: ASCII as a line with CR LF; binary formats as BinaryRecordSize() bytes.
// Values are raw (rounded and clamped to the format's integer range; NaN is written as
// the format's missing value). No digital channels are written set.
Result<std::size_t> WriteAsciiRecord(const Config& config, const Record& record, std::span<char> out);
Result<std::size_t> WriteBinaryRecord(const Config& config, const Record& record, MutableByteSpan out);
// The header line of a .cff DAT section for `config` and `dat_bytes` of binary data.
Result<std::size_t> WriteCffDatHeader(const Config& config, std::uint64_t dat_bytes, std::span<char> out);

}  // namespace pmu::proto::comtrade
