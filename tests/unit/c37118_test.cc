// IEEE C37.118.2 codec: the known-answer vectors of tests/data/c37118 (decoded to the values in
// vectors.json, encoded back to the same bytes), every malformed case with its exact
// error, encoders used as the device will use them, and the stream decoder fed every
// split of the stream, with garbage and bad frames in it.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "pmu/proto/c37118.h"
#include "pmu/proto/c37118_stream.h"
#include "test_json.h"

#ifndef PMU_C37118_VECTORS_DIR
#error "PMU_C37118_VECTORS_DIR must name the folder of the C37.118.2 vectors (tests/data/c37118)"
#endif

namespace pmu::proto::c37118 {
namespace {

using test::Bytes;
using test::FromHex;
using test::Json;
using test::JsonReader;

std::string ToHex(ByteSpan bytes) {
  std::string s;
  char buf[3];
  for (std::byte b : bytes) {
    std::snprintf(buf, sizeof buf, "%02x", std::to_integer<unsigned>(b));
    s += buf;
  }
  return s;
}

Bytes Copy(ByteSpan b) { return Bytes(b.begin(), b.end()); }

// Sets FRAMESIZE to the frame's length and recomputes CHK, so that a test can change a
// field and reach the check it is about.
Bytes Fixed(Bytes frame) {
  StoreBe16(frame.data() + 2, static_cast<std::uint16_t>(frame.size()));
  StoreBe16(frame.data() + frame.size() - 2, Crc16Ccitt(ByteSpan(frame).first(frame.size() - 2)));
  return frame;
}

void Put16(Bytes& b, std::size_t at, std::uint16_t v) { StoreBe16(b.data() + at, v); }
void Put32(Bytes& b, std::size_t at, std::uint32_t v) { StoreBe32(b.data() + at, v); }

::testing::AssertionResult IsError(const Status& s, StatusCode code, std::string_view message) {
  if (s.code() == code && message == s.message()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "got " << StatusCodeName(s.code()) << " \"" << s.message()
                                       << "\", expected " << StatusCodeName(code) << " \"" << message << "\"";
}
#define EXPECT_STATUS(expr, code, message) EXPECT_TRUE(IsError((expr), StatusCode::code, message))

// ---------------------------------------------------------------------------------
// The vectors, read once.

struct Vectors {
  std::string error;  // empty when everything loaded
  Json json;
  std::vector<Bytes> v1, v2, cfg3, badcrc;  // one frame a line
};

bool ReadFile(const std::string& path, std::string& out, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot read " + path +
            " (the C37.118.2 known-answer frames of tests/data/c37118)";
    return false;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

Vectors Load() {
  Vectors v;
  const std::string dir = PMU_C37118_VECTORS_DIR;
  std::string text;
  if (!ReadFile(dir + "/vectors.json", text, v.error) || !JsonReader(text).Read(v.json, v.error)) return v;
  for (auto [name, list] : {std::pair{"v1.hex", &v.v1}, std::pair{"v2.hex", &v.v2},
                            std::pair{"cfg3.hex", &v.cfg3}, std::pair{"badcrc.hex", &v.badcrc}}) {
    if (!ReadFile(dir + "/" + name, text, v.error)) return v;
    std::istringstream lines(text);
    std::string line;
    while (lines >> line) list->push_back(FromHex(line));
    if (list->empty()) {
      v.error = dir + "/" + name + " holds no frames";
      return v;
    }
  }
  return v;
}

const Vectors& Loaded() {
  static const Vectors v = Load();
  return v;
}

#define REQUIRE_VECTORS(v)     \
  const Vectors& v = Loaded(); \
  ASSERT_TRUE(v.error.empty()) << v.error

// Decodes a configuration frame that must be valid.
ConfigFrame MustConfig(ByteSpan bytes) {
  ConfigFrame c;
  const Status s = DecodeConfig(bytes, c);
  EXPECT_TRUE(s.ok()) << s.message() << " in " << ToHex(bytes);
  return c;
}

DataFrame MustData(ByteSpan bytes, const ConfigFrame& config) {
  DataFrame d;
  const Status s = DecodeData(bytes, config, d);
  EXPECT_TRUE(s.ok()) << s.message() << " in " << ToHex(bytes);
  return d;
}

Bytes MustEncodeConfig(const ConfigFrame& c) {
  Bytes out(kMaxFrameSize);
  const Result<std::size_t> n = EncodeConfig(c, out);
  EXPECT_TRUE(n.ok()) << n.status().message();
  out.resize(n.value_or(0));
  return out;
}

Bytes MustEncodeData(const DataFrame& d, const ConfigFrame& c) {
  Bytes out(kMaxDataFrameSize);
  const Result<std::size_t> n = EncodeData(d, c, out);
  EXPECT_TRUE(n.ok()) << n.status().message();
  out.resize(n.value_or(0));
  return out;
}

// Decodes every frame of `frames` (a data frame with the configuration before it) and
// encodes it back; returns how many of each type there were.
std::array<int, 6> DecodeAndReencode(const std::vector<Bytes>& frames, const char* file) {
  std::array<int, 6> seen{};
  ConfigFrame config;
  bool have_config = false;
  for (std::size_t i = 0; i < frames.size(); ++i) {
    SCOPED_TRACE(std::string(file) + " line " + std::to_string(i + 1));
    const Bytes& bytes = frames[i];
    const Result<Frame> frame = ParseFrame(bytes);
    if (!frame.ok()) {
      ADD_FAILURE() << frame.status().message();
      continue;
    }
    ++seen[static_cast<std::size_t>(frame->type)];
    Bytes again(kMaxFrameSize);
    switch (frame->type) {
      case FrameType::kCommand: {
        const Result<CommandFrame> cmd = DecodeCommand(*frame);
        EXPECT_TRUE(cmd.ok()) << cmd.status().message();
        if (cmd.ok()) again.resize(EncodeCommand(*cmd, again).value_or(0));
        break;
      }
      case FrameType::kHeader: {
        const Result<HeaderFrame> hdr = DecodeHeader(*frame);
        EXPECT_TRUE(hdr.ok()) << hdr.status().message();
        if (hdr.ok()) again.resize(EncodeHeader(*hdr, again).value_or(0));
        break;
      }
      case FrameType::kConfig1:
      case FrameType::kConfig2:
      case FrameType::kConfig3:
        config = MustConfig(bytes);
        have_config = true;
        again = MustEncodeConfig(config);
        EXPECT_EQ(EncodedConfigSize(config).value_or(0), bytes.size());
        break;
      case FrameType::kData:
        if (!have_config) {
          ADD_FAILURE() << "a data frame before any configuration";
          continue;
        }
        again = MustEncodeData(MustData(bytes, config), config);
        EXPECT_EQ(DataFrameSize(config).value_or(0), bytes.size());
        break;
    }
    EXPECT_EQ(ToHex(again), ToHex(bytes)) << "encoded back differently";
  }
  return seen;
}

// ---------------------------------------------------------------------------------
// CRC and time stamps

TEST(C37118Crc, CheckValueFromTheVectors) {
  REQUIRE_VECTORS(v);
  EXPECT_EQ(Crc16Ccitt(AsBytes("123456789")), v.json["crc"]["check_123456789"].leading());
  EXPECT_EQ(Crc16Ccitt(AsBytes("123456789")), 0x29B1);
  EXPECT_EQ(Crc16Ccitt({}), 0xFFFF);
}

// The board computes CHK with the small table, the host with the large one: the same
// CRC for the check string and for every frame of the vectors.
TEST(C37118Crc, BothTablesAgree) {
  REQUIRE_VECTORS(v);
  EXPECT_EQ(Crc16CcittNibbleTable(AsBytes("123456789")), 0x29B1);
  EXPECT_EQ(Crc16CcittNibbleTable({}), 0xFFFF);
  for (const auto* frames : {&v.v1, &v.v2}) {
    for (const Bytes& frame : *frames) {
      EXPECT_EQ(Crc16CcittNibbleTable(frame), Crc16CcittByteTable(frame));
    }
  }
  Bytes all(256);
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = static_cast<std::byte>(i);
  EXPECT_EQ(Crc16CcittNibbleTable(all), Crc16CcittByteTable(all));
}

TEST(C37118Time, QualityByteRoundTripsEveryValue) {
  for (unsigned b = 0; b < 256; ++b) {
    EXPECT_EQ(TimeQuality::FromByte(static_cast<std::uint8_t>(b)).ToByte(), b);
  }
  const TimeQuality q = TimeQuality::FromByte(0x56);
  EXPECT_FALSE(q.reserved);
  EXPECT_TRUE(q.leap_second_delete);
  EXPECT_FALSE(q.leap_second_occurred);
  EXPECT_TRUE(q.leap_second_pending);
  EXPECT_EQ(q.quality, 6);
  EXPECT_TRUE(TimeQuality::FromByte(0xA0).reserved);
  EXPECT_TRUE(TimeQuality::FromByte(0x20).leap_second_occurred);
}

TEST(C37118Time, MakeTimestamp) {
  TimeQuality q;
  q.leap_second_pending = true;
  q.quality = 0xF;
  const Result<Timestamp> t = Timestamp::Make(1149591600, 770000, q);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->fracsec, 0x1F0BBFD0u);
  EXPECT_EQ(t->fraction(), 770000u);
  EXPECT_EQ(t->quality(), q);
  EXPECT_TRUE(Timestamp::Make(0, kMaxFraction).ok());
  EXPECT_STATUS(Timestamp::Make(0, kMaxFraction + 1).status(), kOutOfRange, "fraction above 24 bits");
}

// ---------------------------------------------------------------------------------
// The known-answer vectors

TEST(C37118Vectors, EveryFrameOfTheHexFilesDecodesAndEncodesBack) {
  REQUIRE_VECTORS(v);
  using A = std::array<int, 6>;  // data, header, CFG-1, CFG-2, command, CFG-3
  EXPECT_EQ(DecodeAndReencode(v.v1, "v1.hex"), (A{1, 1, 0, 1, 1, 0}));
  EXPECT_EQ(DecodeAndReencode(v.v2, "v2.hex"), (A{1, 1, 0, 1, 1, 0}));
  EXPECT_EQ(DecodeAndReencode(v.cfg3, "cfg3.hex"), (A{1, 0, 0, 0, 1, 1}));
  for (const Bytes& f : v.v1) EXPECT_EQ(ParseFrame(f)->version, Version::k2005);
  for (const Bytes& f : v.v2) EXPECT_EQ(ParseFrame(f)->version, Version::k2011);
}

TEST(C37118Vectors, Version1And2FramesDifferOnlyInTheirVersion) {
  REQUIRE_VECTORS(v);
  ASSERT_EQ(v.v1.size(), v.v2.size());
  const ConfigFrame cfg1 = MustConfig(v.v1[1]);
  ConfigFrame cfg2 = MustConfig(v.v2[1]);
  EXPECT_EQ(cfg1.version, Version::k2005);
  EXPECT_EQ(cfg2.version, Version::k2011);
  cfg2.version = Version::k2005;
  EXPECT_EQ(cfg1, cfg2);
  EXPECT_EQ(ToHex(MustEncodeConfig(cfg2)), ToHex(v.v1[1]));

  DataFrame d2 = MustData(v.v2[2], cfg2);
  const DataFrame d1 = MustData(v.v1[2], cfg1);
  d2.version = Version::k2005;
  EXPECT_EQ(d1, d2);
  EXPECT_EQ(ToHex(MustEncodeData(d2, cfg1)), ToHex(v.v1[2]));

  CommandFrame c2 = DecodeCommand(v.v2[0]).value();
  c2.version = Version::k2005;
  Bytes out(64);
  out.resize(EncodeCommand(c2, out).value());
  EXPECT_EQ(ToHex(out), ToHex(v.v1[0]));

  HeaderFrame h2 = DecodeHeader(v.v2[3]).value();
  h2.version = Version::k2005;
  out.assign(64, std::byte{0});
  out.resize(EncodeHeader(h2, out).value());
  EXPECT_EQ(ToHex(out), ToHex(v.v1[3]));
}

// badcrc.hex: the CFG-2 and the data frame of v1.hex with their CHK one off (0xD5D0
// for 0xD5D1, 0xD43E for 0xD43F). Each must fail on its check word and nothing else.
TEST(C37118Vectors, BadCrcFramesAreRejectedOnTheirCheckWord) {
  REQUIRE_VECTORS(v);
  ASSERT_EQ(v.badcrc.size(), 2u);
  for (std::size_t i = 0; i < v.badcrc.size(); ++i) {
    SCOPED_TRACE("badcrc.hex line " + std::to_string(i + 1));
    EXPECT_STATUS(ParseFrame(v.badcrc[i]).status(), kDataLoss, "bad CRC");
    Bytes mended = v.badcrc[i];
    StoreBe16(mended.data() + mended.size() - 2, Crc16Ccitt(ByteSpan(mended).first(mended.size() - 2)));
    EXPECT_EQ(ToHex(mended), ToHex(v.v1[i + 1])) << "apart from CHK, the frame is v1.hex's";
  }
}

TEST(C37118Vectors, AnyChangedByteOrCheckWordFailsTheCrc) {
  REQUIRE_VECTORS(v);
  for (const auto* list : {&v.v1, &v.v2, &v.cfg3}) {
    for (const Bytes& good : *list) {
      for (std::size_t at = 4; at < good.size(); ++at) {  // past SYNC and FRAMESIZE
        Bytes bad = good;
        bad[at] ^= std::byte{0x01};
        EXPECT_STATUS(ParseFrame(bad).status(), kDataLoss, "bad CRC") << ToHex(bad);
      }
    }
  }
}

TEST(C37118Vectors, PypmuConfig2HasTheExpectedValues) {
  REQUIRE_VECTORS(v);
  const Json& set = v.json["pypmu_annexD_style_v1"];
  const Json& e = set["expected"]["cfg2"];
  const Bytes bytes = set["cfg2"].hex();
  EXPECT_EQ(bytes, v.v1[1]);
  const ConfigFrame c = MustConfig(bytes);
  EXPECT_EQ(LoadBe16(bytes.data()), e["sync"].leading());
  EXPECT_EQ(bytes.size(), e["framesize"].integer());
  EXPECT_EQ(c.type, FrameType::kConfig2);
  EXPECT_EQ(c.idcode, e["idcode"].integer());
  EXPECT_EQ(c.time.soc, e["soc"].integer());
  EXPECT_EQ(c.time.fracsec >> 24, e["tq_byte"].leading());
  // "0x56 (leap dir=1/delete, leap pending=1, TQ=6)"
  EXPECT_TRUE(c.time.quality().leap_second_delete);
  EXPECT_TRUE(c.time.quality().leap_second_pending);
  EXPECT_FALSE(c.time.quality().leap_second_occurred);
  EXPECT_EQ(c.time.quality().quality, 6);
  EXPECT_EQ(c.time.fraction(), e["fracsec"].integer());
  EXPECT_EQ(c.time_base, e["time_base"].integer());
  ASSERT_EQ(c.pmu_count, e["num_pmu"].integer());
  const PmuConfig& p = c.pmus[0];
  EXPECT_EQ(TrimName(p.station_name), e["stn"].text);
  EXPECT_EQ(p.station_name, "Station A       ");  // as sent, padded to 16
  EXPECT_EQ(p.idcode, e["pmu_idcode"].integer());
  EXPECT_EQ(p.format.ToWord(), e["format"].leading());
  EXPECT_FALSE(p.format.polar);
  EXPECT_FALSE(p.format.phasor_float);
  EXPECT_TRUE(p.format.analog_float);
  EXPECT_FALSE(p.format.freq_float);
  ASSERT_EQ(p.phasor_count, e["phnmr"].integer());
  ASSERT_EQ(p.analog_count, e["annmr"].integer());
  ASSERT_EQ(p.digital_count, e["dgnmr"].integer());
  const Json& names = e["chnam"];
  for (std::size_t i = 0; i < p.phasor_count; ++i) EXPECT_EQ(TrimName(p.phasor_names[i]), names[i].text);
  for (std::size_t i = 0; i < p.analog_count; ++i) {
    EXPECT_EQ(TrimName(p.analog_names[i]), names[p.phasor_count + i].text);
  }
  // The last entry summarises the 16 digital names: "BREAKER 1 STATUS..BREAKER G STATUS (16)".
  EXPECT_EQ(names[p.phasor_count + p.analog_count].text, "BREAKER 1 STATUS..BREAKER G STATUS (16)");
  const char* digits = "123456789ABCDEFG";
  for (std::size_t i = 0; i < 16; ++i) {
    EXPECT_EQ(p.digital_names[i], "BREAKER " + std::string(1, digits[i]) + " STATUS");
  }
  for (std::size_t i = 0; i < p.phasor_count; ++i) {
    const PhasorUnit& u = p.phasor_units[i];
    EXPECT_EQ((static_cast<std::uint32_t>(u.kind) << 24) | u.scale, e["phunit"][i].leading()) << i;
  }
  EXPECT_EQ(p.phasor_units[0], (PhasorUnit{PhasorKind::kVoltage, 915527}));
  EXPECT_EQ(p.phasor_units[3], (PhasorUnit{PhasorKind::kCurrent, 45776}));
  for (std::size_t i = 0; i < p.analog_count; ++i) {
    const AnalogUnit& u = p.analog_units[i];
    EXPECT_EQ((std::uint32_t{u.kind} << 24) | (static_cast<std::uint32_t>(u.scale) & 0xFFFFFF),
              e["anunit"][i].leading());
    EXPECT_EQ(u.kind, i);  // pow, rms, peak
    EXPECT_EQ(u.scale, 1);
  }
  EXPECT_EQ((std::uint32_t{p.digital_units[0].normal_status} << 16) | p.digital_units[0].valid_inputs,
            e["digunit"][0].leading());
  EXPECT_EQ(e["fnom"].leading(), 0u);  // "0 => 60 Hz"
  EXPECT_EQ(p.nominal_frequency, NominalFrequency::k60Hz);
  EXPECT_EQ(p.config_count, e["cfgcnt"].integer());
  EXPECT_EQ(static_cast<std::uint64_t>(c.data_rate), e["data_rate"].integer());
  EXPECT_EQ(LoadBe16(bytes.data() + bytes.size() - 2), e["chk"].leading());
}

TEST(C37118Vectors, PypmuDataHeaderAndCommandHaveTheExpectedValues) {
  REQUIRE_VECTORS(v);
  const Json& set = v.json["pypmu_annexD_style_v1"];
  const Bytes cfg_bytes = set["cfg2"].hex();  // the names are views into it
  const ConfigFrame c = MustConfig(cfg_bytes);

  const Json& e = set["expected"]["data"];
  const Bytes bytes = set["data"].hex();
  EXPECT_EQ(bytes, v.v1[2]);
  const DataFrame d = MustData(bytes, c);
  EXPECT_EQ(LoadBe16(bytes.data()), e["sync"].leading());
  EXPECT_EQ(bytes.size(), e["framesize"].integer());
  EXPECT_EQ(d.idcode, e["idcode"].integer());
  EXPECT_EQ(d.time.soc, e["soc"].integer());
  EXPECT_EQ(d.time.fraction(), e["fracsec"].integer());
  ASSERT_EQ(d.pmu_count, 1);
  const PmuData& p = d.pmus[0];
  EXPECT_EQ(p.stat, e["stat"].leading());
  ASSERT_EQ(e["phasors_raw"].size(), 4u);
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(p.phasors[i].first, static_cast<float>(e["phasors_raw"][i][0].number)) << i;
    EXPECT_EQ(p.phasors[i].second, static_cast<float>(e["phasors_raw"][i][1].number)) << i;
    // "133987.376 V @ 0.000 deg"
    double magnitude = 0, degrees = 0;
    ASSERT_EQ(std::sscanf(e["phasors_scaled"][i].text.c_str(), "%lf %*s @ %lf", &magnitude, &degrees), 2);
    const Result<PolarValue> scaled = ScalePhasor(c, 0, i, p.phasors[i]);
    ASSERT_TRUE(scaled.ok());
    EXPECT_NEAR(scaled->magnitude, magnitude, 0.001) << i;
    EXPECT_NEAR(scaled->angle * 180 / M_PI, degrees, 0.001) << i;
  }
  EXPECT_EQ(p.frequency, e["freq_raw"].number);
  EXPECT_EQ(FrequencyHz(c, 0, p).value(), e["freq_hz"].number);
  EXPECT_EQ(p.rocof, e["dfreq_raw"].number);
  EXPECT_EQ(RocofHzPerSecond(c, 0, p).value(), 0.0);
  ASSERT_EQ(e["analog"].size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(p.analogs[i], e["analog"][i].number);
  EXPECT_EQ(p.digitals[0], e["digital"][0].leading());
  EXPECT_EQ(LoadBe16(bytes.data() + bytes.size() - 2), e["chk"].leading());

  const Json& eh = set["expected"]["header"];
  const Bytes hbytes = set["header"].hex();
  EXPECT_EQ(hbytes, v.v1[3]);
  const HeaderFrame h = DecodeHeader(hbytes).value();
  EXPECT_EQ(LoadBe16(hbytes.data()), eh["sync"].leading());
  EXPECT_EQ(hbytes.size(), eh["framesize"].integer());
  EXPECT_EQ(h.time.soc, eh["soc"].integer());
  EXPECT_EQ(h.time.fracsec >> 24, eh["tq_byte"].leading());
  EXPECT_EQ(h.time.quality().quality, 0xF);
  EXPECT_EQ(h.time.fraction(), eh["fracsec"].integer());
  EXPECT_EQ(h.text, eh["text"].text);
  EXPECT_EQ(LoadBe16(hbytes.data() + hbytes.size() - 2), eh["chk"].leading());

  const Json& ec = set["expected"]["command"];
  const Bytes cbytes = set["command_turn_on"].hex();
  EXPECT_EQ(cbytes, v.v1[0]);
  const CommandFrame cmd = DecodeCommand(cbytes).value();
  EXPECT_EQ(LoadBe16(cbytes.data()), ec["sync"].leading());
  EXPECT_EQ(cbytes.size(), ec["framesize"].integer());
  EXPECT_EQ(static_cast<std::uint16_t>(cmd.command), ec["cmd"].leading());
  EXPECT_EQ(cmd.command, CommandCode::kDataOn);
  EXPECT_TRUE(cmd.extended_data.empty());
  EXPECT_EQ(LoadBe16(cbytes.data() + cbytes.size() - 2), ec["chk"].leading());
}

TEST(C37118Vectors, WiresharkBluePmuSample) {
  REQUIRE_VECTORS(v);
  const Json& set = v.json["wireshark_sample_C37.118_1PMU_TCP_BluePMU"];
  const Bytes cmd_bytes = set["command_send_cfg2"].hex();
  const CommandFrame cmd = DecodeCommand(cmd_bytes).value();
  EXPECT_EQ(cmd.command, CommandCode::kSendConfig2);
  EXPECT_EQ(cmd.time.soc, 0u);  // SOC and FRACSEC 0 are valid in commands
  EXPECT_EQ(cmd.time.fracsec, 0u);
  EXPECT_EQ(DecodeAndReencode({cmd_bytes, set["cfg2"].hex(), set["data"].hex()}, "BluePMU"),
            (std::array<int, 6>{1, 0, 0, 1, 1, 0}));

  const Json& e = set["expected"]["cfg2"];
  const Bytes cfg_bytes = set["cfg2"].hex();  // the names are views into it
  const ConfigFrame c = MustConfig(cfg_bytes);
  EXPECT_EQ(c.idcode, e["idcode"].integer());
  EXPECT_EQ(c.time_base, e["time_base"].integer());
  ASSERT_EQ(c.pmu_count, 1);
  const PmuConfig& p = c.pmus[0];
  EXPECT_EQ(TrimName(p.station_name), e["stn"].text);
  EXPECT_EQ(p.format.ToWord(), e["format"].leading());
  ASSERT_EQ(p.phasor_count, e["phnmr"].integer());
  for (std::size_t i = 0; i < p.phasor_count; ++i) EXPECT_EQ(TrimName(p.phasor_names[i]), e["chnam"][i].text);
  EXPECT_EQ(e["fnom"].leading(), 50u);
  EXPECT_EQ(p.nominal_frequency, NominalFrequency::k50Hz);
  EXPECT_EQ(p.config_count, e["cfgcnt"].integer());
  EXPECT_EQ(static_cast<std::uint64_t>(c.data_rate), e["data_rate"].integer());

  const Json& ed = set["expected"]["data"];
  const DataFrame d = MustData(set["data"].hex(), c);
  EXPECT_EQ(d.time.soc, ed["soc"].integer());
  EXPECT_EQ(d.time.fraction(), ed["fracsec"].integer());
  EXPECT_NEAR(static_cast<double>(d.time.fraction()) / c.time_base, ed["frac_s"].number, 1e-7);
  EXPECT_EQ(d.pmus[0].stat, ed["stat"].leading());
  EXPECT_NE(d.pmus[0].stat & kStatTrigger, 0);
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_NEAR(d.pmus[0].phasors[i].first, ed["phasors_rect"][i][0].number, 1e-6) << i;
    EXPECT_NEAR(d.pmus[0].phasors[i].second, ed["phasors_rect"][i][1].number, 1e-6) << i;
  }
  EXPECT_EQ(d.pmus[0].frequency, ed["freq_raw"].number);
  EXPECT_EQ(d.pmus[0].rocof, ed["dfreq_raw"].number);
  EXPECT_EQ(FrequencyHz(c, 0, d.pmus[0]).value(), 50.0);
}

TEST(C37118Vectors, IcsnppUdpSample) {
  REQUIRE_VECTORS(v);
  const Json& set = v.json["icsnpp_C37.118_1PMU_UDP_minimal"];
  EXPECT_EQ(DecodeCommand(set["cmd_send_cfg2"].hex())->command, CommandCode::kSendConfig2);
  EXPECT_EQ(DecodeCommand(set["cmd_turn_on"].hex())->command, CommandCode::kDataOn);
  EXPECT_EQ(DecodeCommand(set["cmd_turn_off"].hex())->command, CommandCode::kDataOff);
  EXPECT_EQ(DecodeAndReencode({set["cmd_send_cfg2"].hex(), set["cfg2"].hex(), set["cmd_turn_on"].hex(),
                               set["data"].hex(), set["cmd_turn_off"].hex()},
                              "icsnpp"),
            (std::array<int, 6>{1, 0, 0, 1, 3, 0}));

  const Json& e = set["expected"]["cfg2"];
  const Bytes cfg_bytes = set["cfg2"].hex();  // the names are views into it
  const ConfigFrame c = MustConfig(cfg_bytes);
  EXPECT_EQ(c.idcode, e["stream_idcode"].integer());
  ASSERT_EQ(c.pmu_count, 1);
  const PmuConfig& p = c.pmus[0];
  EXPECT_EQ(p.idcode, e["pmu_idcode"].integer());
  EXPECT_EQ(TrimName(p.station_name), e["stn"].text);
  EXPECT_EQ(p.format.ToWord(), e["format"].leading());
  EXPECT_EQ(p.phasor_count, e["phnmr"].integer());
  EXPECT_EQ(p.analog_count, e["annmr"].integer());
  EXPECT_EQ(p.digital_count, e["dgnmr"].integer());
  EXPECT_EQ(TrimName(p.digital_names[15]), "Dig Channel 16");
  EXPECT_EQ(e["fnom"].leading(), 50u);
  EXPECT_EQ(p.nominal_frequency, NominalFrequency::k50Hz);
  EXPECT_EQ(p.config_count, e["cfgcnt"].integer());
  EXPECT_EQ(static_cast<std::uint64_t>(c.data_rate), e["data_rate"].integer());
  EXPECT_EQ(c.time_base, e["time_base"].integer());

  const Json& ed = set["expected"]["data"];
  const DataFrame d = MustData(set["data"].hex(), c);
  EXPECT_EQ(d.time.soc, ed["soc"].integer());
  EXPECT_EQ(d.time.fraction(), ed["fracsec"].integer());
  EXPECT_EQ(d.pmus[0].stat, ed["stat"].leading());
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_NEAR(d.pmus[0].phasors[i].first, ed["phasors_polar"][i][0].number, 1e-5) << i;
    EXPECT_NEAR(d.pmus[0].phasors[i].second, ed["phasors_polar"][i][1].number, 1e-6) << i;
    const PolarValue scaled = ScalePhasor(c, 0, i, d.pmus[0].phasors[i]).value();  // float: as sent
    EXPECT_NEAR(scaled.magnitude, ed["phasors_polar"][i][0].number, 1e-5);
    EXPECT_NEAR(scaled.angle, ed["phasors_polar"][i][1].number, 1e-6);
  }
  EXPECT_EQ(d.pmus[0].frequency, ed["freq_raw"].number);
  EXPECT_EQ(FrequencyHz(c, 0, d.pmus[0]).value(), ed["freq_hz"].number);
  EXPECT_EQ(d.pmus[0].digitals[0], ed["digital"][0].leading());
}

// vectors.json gives no expected values for its CFG-3 frame; these were read off the
// bytes by hand (and agree with the layout of IEEE C37.118.2-2011 Table 11).
TEST(C37118Vectors, SelfmadeConfig3) {
  REQUIRE_VECTORS(v);
  const Json& set = v.json["selfmade_v2_cfg3_validated_by_tshark_4.0.17"];
  EXPECT_EQ(set["cmd_send_cfg3"].hex(), v.cfg3[0]);
  EXPECT_EQ(set["cfg3"].hex(), v.cfg3[1]);
  EXPECT_EQ(set["data_v2"].hex(), v.cfg3[2]);
  EXPECT_EQ(set["data_v2"].hex(), v.v2[2]);

  const CommandFrame cmd = DecodeCommand(v.cfg3[0]).value();
  EXPECT_EQ(cmd.command, CommandCode::kSendConfig3);
  EXPECT_EQ(cmd.version, Version::k2011);

  const ConfigFrame c = MustConfig(v.cfg3[1]);
  EXPECT_EQ(c.type, FrameType::kConfig3);
  EXPECT_EQ(c.version, Version::k2011);
  EXPECT_EQ(c.idcode, 7734);
  EXPECT_EQ(c.time.soc, 1149577200u);
  EXPECT_EQ(c.time.fracsec, 463000u);
  EXPECT_EQ(c.time_base, 1000000u);
  EXPECT_EQ(c.data_rate, 30);
  ASSERT_EQ(c.pmu_count, 1);
  const PmuConfig& p = c.pmus[0];
  EXPECT_EQ(p.station_name, "Station A");  // CFG-3 names carry no padding
  EXPECT_EQ(p.idcode, 7734);
  for (std::size_t i = 0; i < kGlobalPmuIdSize; ++i) EXPECT_EQ(p.global_id[i], std::byte(i));
  EXPECT_EQ(p.format.ToWord(), 0x0004);
  ASSERT_EQ(p.phasor_count, 4);
  ASSERT_EQ(p.analog_count, 3);
  ASSERT_EQ(p.digital_count, 1);
  const char* phasors[] = {"VA", "VB", "VC", "I1"};
  for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(p.phasor_names[i], phasors[i]);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(p.analog_names[i], "ANALOG" + std::to_string(i + 1));
  for (std::size_t i = 0; i < 16; ++i) EXPECT_EQ(p.digital_names[i], "BRK" + std::to_string(i));
  const std::uint8_t types[] = {0x04, 0x05, 0x06, 0x0C};  // phase A/B/C voltage, phase A current
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(p.phasor_scales[i].flags, 0);
    EXPECT_EQ(p.phasor_scales[i].type, types[i]);
    EXPECT_EQ(p.phasor_scales[i].user, 0);
    EXPECT_EQ(p.phasor_scales[i].magnitude_scale, i < 3 ? 9.15527f : 0.45776f);
    EXPECT_EQ(p.phasor_scales[i].angle_offset, 0.0f);
  }
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(p.analog_scales[i], (AnalogScale{1, 0}));
  EXPECT_EQ(p.digital_units[0], (DigitalUnit{0x0000, 0xFFFF}));
  EXPECT_EQ(p.latitude, 46.5f);
  EXPECT_EQ(p.longitude, 6.6f);
  EXPECT_EQ(p.elevation, 500.0f);
  EXPECT_EQ(p.service_class, 'M');
  EXPECT_EQ(p.window_us, 80000);
  EXPECT_EQ(p.group_delay_us, 40000);
  EXPECT_EQ(p.nominal_frequency, NominalFrequency::k60Hz);
  EXPECT_EQ(p.config_count, 22);

  // The data frame reads the same with the CFG-3 as with the CFG-2 it mirrors, and
  // PHSCALE scales like PHUNIT.
  const ConfigFrame cfg2 = MustConfig(v.v2[1]);
  const DataFrame with3 = MustData(v.cfg3[2], c);
  EXPECT_EQ(with3, MustData(v.v2[2], cfg2));
  for (std::size_t i = 0; i < 4; ++i) {
    const PolarValue a = ScalePhasor(c, 0, i, with3.pmus[0].phasors[i]).value();
    const PolarValue b = ScalePhasor(cfg2, 0, i, with3.pmus[0].phasors[i]).value();
    EXPECT_NEAR(a.magnitude, b.magnitude, 1e-6 * b.magnitude) << i;
    EXPECT_NEAR(a.angle, b.angle, 1e-9) << i;
  }
}

// ---------------------------------------------------------------------------------
// Framing errors

TEST(C37118Frame, FramingErrors) {
  REQUIRE_VECTORS(v);
  const Bytes cmd = v.v2[0];
  EXPECT_STATUS(ParseFrame({}).status(), kDataLoss, "truncated frame");
  EXPECT_STATUS(ParseFrame(FromHex("00")).status(), kInvalidArgument, "bad SYNC: first byte is not 0xAA");
  EXPECT_STATUS(ParseFrame(FromHex("aa")).status(), kDataLoss, "truncated frame");
  for (const char* bad_type : {"aa62", "aa72", "aae2", "aaf1", "aa82"}) {
    EXPECT_STATUS(ParseFrame(FromHex(bad_type)).status(), kInvalidArgument, "bad frame type") << bad_type;
  }
  for (const char* bad_version : {"aa40", "aa43", "aa03", "aa1f", "aa50"}) {
    EXPECT_STATUS(ParseFrame(FromHex(bad_version)).status(), kUnimplemented, "unsupported version") << bad_version;
  }
  EXPECT_STATUS(ParseFrame(FromHex("aa51")).status(), kInvalidArgument, "CFG-3 frame with version 1");
  EXPECT_STATUS(ParseFrame(FromHex("aa4200")).status(), kDataLoss, "truncated frame");
  // Every cut of a valid frame is truncated.
  for (std::size_t n = 2; n < cmd.size(); ++n) {
    EXPECT_STATUS(ParseFrame(ByteSpan(cmd).first(n)).status(), kDataLoss, "truncated frame") << n;
  }
  for (int size : {0, 1, 4, 14, 15}) {
    Bytes b = cmd;
    Put16(b, 2, static_cast<std::uint16_t>(size));
    EXPECT_STATUS(ParseFrame(b).status(), kOutOfRange, "FRAMESIZE below 16") << size;
  }
  Bytes longer = cmd;
  longer.push_back(std::byte{0});
  EXPECT_STATUS(ParseFrame(longer).status(), kInvalidArgument, "bytes beyond FRAMESIZE");
  Bytes larger_size = cmd;
  Put16(larger_size, 2, 19);
  EXPECT_STATUS(ParseFrame(larger_size).status(), kDataLoss, "truncated frame");
  Bytes bad_crc = cmd;
  bad_crc.back() ^= std::byte{0x80};
  EXPECT_STATUS(ParseFrame(bad_crc).status(), kDataLoss, "bad CRC");

  // The smallest frame: a header with no text.
  const Bytes empty_header = Fixed(FromHex("aa12000000010000000000000000ffff"));
  ASSERT_EQ(empty_header.size(), kMinFrameSize);
  const Result<HeaderFrame> h = DecodeHeader(empty_header);
  ASSERT_TRUE(h.ok()) << h.status().message();
  EXPECT_TRUE(h->text.empty());
  EXPECT_EQ(h->idcode, 1);

  const Result<Frame> f = ParseFrame(cmd);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->type, FrameType::kCommand);
  EXPECT_EQ(f->payload().size(), 2u);
  EXPECT_EQ(Frame{}.payload().size(), 0u);
  EXPECT_EQ(CheckFramePrefix(cmd).value(), 18);
}

TEST(C37118Frame, EachDecoderTakesOnlyItsFrameType) {
  REQUIRE_VECTORS(v);
  const ConfigFrame cfg = MustConfig(v.v2[1]);
  ConfigFrame c;
  DataFrame d;
  EXPECT_STATUS(DecodeCommand(v.v2[2]).status(), kInvalidArgument, "not a command frame");
  EXPECT_STATUS(DecodeHeader(v.v2[0]).status(), kInvalidArgument, "not a header frame");
  EXPECT_STATUS(DecodeConfig(v.v2[2], c), kInvalidArgument, "not a configuration frame");
  EXPECT_STATUS(DecodeConfig(v.v2[3], c), kInvalidArgument, "not a configuration frame");
  EXPECT_STATUS(DecodeData(v.v2[1], cfg, d), kInvalidArgument, "not a data frame");
  // The typed decoders check the framing too.
  EXPECT_STATUS(DecodeCommand(v.badcrc[1]).status(), kDataLoss, "bad CRC");
  EXPECT_STATUS(DecodeData(v.badcrc[1], cfg, d), kDataLoss, "bad CRC");
  EXPECT_STATUS(DecodeConfig(FromHex("aa31"), c), kDataLoss, "truncated frame");
}

// ---------------------------------------------------------------------------------
// Command frames

TEST(C37118Command, ZeroTimeAndExtendedCommands) {
  CommandFrame cmd;
  cmd.idcode = 7734;
  cmd.command = CommandCode::kSendConfig3;
  Bytes out(kCommandFrameSize);
  ASSERT_EQ(EncodeCommand(cmd, out).value_or(0), kCommandFrameSize);
  EXPECT_EQ(ToHex(out).substr(0, 28), "aa4200121e360000000000000000");  // version 2 by default
  EXPECT_EQ(DecodeCommand(out)->time, Timestamp{});

  // Extended: a user code with data after CMD; the device accepts and ignores it.
  const Bytes ext = FromHex("0102030405");
  cmd.command = static_cast<CommandCode>(0x8001);
  cmd.extended_data = ext;
  cmd.version = Version::k2005;
  ASSERT_EQ(cmd.encoded_size(), 23u);
  out.assign(cmd.encoded_size(), std::byte{0});
  ASSERT_EQ(EncodeCommand(cmd, out).value_or(0), 23u);
  const Result<CommandFrame> back = DecodeCommand(out);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(static_cast<std::uint16_t>(back->command), 0x8001);
  EXPECT_EQ(back->version, Version::k2005);
  EXPECT_EQ(Copy(back->extended_data), ext);
  EXPECT_EQ(back->extended_data.data(), out.data() + 16);  // a view into the frame

  // Frames too short for CMD: 16 and 17 bytes.
  EXPECT_STATUS(DecodeCommand(Fixed(FromHex("aa410010" "1e36" "0000000000000000" "0000"))).status(), kDataLoss,
                "command frame without CMD");
  EXPECT_STATUS(DecodeCommand(Fixed(FromHex("aa410011" "1e36" "0000000000000000" "00" "0000"))).status(),
                kDataLoss, "command frame without CMD");
}

TEST(C37118Command, EncoderErrors) {
  CommandFrame cmd;
  Bytes out(kCommandFrameSize);
  for (std::size_t n = 0; n < kCommandFrameSize; ++n) {
    EXPECT_STATUS(EncodeCommand(cmd, MutableByteSpan(out).first(n)).status(), kResourceExhausted,
                  "output buffer too small");
  }
  cmd.version = static_cast<Version>(3);
  EXPECT_STATUS(EncodeCommand(cmd, out).status(), kInvalidArgument, "bad version");
  cmd.version = Version::k2011;
  const Bytes big(kMaxFrameSize - kCommandFrameSize + 1);
  cmd.extended_data = big;
  Bytes huge(kMaxFrameSize + 16);
  EXPECT_STATUS(EncodeCommand(cmd, huge).status(), kInvalidArgument, "frame larger than 65535 bytes");
  cmd.extended_data = ByteSpan(big).first(big.size() - 1);
  EXPECT_EQ(EncodeCommand(cmd, huge).value_or(0), kMaxFrameSize);
  EXPECT_TRUE(DecodeCommand(ByteSpan(huge).first(kMaxFrameSize)).ok());
}

TEST(C37118Header, TextRoundTripAndLimits) {
  HeaderFrame h;
  h.idcode = 1;
  h.time = Timestamp::Make(1700000000, 500, TimeQuality{false, false, true, false, 0}).value();
  h.text = "PMU simulator, 1 PMU, 8 phasors";
  Bytes out(h.encoded_size());
  ASSERT_EQ(EncodeHeader(h, out).value_or(0), out.size());
  const HeaderFrame back = DecodeHeader(out).value();
  EXPECT_EQ(back.text, h.text);
  EXPECT_EQ(back.time, h.time);
  EXPECT_TRUE(back.time.quality().leap_second_occurred);

  const std::string text(kMaxFrameSize - kMinFrameSize + 1, 'x');
  h.text = text;
  Bytes huge(kMaxFrameSize + 1);
  EXPECT_STATUS(EncodeHeader(h, huge).status(), kInvalidArgument, "frame larger than 65535 bytes");
  h.text = std::string_view(text).substr(1);
  EXPECT_EQ(EncodeHeader(h, huge).value_or(0), kMaxFrameSize);
  EXPECT_STATUS(EncodeHeader(h, MutableByteSpan(huge).first(kMaxFrameSize - 1)).status(), kResourceExhausted,
                "output buffer too small");
}

// ---------------------------------------------------------------------------------
// Configuration frames: malformed fields, each with its error

// Offsets in the pypmu CFG-2 (one PMU, 4 phasors, 3 analogs, 1 digital word).
constexpr std::size_t kAtFracsec = 10, kAtTimeBase = 14, kAtNumPmu = 18, kAtFormat = 38, kAtPhnmr = 40,
                      kAtAnnmr = 42, kAtDgnmr = 44, kAtPhunit = 414, kAtAnunit = 430, kAtFnom = 446;

Status DecodeChanged(Bytes frame, void (*change)(Bytes&)) {
  change(frame);
  ConfigFrame c;
  return DecodeConfig(Fixed(std::move(frame)), c);
}

TEST(C37118Config, FieldErrors) {
  REQUIRE_VECTORS(v);
  const Bytes& cfg = v.v2[1];
  ASSERT_EQ(LoadBe32(cfg.data() + kAtPhunit), 0x000DF847u);  // the offsets point where they should
  ASSERT_EQ(LoadBe32(cfg.data() + kAtAnunit + 4), 0x01000001u);
  ASSERT_EQ(LoadBe16(cfg.data() + kAtFnom + 2), 22);  // CFGCNT after FNOM

  EXPECT_STATUS(DecodeChanged(cfg, [](Bytes& b) { Put16(b, kAtNumPmu, 0); }), kOutOfRange, "NUM_PMU is 0");
  EXPECT_STATUS(DecodeChanged(cfg, [](Bytes& b) { Put16(b, kAtNumPmu, static_cast<std::uint16_t>(kMaxPmus + 1)); }), kOutOfRange,
                "NUM_PMU above kMaxPmus");
  EXPECT_STATUS(DecodeChanged(cfg, [](Bytes& b) { Put16(b, kAtPhnmr, static_cast<std::uint16_t>(kMaxPhasors + 1)); }), kOutOfRange,
                "PHNMR above kMaxPhasors");
  EXPECT_STATUS(DecodeChanged(cfg, [](Bytes& b) { Put16(b, kAtAnnmr, static_cast<std::uint16_t>(kMaxAnalogs + 1)); }), kOutOfRange,
                "ANNMR above kMaxAnalogs");
  EXPECT_STATUS(DecodeChanged(cfg, [](Bytes& b) { Put16(b, kAtDgnmr, static_cast<std::uint16_t>(kMaxDigitalWords + 1)); }), kOutOfRange,
                "DGNMR above kMaxDigitalWords");
  EXPECT_STATUS(DecodeChanged(cfg, [](Bytes& b) { Put16(b, kAtFormat, 0x0014); }), kOutOfRange,
                "FORMAT reserved bits set");
  EXPECT_STATUS(DecodeChanged(cfg, [](Bytes& b) { b[kAtPhunit] = std::byte{2}; }), kOutOfRange,
                "PHUNIT type is not voltage or current");
  EXPECT_STATUS(DecodeChanged(cfg, [](Bytes& b) { Put16(b, kAtFnom, 0x0002); }), kOutOfRange,
                "FNOM reserved bits set");
  EXPECT_STATUS(DecodeChanged(cfg, [](Bytes& b) { Put32(b, kAtTimeBase, 0); }), kOutOfRange, "TIME_BASE is 0");
  EXPECT_STATUS(DecodeChanged(cfg, [](Bytes& b) { Put32(b, kAtTimeBase, 0x010F4240); }), kOutOfRange,
                "TIME_BASE reserved bits set");
  EXPECT_STATUS(DecodeChanged(cfg, [](Bytes& b) { Put32(b, kAtFracsec, 0x560F4240); }), kOutOfRange,
                "FRACSEC fraction not below TIME_BASE");
  // Shorter and longer than its fields, with FRAMESIZE and CHK consistent.
  EXPECT_STATUS(DecodeChanged(cfg, [](Bytes& b) { b.erase(b.end() - 3); }), kDataLoss,
                "configuration frame shorter than its fields");
  EXPECT_STATUS(DecodeChanged(cfg, [](Bytes& b) { b.erase(b.begin() + 200, b.begin() + 300); }), kDataLoss,
                "configuration frame shorter than its fields");
  EXPECT_STATUS(DecodeChanged(cfg, [](Bytes& b) { b.resize(kMinFrameSize + 5); }), kDataLoss,
                "configuration frame shorter than its fields");
  EXPECT_STATUS(DecodeChanged(cfg, [](Bytes& b) { b.insert(b.end() - 2, std::byte{0}); }), kInvalidArgument,
                "configuration frame longer than its fields");
  // The reserved bit of the time-quality byte is carried, not rejected.
  ConfigFrame c;
  ASSERT_TRUE(DecodeConfig(Fixed([&] { Bytes b = cfg; b[kAtFracsec] |= std::byte{0x80}; return b; }()), c).ok());
  EXPECT_TRUE(c.time.quality().reserved);
  // Every 16-bit value of PHUNIT's scale and the analog scale's sign decode.
  ASSERT_TRUE(DecodeConfig(Fixed([&] { Bytes b = cfg; Put32(b, kAtAnunit, 0x41800000); return b; }()), c).ok());
  EXPECT_EQ(c.pmus[0].analog_units[0], (AnalogUnit{65, -0x800000}));
}

TEST(C37118Config, Config3Errors) {
  REQUIRE_VECTORS(v);
  const Bytes& cfg3 = v.cfg3[1];
  ConfigFrame c;
  for (int idx : {1, 2, 0xFFFF}) {
    Bytes b = cfg3;
    Put16(b, 14, static_cast<std::uint16_t>(idx));
    EXPECT_STATUS(DecodeConfig(Fixed(b), c), kUnimplemented, "fragmented CFG-3 (CONT_IDX not 0)") << idx;
  }
  Bytes v1 = cfg3;
  v1[1] = std::byte{0x51};
  EXPECT_STATUS(DecodeConfig(Fixed(v1), c), kInvalidArgument, "CFG-3 frame with version 1");
  // A name length that runs past the end.
  Bytes long_name = cfg3;
  long_name[22] = std::byte{0xFF};  // station name length
  EXPECT_STATUS(DecodeConfig(Fixed(long_name), c), kDataLoss, "configuration frame shorter than its fields");
  // Shorter by one byte anywhere in the tail.
  for (std::size_t cut = 23; cut < cfg3.size() - 2; cut += 7) {
    Bytes b = cfg3;
    b.erase(b.begin() + static_cast<std::ptrdiff_t>(cut));
    const Status s = DecodeConfig(Fixed(b), c);
    EXPECT_FALSE(s.ok()) << cut;
  }
}

// The device marks a configuration change per PDC on a frame it encoded once: the
// bit is set, the rest of the frame and its validity stay.
TEST(C37118Data, SetDataStatBitsMarksOnlyTheStat) {
  REQUIRE_VECTORS(v);
  const ConfigFrame cfg = MustConfig(v.v2[1]);
  Bytes data = v.v2[2];
  DataFrame before;
  ASSERT_TRUE(DecodeData(data, cfg, before).ok());
  ASSERT_FALSE(before.pmus[0].stat & kStatConfigChange);
  ASSERT_TRUE(SetDataStatBits(data, kStatConfigChange).ok());
  DataFrame after;
  ASSERT_TRUE(DecodeData(data, cfg, after).ok()) << "CHK recomputed";
  EXPECT_EQ(after.pmus[0].stat, before.pmus[0].stat | kStatConfigChange);
  Bytes expected = v.v2[2];
  Put16(expected, kCommonHeaderSize, static_cast<std::uint16_t>(before.pmus[0].stat | kStatConfigChange));
  EXPECT_EQ(ToHex(Bytes(data.begin(), data.end() - 2)), ToHex(Bytes(expected.begin(), expected.end() - 2)));

  Bytes config = v.v2[1];
  EXPECT_STATUS(SetDataStatBits(config, kStatConfigChange), kInvalidArgument, "not a data frame");
  Bytes corrupt = v.v2[2];
  corrupt[kCommonHeaderSize + 3] ^= std::byte{1};
  EXPECT_STATUS(SetDataStatBits(corrupt, kStatConfigChange), kDataLoss, "bad CRC");
  EXPECT_EQ(corrupt[kCommonHeaderSize], v.v2[2][kCommonHeaderSize]) << "a refused frame is left alone";
}

// ---------------------------------------------------------------------------------
// Data frames: errors

TEST(C37118Data, NeedsTheMatchingConfiguration) {
  REQUIRE_VECTORS(v);
  const Bytes& data = v.v2[2];
  const ConfigFrame cfg = MustConfig(v.v2[1]);
  DataFrame d;

  ConfigFrame other = cfg;
  other.idcode = 1;
  EXPECT_STATUS(DecodeData(data, other, d), kInvalidArgument, "IDCODE differs from the configuration's");
  other = cfg;
  other.type = FrameType::kConfig1;
  EXPECT_STATUS(DecodeData(data, other, d), kInvalidArgument, "data frames need a CFG-2 or CFG-3 configuration");
  other.type = FrameType::kHeader;
  EXPECT_STATUS(DecodeData(data, other, d), kInvalidArgument, "data frames need a CFG-2 or CFG-3 configuration");
  other = cfg;
  other.pmus[0].analog_count = 2;  // the frame is 4 bytes longer than this describes
  EXPECT_STATUS(DecodeData(data, other, d), kInvalidArgument, "data frame longer than its configuration");
  other.pmus[0].analog_count = 4;
  EXPECT_STATUS(DecodeData(data, other, d), kDataLoss, "data frame shorter than its configuration");
  other.pmus[0].analog_count = static_cast<std::uint16_t>(kMaxAnalogs + 1);  // a configuration built by hand
  EXPECT_STATUS(DecodeData(data, other, d), kOutOfRange, "ANNMR above kMaxAnalogs");
  other = cfg;
  other.pmu_count = 0;
  EXPECT_STATUS(DecodeData(data, other, d), kOutOfRange, "NUM_PMU is 0");
  other = cfg;
  other.time_base = 16817;  // the frame's fraction
  EXPECT_STATUS(DecodeData(data, other, d), kOutOfRange, "FRACSEC fraction not below TIME_BASE");
  other.time_base = 0;
  EXPECT_STATUS(DecodeData(data, other, d), kOutOfRange, "TIME_BASE is 0");

  Bytes shorter = data;
  shorter.erase(shorter.end() - 3);
  EXPECT_STATUS(DecodeData(Fixed(shorter), cfg, d), kDataLoss, "data frame shorter than its configuration");
  Bytes longer = data;
  longer.insert(longer.end() - 2, std::byte{0});
  EXPECT_STATUS(DecodeData(Fixed(longer), cfg, d), kInvalidArgument, "data frame longer than its configuration");
  EXPECT_STATUS(DataFrameSize(ConfigFrame{}).status(), kOutOfRange, "NUM_PMU is 0");
  ConfigFrame not_config;
  not_config.type = FrameType::kData;
  EXPECT_STATUS(DataFrameSize(not_config).status(), kInvalidArgument, "not a configuration frame");
}

// ---------------------------------------------------------------------------------
// Encoding as the device will: its own configuration, every frame type

// The simulated device: one PMU, three-phase voltages and currents and their positive
// sequence, two analogs, one digital word, 50 Hz, 50 frames per second.
ConfigFrame DeviceConfig(FrameType type, DataFormat format) {
  ConfigFrame c;
  c.type = type;
  c.idcode = 17;
  c.time = Timestamp::Make(1700000000, 250000).value();
  c.time_base = 1000000;
  c.data_rate = 50;
  c.pmu_count = 1;
  PmuConfig& p = c.pmus[0];
  p.station_name = "PMU-SIM-1";
  p.idcode = 17;
  p.format = format;
  const char* phasors[] = {"VA", "VB", "VC", "V1", "IA", "IB", "IC", "I1"};
  p.phasor_count = 8;
  for (std::size_t i = 0; i < 8; ++i) {
    p.phasor_names[i] = phasors[i];
    const bool current = i >= 4;
    p.phasor_units[i] = {current ? PhasorKind::kCurrent : PhasorKind::kVoltage, current ? 10000u : 1000000u};
    p.phasor_scales[i] = {0, static_cast<std::uint8_t>((current ? 8 : 0) | (i % 4 == 3 ? 1 : 4 + i % 4)), 0,
                          current ? 0.1f : 10.0f, 0};
  }
  p.analog_count = 2;
  p.analog_names[0] = "TEMP";
  p.analog_names[1] = "a name of 16 ch.";
  p.analog_units[0] = {0, -2};
  p.analog_units[1] = {1, 0x7FFFFF};
  p.analog_scales[0] = {0.5f, -40};
  p.analog_scales[1] = {1, 0};
  p.digital_count = 1;
  for (std::size_t i = 0; i < 16; ++i) p.digital_names[i] = i < 8 ? "BREAKER" : "";
  p.digital_units[0] = {0x00F0, 0x00FF};
  p.nominal_frequency = NominalFrequency::k50Hz;
  p.config_count = 3;
  for (std::size_t i = 0; i < kGlobalPmuIdSize; ++i) p.global_id[i] = std::byte(0xA0 + i);
  p.latitude = 46.52f;
  p.longitude = 6.57f;
  p.elevation = std::numeric_limits<float>::infinity();
  p.service_class = 'P';
  p.window_us = 40000;
  p.group_delay_us = -5;
  return c;
}

// CFG-1/2 names come back padded to 16 bytes.
ConfigFrame Trimmed(ConfigFrame c) {
  for (PmuConfig& p : c.pmus) {
    p.station_name = TrimName(p.station_name);
    for (auto& n : p.phasor_names) n = TrimName(n);
    for (auto& n : p.analog_names) n = TrimName(n);
    for (auto& n : p.digital_names) n = TrimName(n);
  }
  return c;
}

TEST(C37118Encode, DeviceConfigurationAsCfg1Cfg2AndCfg3) {
  for (FrameType type : {FrameType::kConfig1, FrameType::kConfig2, FrameType::kConfig3}) {
    SCOPED_TRACE(static_cast<int>(type));
    const ConfigFrame c = DeviceConfig(type, DataFormat{true, true, true, true});
    const Bytes bytes = MustEncodeConfig(c);
    EXPECT_EQ(EncodedConfigSize(c).value_or(0), bytes.size());
    EXPECT_EQ(std::to_integer<unsigned>(bytes[1]), (static_cast<unsigned>(type) << 4) | 2);
    const ConfigFrame back = MustConfig(bytes);
    if (type == FrameType::kConfig3) {
      // Exact names and every CFG-3 field; CFG-3 carries PHSCALE and ANSCALE instead
      // of PHUNIT and ANUNIT.
      ConfigFrame expected = c;
      expected.pmus[0].phasor_units = {};
      expected.pmus[0].analog_units = {};
      EXPECT_EQ(back, expected);
    } else {
      EXPECT_EQ(back.pmus[0].station_name, "PMU-SIM-1       ");
      // CFG-1/2 carry neither PHSCALE and ANSCALE nor the CFG-3 fields.
      ConfigFrame expected = c;
      PmuConfig& p = expected.pmus[0];
      p.phasor_scales = {};
      p.analog_scales = {};
      p.global_id = {};
      p.latitude = p.longitude = p.elevation = 0;
      p.service_class = 'M';
      p.window_us = p.group_delay_us = 0;
      EXPECT_EQ(Trimmed(back), expected);
    }
    // Every buffer smaller than the frame is refused, without writing past it.
    for (std::size_t n : {std::size_t{0}, std::size_t{1}, bytes.size() / 2, bytes.size() - 1}) {
      Bytes small(n + 8, std::byte{0x5A});
      EXPECT_STATUS(EncodeConfig(c, MutableByteSpan(small).first(n)).status(), kResourceExhausted,
                    "output buffer too small");
      for (std::size_t i = n; i < small.size(); ++i) ASSERT_EQ(small[i], std::byte{0x5A});
    }
  }
}

TEST(C37118Encode, EmittedVersionIsConfigurableButCfg3IsAlwaysVersion2) {
  ConfigFrame c = DeviceConfig(FrameType::kConfig2, {});
  c.version = Version::k2005;
  EXPECT_EQ(ToHex(MustEncodeConfig(c)).substr(0, 4), "aa31");
  c.type = FrameType::kConfig1;
  EXPECT_EQ(ToHex(MustEncodeConfig(c)).substr(0, 4), "aa21");
  c.type = FrameType::kConfig3;
  EXPECT_EQ(ToHex(MustEncodeConfig(c)).substr(0, 4), "aa52");
  EXPECT_EQ(MustConfig(MustEncodeConfig(c)).version, Version::k2011);
  EXPECT_EQ(ConfigFrame{}.version, Version::k2011);
  EXPECT_EQ(DataFrame{}.version, Version::k2011);
  EXPECT_EQ(CommandFrame{}.version, Version::k2011);
  EXPECT_EQ(HeaderFrame{}.version, Version::k2011);
}

TEST(C37118Encode, ConfigurationErrors) {
  Bytes out(kMaxFrameSize);
  auto encode = [&](const ConfigFrame& c) { return EncodeConfig(c, out).status(); };
  ConfigFrame c = DeviceConfig(FrameType::kConfig2, {});
  c.pmus[0].phasor_names[0] = "a name of 17 ch..";
  EXPECT_STATUS(encode(c), kInvalidArgument, "name longer than 16 bytes");
  EXPECT_STATUS(EncodedConfigSize(c).status(), kInvalidArgument, "name longer than 16 bytes");
  c.type = FrameType::kConfig3;
  EXPECT_TRUE(encode(c).ok());
  const std::string long_name(256, 'n');
  c.pmus[0].digital_names[15] = long_name;
  EXPECT_STATUS(encode(c), kInvalidArgument, "name longer than 255 bytes");
  c.pmus[0].digital_names[15] = std::string_view(long_name).substr(1);
  EXPECT_TRUE(encode(c).ok());

  c = DeviceConfig(FrameType::kConfig2, {});
  c.pmus[0].phasor_units[7].scale = 0x1000000;
  EXPECT_STATUS(encode(c), kInvalidArgument, "PHUNIT scale above 24 bits");
  c = DeviceConfig(FrameType::kConfig2, {});
  c.pmus[0].phasor_units[7].kind = static_cast<PhasorKind>(2);
  EXPECT_STATUS(encode(c), kOutOfRange, "PHUNIT type is not voltage or current");
  c = DeviceConfig(FrameType::kConfig2, {});
  c.pmus[0].analog_units[1].scale = 0x800000;
  EXPECT_STATUS(encode(c), kInvalidArgument, "ANUNIT scale outside 24 bits");
  c.pmus[0].analog_units[1].scale = -0x800001;
  EXPECT_STATUS(encode(c), kInvalidArgument, "ANUNIT scale outside 24 bits");
  c.pmus[0].analog_units[1].scale = -0x800000;
  EXPECT_EQ(MustConfig(MustEncodeConfig(c)).pmus[0].analog_units[1].scale, -0x800000);
  c = DeviceConfig(FrameType::kConfig2, {});
  c.pmus[0].nominal_frequency = static_cast<NominalFrequency>(2);
  EXPECT_STATUS(encode(c), kOutOfRange, "FNOM reserved bits set");

  c = DeviceConfig(FrameType::kConfig2, {});
  c.pmu_count = 0;
  EXPECT_STATUS(encode(c), kOutOfRange, "NUM_PMU is 0");
  c.pmu_count = static_cast<std::uint16_t>(kMaxPmus + 1);
  EXPECT_STATUS(encode(c), kOutOfRange, "NUM_PMU above kMaxPmus");
  c = DeviceConfig(FrameType::kConfig2, {});
  c.pmus[0].digital_count = static_cast<std::uint16_t>(kMaxDigitalWords + 1);
  EXPECT_STATUS(encode(c), kOutOfRange, "DGNMR above kMaxDigitalWords");
  c = DeviceConfig(FrameType::kConfig2, {});
  c.time_base = 0;
  EXPECT_STATUS(encode(c), kOutOfRange, "TIME_BASE is 0");
  c.time_base = kMaxTimeBase + 1;
  EXPECT_STATUS(encode(c), kOutOfRange, "TIME_BASE reserved bits set");
  c.time_base = 250000;  // the frame's own fraction
  EXPECT_STATUS(encode(c), kOutOfRange, "FRACSEC fraction not below TIME_BASE");
  c = DeviceConfig(FrameType::kData, {});
  EXPECT_STATUS(encode(c), kInvalidArgument, "not a configuration frame");
  c = DeviceConfig(FrameType::kConfig2, {});
  c.version = static_cast<Version>(0);
  EXPECT_STATUS(encode(c), kInvalidArgument, "bad version");
}

TEST(C37118Encode, LargestConfigurationsWithinTheMaxima) {
  ConfigFrame c = DeviceConfig(FrameType::kConfig2, {});
  c.pmu_count = kMaxPmus;
  for (PmuConfig& p : c.pmus) {
    p = c.pmus[0];
    p.phasor_count = kMaxPhasors;
    p.analog_count = kMaxAnalogs;
    p.digital_count = kMaxDigitalWords;
  }
  const Bytes cfg2 = MustEncodeConfig(c);
  EXPECT_EQ(cfg2.size(), kMaxConfig12FrameSize);
  EXPECT_EQ(MustConfig(cfg2).pmu_count, kMaxPmus);
  EXPECT_EQ(DataFrameSize(c).value_or(0), kMinFrameSize + kMaxPmus * (2 + 4 * kMaxPhasors + 4 + 2 * kMaxAnalogs +
                                                                     2 * kMaxDigitalWords));
  for (PmuConfig& p : c.pmus) p.format = {true, true, true, true};
  EXPECT_EQ(DataFrameSize(c).value_or(0), kMaxDataFrameSize);
  // CFG-3 with the longest names overflows one frame: refused, not fragmented.
  c.type = FrameType::kConfig3;
  const std::string long_name(255, 'n');
  for (PmuConfig& p : c.pmus) {
    for (auto& n : p.digital_names) n = long_name;
  }
  EXPECT_STATUS(EncodedConfigSize(c).status(), kInvalidArgument, "frame larger than 65535 bytes");
}

TEST(C37118Encode, DataFramesInEveryFormat) {
  for (unsigned bits = 0; bits < 16; ++bits) {
    const DataFormat format{(bits & 1) != 0, (bits & 2) != 0, (bits & 4) != 0, (bits & 8) != 0};
    SCOPED_TRACE(bits);
    const ConfigFrame c = DeviceConfig(FrameType::kConfig2, format);
    DataFrame d;
    d.idcode = c.idcode;
    d.pmu_count = 1;
    d.time = Timestamp::Make(1700000001, 999999, TimeQuality{false, true, false, true, 3}).value();
    PmuData& p = d.pmus[0];
    p.stat = kStatPmuSyncLost | kStatTrigger | 0x0007;
    for (std::size_t i = 0; i < 8; ++i) {
      p.phasors[i] = format.polar ? Phasor{1000.0f + static_cast<float>(i), -31416.0f + static_cast<float>(i)}
                                  : Phasor{-1000.0f * static_cast<float>(i), 123.0f};
    }
    p.frequency = format.freq_float ? 50.013f : 13.0f;
    p.rocof = -12.0f;
    p.analogs[0] = -3;
    p.analogs[1] = 32767;
    p.digitals[0] = 0xA5F0;
    const Bytes bytes = MustEncodeData(d, c);
    EXPECT_EQ(bytes.size(), DataFrameSize(c).value_or(0));
    EXPECT_EQ(ParseFrame(bytes)->version, Version::k2011);
    const DataFrame back = MustData(bytes, c);
    EXPECT_EQ(back, d);
    EXPECT_NEAR(FrequencyHz(c, 0, back.pmus[0]).value(), format.freq_float ? 50.013 : 50.013, 1e-5);
    EXPECT_NEAR(RocofHzPerSecond(c, 0, back.pmus[0]).value(), format.freq_float ? -12.0 : -0.12, 1e-12);
  }
}

TEST(C37118Encode, IntegerFormatsRoundSaturateAndMarkMissingData) {
  const ConfigFrame rect = DeviceConfig(FrameType::kConfig2, DataFormat{});
  const ConfigFrame polar = DeviceConfig(FrameType::kConfig2, DataFormat{true, false, false, false});
  const float nan = std::numeric_limits<float>::quiet_NaN();
  DataFrame d;
  d.idcode = rect.idcode;
  d.pmu_count = 1;
  const std::pair<float, float> in[] = {{1.4f, -1.4f},     {1.5f, -1.5f},       {40000.0f, -40000.0f},
                                        {nan, 0.0f},       {32766.6f, -32767.6f}, {-0.0f, 0.49f},
                                        {65535.4f, 2.5f},  {-7.0f, nan}};
  for (std::size_t i = 0; i < 8; ++i) d.pmus[0].phasors[i] = {in[i].first, in[i].second};
  d.pmus[0].frequency = nan;
  d.pmus[0].analogs[0] = 1e9f;
  d.pmus[0].analogs[1] = -1e9f;

  const DataFrame r = MustData(MustEncodeData(d, rect), rect);
  const std::pair<float, float> want_rect[] = {{1, -1},           {2, -2},       {32767, -32768},
                                               {-32768, 0},       {32767, -32768}, {0, 0},
                                               {32767, 3},        {-7, -32768}};
  for (std::size_t i = 0; i < 8; ++i) {
    EXPECT_EQ(r.pmus[0].phasors[i], (Phasor{want_rect[i].first, want_rect[i].second})) << i;
  }
  EXPECT_EQ(r.pmus[0].frequency, -32768);  // 0x8000: no data
  EXPECT_EQ(r.pmus[0].analogs[0], 32767);
  EXPECT_EQ(r.pmus[0].analogs[1], -32768);

  // Polar: the magnitude is unsigned 16-bit.
  const DataFrame p = MustData(MustEncodeData(d, polar), polar);
  const float want_magnitude[] = {1, 2, 40000, 32768, 32767, 0, 65535, 0};
  for (std::size_t i = 0; i < 8; ++i) EXPECT_EQ(p.pmus[0].phasors[i].first, want_magnitude[i]) << i;
  EXPECT_EQ(p.pmus[0].phasors[2].second, -32768);
  const PolarValue v = ScalePhasor(polar, 0, 0, Phasor{1000, 15708}).value();
  EXPECT_NEAR(v.magnitude, 1000 * 10.0, 1e-9);  // PHUNIT 1000000 * 1e-5 V per bit
  EXPECT_NEAR(v.angle, 1.5708, 1e-12);
}

TEST(C37118Encode, FloatDataKeepsEveryBit) {
  const ConfigFrame c = DeviceConfig(FrameType::kConfig3, DataFormat{false, true, true, true});
  DataFrame d;
  d.idcode = c.idcode;
  d.pmu_count = 1;
  const std::uint32_t bits[] = {0x7FC00001, 0xFFFFFFFF, 0x7F800000, 0x80000000, 0x00000001, 0x3F800000};
  for (std::size_t i = 0; i < 6; ++i) d.pmus[0].phasors[i].second = std::bit_cast<float>(bits[i]);
  const Bytes bytes = MustEncodeData(d, c);
  const Bytes again = MustEncodeData(MustData(bytes, c), c);
  EXPECT_EQ(ToHex(again), ToHex(bytes));
  for (std::size_t i = 0; i < 6; ++i) EXPECT_EQ(LoadBe32(bytes.data() + 16 + 8 * i + 4), bits[i]) << i;
}

TEST(C37118Encode, DataErrors) {
  const ConfigFrame c = DeviceConfig(FrameType::kConfig2, {});
  Bytes out(kMaxDataFrameSize);
  DataFrame d;
  d.idcode = c.idcode;
  d.pmu_count = 1;
  ASSERT_TRUE(EncodeData(d, c, out).ok());
  d.pmu_count = 2;
  EXPECT_STATUS(EncodeData(d, c, out).status(), kInvalidArgument, "NUM_PMU differs from the configuration's");
  d.pmu_count = 1;
  d.idcode = 18;
  EXPECT_STATUS(EncodeData(d, c, out).status(), kInvalidArgument, "IDCODE differs from the configuration's");
  d.idcode = c.idcode;
  d.time.fracsec = 1000000;
  EXPECT_STATUS(EncodeData(d, c, out).status(), kOutOfRange, "FRACSEC fraction not below TIME_BASE");
  d.time.fracsec = 0xFF000000;  // the time-quality byte does not count
  EXPECT_TRUE(EncodeData(d, c, out).ok());
  d.version = static_cast<Version>(15);
  EXPECT_STATUS(EncodeData(d, c, out).status(), kInvalidArgument, "bad version");
  d.version = Version::k2005;
  const std::size_t size = DataFrameSize(c).value();
  EXPECT_STATUS(EncodeData(d, c, MutableByteSpan(out).first(size - 1)).status(), kResourceExhausted,
                "output buffer too small");
  EXPECT_EQ(EncodeData(d, c, MutableByteSpan(out).first(size)).value_or(0), size);
  EXPECT_STATUS(ScalePhasor(c, 1, 0, {}).status(), kOutOfRange, "PMU index beyond the configuration");
  EXPECT_STATUS(ScalePhasor(c, 0, 8, {}).status(), kOutOfRange, "phasor index beyond the configuration");
  EXPECT_STATUS(FrequencyHz(c, 1, {}).status(), kOutOfRange, "PMU index beyond the configuration");
}

// One rule for analogs in engineering units: CFG-1/2 scale integers by ANUNIT's signed
// factor (0: no factor) and leave floats alone; CFG-3 applies ANSCALE in either format.
TEST(C37118Scale, AnalogsByAnunitOrAnscale) {
  const ConfigFrame int2 = DeviceConfig(FrameType::kConfig2, {});  // ANUNIT -2 and 0x7FFFFF
  EXPECT_EQ(ScaleAnalog(int2, 0, 0, 1000).value(), -2000.0);
  EXPECT_EQ(ScaleAnalog(int2, 0, 1, -3).value(), -3.0 * 0x7FFFFF);
  ConfigFrame no_factor = int2;
  no_factor.pmus[0].analog_units[0].scale = 0;
  EXPECT_EQ(ScaleAnalog(no_factor, 0, 0, 1000).value(), 1000.0);
  const ConfigFrame float2 = DeviceConfig(FrameType::kConfig2, DataFormat{false, false, true, false});
  EXPECT_EQ(ScaleAnalog(float2, 0, 0, 21.5f).value(), 21.5);  // ANUNIT -2 ignored for floats
  for (const DataFormat format : {DataFormat{}, DataFormat{false, false, true, false}}) {
    const ConfigFrame c3 = DeviceConfig(FrameType::kConfig3, format);  // ANSCALE 0.5, -40
    EXPECT_EQ(ScaleAnalog(c3, 0, 0, 130).value(), 25.0);
    EXPECT_EQ(ScaleAnalog(c3, 0, 1, 7).value(), 7.0);
  }
  EXPECT_STATUS(ScaleAnalog(int2, 1, 0, 0).status(), kOutOfRange, "PMU index beyond the configuration");
  EXPECT_STATUS(ScaleAnalog(int2, 0, 2, 0).status(), kOutOfRange, "analog index beyond the configuration");
}

// The known-answer CFG-2 (float analogs, ANUNIT 1) and the CFG-3 that mirrors it
// (ANSCALE 1, 0) give the data frame's analogs as sent.
TEST(C37118Scale, KnownAnswerAnalogsAsSent) {
  REQUIRE_VECTORS(v);
  const ConfigFrame cfg2 = MustConfig(v.v2[1]);
  const ConfigFrame cfg3 = MustConfig(v.cfg3[1]);
  const DataFrame d = MustData(v.v2[2], cfg2);
  const double want[] = {100, 1000, 10000};
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(ScaleAnalog(cfg2, 0, i, d.pmus[0].analogs[i]).value(), want[i]) << i;
    EXPECT_EQ(ScaleAnalog(cfg3, 0, i, d.pmus[0].analogs[i]).value(), want[i]) << i;
  }
}

// A block read as one configuration form, completed with the other's factors, scales
// the same data alike as CFG-2 and as CFG-3 (what a concentrator serves).
void ExpectSameValues(const ConfigFrame& a, const ConfigFrame& b) {
  const Phasor phasors[] = {{1000, -2000}, {32767, 0}, {-5, 7}};
  for (std::size_t k = 0; k < a.pmus[0].phasor_count; ++k) {
    for (const Phasor& v : phasors) {
      const PolarValue x = ScalePhasor(a, 0, k, v).value(), y = ScalePhasor(b, 0, k, v).value();
      EXPECT_NEAR(x.magnitude, y.magnitude, 1e-6 * std::fabs(x.magnitude)) << k;
      EXPECT_EQ(x.angle, y.angle) << k;
    }
  }
  for (std::size_t k = 0; k < a.pmus[0].analog_count; ++k) {
    for (const float v : {-32768.0f, 1.0f, 12345.0f}) {
      EXPECT_EQ(ScaleAnalog(a, 0, k, v).value(), ScaleAnalog(b, 0, k, v).value()) << k;
    }
  }
}

TEST(C37118Scale, CompleteScalesFromCfg2) {
  for (const DataFormat format : {DataFormat{}, DataFormat{true, true, true, true}}) {
    ConfigFrame cfg2 = DeviceConfig(FrameType::kConfig2, format);
    PmuConfig& p = cfg2.pmus[0];
    p.phasor_scales = {};  // only CFG-2's factors were read
    p.analog_scales = {};
    EXPECT_TRUE(CompleteScales(p, FrameType::kConfig2));
    EXPECT_EQ(p.phasor_scales[0].magnitude_scale, format.phasor_float ? 1.0f : 10.0f);
    EXPECT_EQ(p.phasor_scales[4].type, 0x08);  // a current
    EXPECT_EQ(p.analog_scales[0], format.analog_float ? (AnalogScale{1, 0}) : (AnalogScale{-2, 0}));
    ConfigFrame as3 = cfg2;
    as3.type = FrameType::kConfig3;
    ExpectSameValues(cfg2, as3);
  }
}

TEST(C37118Scale, CompleteScalesFromCfg3) {
  ConfigFrame cfg3 = DeviceConfig(FrameType::kConfig3, {});
  PmuConfig& p = cfg3.pmus[0];
  p.phasor_units = {};  // only CFG-3's factors were read
  p.analog_units = {};
  p.analog_scales[0] = {250, 0};
  EXPECT_TRUE(CompleteScales(p, FrameType::kConfig3));
  EXPECT_EQ(p.phasor_units[0], (PhasorUnit{PhasorKind::kVoltage, 1000000}));
  EXPECT_EQ(p.phasor_units[4], (PhasorUnit{PhasorKind::kCurrent, 10000}));
  EXPECT_EQ(p.analog_units[0].scale, 250);
  ConfigFrame as2 = cfg3;
  as2.type = FrameType::kConfig2;
  ExpectSameValues(cfg3, as2);

  // What CFG-2 cannot say is reported.
  auto exact = [](PmuConfig q) { return CompleteScales(q, FrameType::kConfig3); };
  PmuConfig offset = p;
  offset.analog_scales[0] = {0.5f, -40};
  EXPECT_FALSE(exact(offset));
  PmuConfig angle = p;
  angle.phasor_scales[1].angle_offset = 0.1f;
  EXPECT_FALSE(exact(angle));
  PmuConfig fraction = p;
  fraction.phasor_scales[2].magnitude_scale = 1.5e-5f;  // not a whole number of 1e-5 V
  EXPECT_FALSE(exact(fraction));
  PmuConfig floats = p;
  floats.format.phasor_float = true;  // PHSCALE 10 on floats: CFG-2 applies nothing to floats
  EXPECT_FALSE(exact(floats));
}

TEST(C37118Names, TrimName) {
  EXPECT_EQ(TrimName("VA              "), "VA");
  EXPECT_EQ(TrimName(std::string_view("VA\0\0\0 ", 6)), "VA");
  EXPECT_EQ(TrimName(" V A "), " V A");
  EXPECT_EQ(TrimName("                "), "");
}

// ---------------------------------------------------------------------------------
// Stream decoder

struct StreamResult {
  std::vector<Bytes> frames;
  std::uint64_t skipped = 0, rejected = 0;
  Status last_error;
};

// Feeds `stream` in pieces of the sizes `chunks` gives in turn, checking the Feed()
// contract and the byte accounting after every call.
StreamResult Decode(StreamDecoder& decoder, const Bytes& stream, const std::vector<std::size_t>& chunks) {
  StreamResult r;
  std::size_t pos = 0, fed = 0, in_frames = 0, turn = 0;
  const std::uint64_t skipped_before = decoder.bytes_skipped();
  const std::size_t buffered_before = decoder.buffered();
  while (pos < stream.size()) {
    const std::size_t n = std::min(chunks[turn++ % chunks.size()], stream.size() - pos);
    ByteSpan input = ByteSpan(stream).subspan(pos, n);
    pos += n;
    fed += n;
    for (;;) {
      const StreamDecoder::Output out = decoder.Feed(input);
      EXPECT_LE(out.consumed, input.size());
      if (!out.frame) EXPECT_EQ(out.consumed, input.size()) << "a call without a frame must use all input";
      input = input.subspan(out.consumed);
      if (!out.frame) break;
      EXPECT_TRUE(ParseFrame(out.frame->bytes).ok());
      r.frames.push_back(Copy(out.frame->bytes));
      in_frames += out.frame->bytes.size();
    }
    EXPECT_EQ(in_frames + (decoder.bytes_skipped() - skipped_before) + decoder.buffered(), buffered_before + fed);
  }
  r.skipped = decoder.bytes_skipped() - skipped_before;
  r.rejected = decoder.frames_rejected();
  r.last_error = decoder.last_error();
  return r;
}

StreamResult DecodeAll(const Bytes& stream, std::vector<std::size_t> chunks, std::size_t capacity = kMaxFrameSize) {
  static Bytes buffer;
  buffer.assign(capacity, std::byte{0});
  StreamDecoder decoder(buffer);
  return Decode(decoder, stream, chunks);
}

Bytes Join(const std::vector<Bytes>& parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

std::vector<Bytes> AllGoodFrames(const Vectors& v) {
  std::vector<Bytes> all;
  for (const auto* list : {&v.v1, &v.v2, &v.cfg3}) all.insert(all.end(), list->begin(), list->end());
  return all;
}

TEST(C37118Stream, BackToBackInOneRead) {
  REQUIRE_VECTORS(v);
  const std::vector<Bytes> frames = AllGoodFrames(v);
  const StreamResult r = DecodeAll(Join(frames), {Join(frames).size()});
  EXPECT_EQ(r.frames, frames);
  EXPECT_EQ(r.skipped, 0u);
  EXPECT_EQ(r.rejected, 0u);
  EXPECT_TRUE(r.last_error.ok());
}

TEST(C37118Stream, EverySplitOfTheStream) {
  REQUIRE_VECTORS(v);
  const std::vector<Bytes> frames = AllGoodFrames(v);
  const Bytes stream = Join(frames);
  for (std::size_t chunk = 1; chunk <= 64; ++chunk) {
    const StreamResult r = DecodeAll(stream, {chunk});
    EXPECT_EQ(r.frames, frames) << "chunk " << chunk;
    EXPECT_EQ(r.skipped, 0u) << "chunk " << chunk;
  }
  for (std::size_t chunk : {97u, 453u, 454u, 455u, 1000u}) EXPECT_EQ(DecodeAll(stream, {chunk}).frames, frames);
  // Irregular reads: 1, 2, 3, ... bytes, and a fixed pseudo-random pattern.
  std::vector<std::size_t> growing, random;
  for (std::size_t i = 1; i < 40; ++i) growing.push_back(i);
  std::uint32_t x = 12345;
  for (int i = 0; i < 100; ++i) {
    x = x * 1103515245 + 12345;
    random.push_back((x >> 16) % 80 + 1);
  }
  EXPECT_EQ(DecodeAll(stream, growing).frames, frames);
  EXPECT_EQ(DecodeAll(stream, random).frames, frames);
}

TEST(C37118Stream, GarbageBeforeBetweenAndAfterFrames) {
  REQUIRE_VECTORS(v);
  // Garbage: any bytes, including 0xAA followed by no valid SYNC word.
  const Bytes noise = FromHex("00ff1234aaff55aa0700aa43aa");
  const Bytes tail = FromHex("deadbeef");
  const std::vector<Bytes> frames = AllGoodFrames(v);
  std::vector<Bytes> parts = {noise};
  for (const Bytes& f : frames) {
    parts.push_back(f);
    parts.push_back(noise);
  }
  parts.push_back(tail);
  const Bytes stream = Join(parts);
  for (std::size_t chunk : {1u, 2u, 3u, 5u, 16u, 4096u}) {
    const StreamResult r = DecodeAll(stream, {chunk});
    EXPECT_EQ(r.frames, frames) << chunk;
    EXPECT_EQ(r.skipped, noise.size() * (frames.size() + 1) + tail.size()) << chunk;
    EXPECT_EQ(r.rejected, 0u);  // garbage is skipped, not counted as frames
    EXPECT_STATUS(r.last_error, kInvalidArgument, "bad frame type");  // the last candidate: "aa de"
  }
}

TEST(C37118Stream, BadFramesAreCountedAndTheNextOneComes) {
  REQUIRE_VECTORS(v);
  const Bytes& bad = v.badcrc[1];
  const Bytes tiny_size = FromHex("aa4100050000");  // FRAMESIZE 5
  const Bytes stream = Join({v.v2[0], bad, v.v2[1], tiny_size, v.v2[2]});
  for (std::size_t chunk : {1u, 7u, 4096u}) {
    const StreamResult r = DecodeAll(stream, {chunk});
    EXPECT_EQ(r.frames, (std::vector<Bytes>{v.v2[0], v.v2[1], v.v2[2]})) << chunk;
    EXPECT_EQ(r.rejected, 2u);
    EXPECT_EQ(r.skipped, bad.size() + tiny_size.size());
    EXPECT_STATUS(r.last_error, kOutOfRange, "FRAMESIZE below 16");
  }
  const StreamResult r = DecodeAll(Join({bad, v.v1[0]}), {1});
  EXPECT_STATUS(r.last_error, kDataLoss, "bad CRC");
  EXPECT_EQ(r.frames, std::vector<Bytes>{v.v1[0]});
}

TEST(C37118Stream, FrameLargerThanTheBufferIsSkipped) {
  REQUIRE_VECTORS(v);
  const Bytes stream = Join({v.v1[0], v.v1[1], v.v1[2], v.v1[3]});  // CFG-2 is 454 bytes
  const StreamResult r = DecodeAll(stream, {5}, 64);
  EXPECT_EQ(r.frames, (std::vector<Bytes>{v.v1[0], v.v1[2], v.v1[3]}));
  EXPECT_EQ(r.rejected, 1u);
  EXPECT_EQ(r.skipped, v.v1[1].size());
  EXPECT_STATUS(r.last_error, kResourceExhausted, "frame larger than the stream buffer");
  // Exactly the frame's size is enough.
  EXPECT_EQ(DecodeAll(stream, {5}, 454).frames.size(), 4u);
  // A buffer smaller than any frame skips everything.
  const StreamResult none = DecodeAll(stream, {100}, kMinFrameSize - 1);
  EXPECT_TRUE(none.frames.empty());
  EXPECT_EQ(none.skipped, stream.size());
  EXPECT_STATUS(none.last_error, kResourceExhausted, "stream buffer smaller than 16 bytes");
}

// A stray 0xAA with a plausible SYNC word and a large FRAMESIZE holds back the frames
// after it until FRAMESIZE bytes have come; then they all come out.
TEST(C37118Stream, FalseCandidateHoldsFramesBackThenReleasesThem) {
  REQUIRE_VECTORS(v);
  const std::vector<Bytes> frames = AllGoodFrames(v);
  const Bytes fake = FromHex("aa011000");  // FRAMESIZE 4096
  Bytes stream = Join({fake, Join(frames)});
  ASSERT_LT(stream.size(), 4096u);
  Bytes buffer(kMaxFrameSize);
  StreamDecoder decoder(buffer);
  StreamResult r = Decode(decoder, stream, {3});
  EXPECT_TRUE(r.frames.empty());
  EXPECT_EQ(decoder.buffered(), stream.size());
  // More frames complete the false candidate; it fails its CHK, and everything in it
  // is found again.
  const Bytes more = Join({Join(frames), Join(frames)});
  r = Decode(decoder, more, {3});
  std::vector<Bytes> expected = frames;
  expected.insert(expected.end(), frames.begin(), frames.end());
  expected.insert(expected.end(), frames.begin(), frames.end());
  EXPECT_EQ(r.frames, expected);
  EXPECT_EQ(decoder.frames_rejected(), 1u);
  EXPECT_EQ(decoder.frames_decoded(), expected.size());
  EXPECT_EQ(r.skipped, fake.size());
  EXPECT_STATUS(decoder.last_error(), kDataLoss, "bad CRC");
  // A smaller buffer refuses the false candidate at once.
  const StreamResult small = DecodeAll(stream, {3}, 512);
  EXPECT_EQ(small.frames, frames);
  EXPECT_STATUS(small.last_error, kResourceExhausted, "frame larger than the stream buffer");
}

TEST(C37118Stream, PartialFrameAtTheEndAndReset) {
  REQUIRE_VECTORS(v);
  Bytes buffer(1024);
  StreamDecoder decoder(buffer);
  const Bytes partial(v.v2[1].begin(), v.v2[1].begin() + 100);
  StreamResult r = Decode(decoder, Join({v.v2[0], partial}), {4096});
  EXPECT_EQ(r.frames, std::vector<Bytes>{v.v2[0]});
  EXPECT_EQ(decoder.buffered(), partial.size());
  decoder.Reset();
  EXPECT_EQ(decoder.buffered(), 0u);
  EXPECT_EQ(decoder.bytes_skipped(), partial.size());
  // After the reset the rest of the cut frame is garbage (it holds no 0xAA); the next
  // frame comes.
  const Bytes rest(v.v2[1].begin() + 100, v.v2[1].end());
  r = Decode(decoder, Join({rest, v.v2[2]}), {1});
  EXPECT_EQ(r.frames, std::vector<Bytes>{v.v2[2]});
  EXPECT_EQ(r.skipped, rest.size());
  EXPECT_EQ(decoder.frames_decoded(), 2u);
}

}  // namespace
}  // namespace pmu::proto::c37118
