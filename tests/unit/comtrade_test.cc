// COMTRADE (IEEE C37.111) parser and writer: the public samples of tests/data/comtrade,
// every format written and read back, and one test per malformed case naming the line,
// field and reason.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "pmu/proto/comtrade.h"

namespace pmu::proto::comtrade {
namespace {

std::string ReadData(const std::string& name) {
  std::ifstream in(std::string(PMU_COMTRADE_DATA_DIR) + "/" + name, std::ios::binary);
  EXPECT_TRUE(in.good()) << name;
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The .cfg text of a small valid 1999 record, to break one line at a time.
std::string Valid1999() {
  return "STATION,DEVICE,1999\r\n"
         "3,2A,1D\r\n"
         "1,VA,A,line,kV,0.01,0,0,-32767,32767,1000,1,P\r\n"
         "2,IA,A,line,A,0.001,0.5,0,-32767,32767,600,5,S\r\n"
         "1,TRIP,,,0\r\n"
         "60\r\n"
         "1\r\n"
         "2400,100\r\n"
         "07/12/2026,06:00:00.000000\r\n"
         "07/12/2026,06:00:00.010000\r\n"
         "ASCII\r\n"
         "1\r\n";
}

// Replaces line `n` (1-based) of `text` by `line`.
std::string WithLine(std::string text, int n, const std::string& line) {
  std::size_t begin = 0;
  for (int i = 1; i < n; ++i) begin = text.find('\n', begin) + 1;
  const std::size_t end = text.find('\r', begin);
  return text.replace(begin, end - begin, line);
}

struct BadCase {
  int line;
  std::string text;
  const char* field;
  unsigned channel;
  const char* reason;
};

TEST(ComtradeConfig, ParsesA1999Record) {
  Config c;
  const Error e = ParseConfig(Valid1999(), c);
  ASSERT_TRUE(e.ok()) << Describe(e, "cfg").c_str();
  EXPECT_EQ(c.revision, Revision::k1999);
  EXPECT_EQ(c.station.view(), "STATION");
  EXPECT_EQ(c.analog_count, 2u);
  EXPECT_EQ(c.digital_count, 1u);
  EXPECT_EQ(c.analog[1].id.view(), "IA");
  EXPECT_FALSE(c.analog[1].primary_values);
  EXPECT_DOUBLE_EQ(c.analog[1].Primary(1000), (0.001 * 1000 + 0.5) * 600 / 5);
  EXPECT_DOUBLE_EQ(c.analog[0].Primary(1000), 10.0);
  EXPECT_EQ(c.sample_count(), 100u);
  EXPECT_EQ(c.first.day, 7);
  EXPECT_EQ(c.first.month, 12);
  EXPECT_EQ(c.trigger.nanosecond, 10'000'000u);
  EXPECT_EQ(c.format, Format::kAscii);
  EXPECT_DOUBLE_EQ(c.SampleTime(1), 0.0);
  EXPECT_DOUBLE_EQ(c.SampleTime(2401), 1.0);
  EXPECT_DOUBLE_EQ(c.TimestampNs(), 1000.0);
}

TEST(ComtradeConfig, EveryMalformedLineNamesLineFieldAndReason) {
  const std::vector<BadCase> cases = {
      {1, "STATION,DEVICE,2001", "rev_year", 0, "must be 1991, 1999 or 2013"},
      {1, "STATION", "station_name", 0, "must be station_name,rec_dev_id[,rev_year]"},
      {2, "3,2A", "TT", 0, "must be TT,##A,##D"},
      {2, "x,2A,1D", "TT", 0, "must be a whole number"},
      {2, "3,2,1D", "##A", 0, "must be a whole number followed by A"},
      {2, "3,2A,1", "##D", 0, "must be a whole number followed by D"},
      {2, "4,2A,1D", "TT", 0, "is not ##A + ##D"},
      {3, "1,VA,A,line,kV,0.01,0,0,-32767,32767,1000,1", "An", 1,
       "must have 13 fields: An,ch_id,ph,ccbm,uu,a,b,skew,min,max,primary,secondary,PS"},
      {3, "0,VA,A,line,kV,0.01,0,0,-32767,32767,1000,1,P", "An", 1, "must be a whole number from 1"},
      {4, "2,IA,A,line,A,x,0.5,0,-32767,32767,600,5,S", "a", 2, "must be a number"},
      {4, "2,IA,A,line,A,0.001,1e,0,-32767,32767,600,5,S", "b", 2, "must be a number"},
      {4, "2,IA,A,line,A,0.001,0.5,?,-32767,32767,600,5,S", "skew", 2, "must be a number"},
      {4, "2,IA,A,line,A,0.001,0.5,0,5,4,600,5,S", "max", 2, "is below min"},
      {4, "2,IA,A,line,A,0.001,0.5,0,-32767,32767,six,5,S", "primary", 2, "must be a number"},
      {4, "2,IA,A,line,A,0.001,0.5,0,-32767,32767,600,,S", "secondary", 2, "must be a number"},
      {4, "2,IA,A,line,A,0.001,0.5,0,-32767,32767,600,5,Q", "PS", 2, "must be P or S"},
      {5, "1,TRIP,,0", "Dn", 0, "must have 5 fields: Dn,ch_id,ph,ccbm,y"},
      {5, "1,TRIP,,,2", "y", 0, "must be 0 or 1"},
      {6, "sixty", "lf", 0, "must be a number, 0 or more"},
      {7, "one", "nrates", 0, "must be a whole number"},
      {7, "17", "nrates", 0, "more sampling rates than this build holds (16)"},
      {8, "2400", "samp", 0, "must be samp,endsamp"},
      {8, "0,100", "samp", 0, "must be above 0 when nrates is not 0"},
      {8, "2400,0", "endsamp", 0, "must be 1 or more"},
      {8, "2400,1.5", "endsamp", 0, "must be a whole number"},
      {9, "07-12-2026,06:00:00.000000", "start date", 0, "must be dd/mm/yyyy"},
      {9, "07/13/2026,06:00:00.000000", "start date", 0, "is not a valid date"},
      {9, "07/12/2026,06:00", "start date", 0, "must be hh:mm:ss.ssssss"},
      {9, "07/12/2026,25:00:00.000000", "start date", 0, "is not a valid time of day"},
      {10, "07/12/2026,06:00:00.0000000000", "trigger date", 0, "must have at most 9 digits after the seconds' point"},
      {11, "TEXT", "ft", 0, "must be ASCII, BINARY, BINARY32 or FLOAT32"},
      {11, "FLOAT32", "ft", 0, "BINARY32 and FLOAT32 need rev_year 2013"},
      {12, "0", "timemult", 0, "must be a number above 0"},
  };
  for (const BadCase& b : cases) {
    Config c;
    const Error e = ParseConfig(WithLine(Valid1999(), b.line, b.text), c);
    SCOPED_TRACE(b.text);
    ASSERT_FALSE(e.ok());
    EXPECT_EQ(e.line, static_cast<std::uint32_t>(b.line));
    ASSERT_NE(e.field, nullptr);
    EXPECT_STREQ(e.field, b.field);
    EXPECT_EQ(e.channel, b.channel);
    EXPECT_STREQ(e.reason, b.reason);
  }
}

TEST(ComtradeConfig, DescribeSaysWhere) {
  Config c;
  const Error e = ParseConfig(WithLine(Valid1999(), 4, "2,IA,A,line,A,x,0.5,0,-32767,32767,600,5,S"), c);
  EXPECT_STREQ(Describe(e, "cfg").c_str(), "cfg line 4, field a (analog channel 2): must be a number");
}

// A control byte in a .cfg (a NUL from a damaged file) is refused where it is, rather
// than cutting a name short when the configuration is written again; a tab is text.
TEST(ComtradeConfig, ControlCharactersAreRefused) {
  for (const std::string& bad : {std::string("1,V\0A,A,line,kV,0.01,0,0,-32767,32767,1000,1,P", 46),
                                 std::string("1,V\x1b""A,A,line,kV,0.01,0,0,-32767,32767,1000,1,P"),
                                 std::string("1,V\x7f""A,A,line,kV,0.01,0,0,-32767,32767,1000,1,P")}) {
    Config c;
    const Error e = ParseConfig(WithLine(Valid1999(), 3, bad), c);
    ASSERT_FALSE(e.ok());
    EXPECT_STREQ(Describe(e, "cfg").c_str(), "cfg line 3: holds a control character");
  }
  Config c;
  const Error e = ParseConfig(WithLine(Valid1999(), 3, "1,V\tA,A,line,kV,0.01,0,0,-32767,32767,1000,1,P"), c);
  ASSERT_TRUE(e.ok()) << Describe(e, "cfg").c_str();
  EXPECT_EQ(c.analog[0].id.view(), "V\tA");
}

TEST(ComtradeConfig, MissingAndExtraLines) {
  Config c;
  std::string text = Valid1999();
  text = text.substr(0, text.find("ASCII"));  // ends before ft
  Error e = ParseConfig(text, c);
  EXPECT_EQ(e.line, 11u);
  EXPECT_STREQ(e.field, "ft");
  EXPECT_STREQ(e.reason, "the configuration ends before this line");
  e = ParseConfig(Valid1999() + "\r\nmore\r\n", c);
  EXPECT_EQ(e.line, 14u);
  EXPECT_STREQ(e.reason, "unexpected text after the last line of the configuration");
  EXPECT_TRUE(ParseConfig(Valid1999() + "\r\n\r\n", c).ok());
}

TEST(ComtradeConfig, TooManyAnalogChannelsForTheBuild) {
  Config c;
  const std::string counts = std::to_string(kMaxAnalog + 2) + "," + std::to_string(kMaxAnalog + 1) + "A,1D";
  const Error e = ParseConfig(WithLine(Valid1999(), 2, counts), c);
  EXPECT_STREQ(e.field, "##A");
  EXPECT_STREQ(e.reason, "more analog channels than this build holds");
}

TEST(ComtradeConfig, Revision1991HasShortLinesAndAmericanDates) {
  const std::string text =
      "OLD,REL\n2,1A,1D\n1,VA,A,,V,1,0,0,-32767,32767\n1,D1,0\n50\n1\n1000,10\n12/31/99,23:59:59.5\n"
      "12/31/99,23:59:59.5\nBINARY\n";
  Config c;
  const Error e = ParseConfig(text, c);
  ASSERT_TRUE(e.ok()) << Describe(e, "cfg").c_str();
  EXPECT_EQ(c.revision, Revision::k1991);
  EXPECT_EQ(c.first.year, 1999);
  EXPECT_EQ(c.first.month, 12);
  EXPECT_EQ(c.first.day, 31);
  EXPECT_EQ(c.first.nanosecond, 500'000'000u);
  EXPECT_EQ(c.format, Format::kBinary);
}

TEST(ComtradeConfig, TimestampTimingWhenNratesIsZero) {
  Config c;
  ASSERT_TRUE(ParseConfig(WithLine(WithLine(Valid1999(), 7, "0"), 8, "0,100"), c).ok());
  EXPECT_EQ(c.rate_count, 0u);
  EXPECT_EQ(c.sample_count(), 100u);
  EXPECT_TRUE(std::isnan(c.SampleTime(5)));
}

TEST(ComtradeConfig, SeveralRatesGiveEachSampleItsTime) {
  Config c;
  std::string text = WithLine(Valid1999(), 7, "2");
  text = WithLine(text, 8, "1000,10\r\n2000,20");
  ASSERT_TRUE(ParseConfig(text, c).ok()) << Describe(ParseConfig(text, c), "cfg").c_str();
  EXPECT_DOUBLE_EQ(c.SampleTime(10), 0.009);
  EXPECT_DOUBLE_EQ(c.SampleTime(11), 0.0095);
  EXPECT_DOUBLE_EQ(c.SampleTime(20), 0.0095 + 9 / 2000.0);
}

// ---- the public samples (tests/data/comtrade/README.md) --------------------------------------

TEST(ComtradePublicSample, Ascii2013AsCfgAndDat) {
  Config c;
  const Error e = ParseConfig(ReadData("sample_ascii.cfg"), c);
  ASSERT_TRUE(e.ok()) << Describe(e, "cfg").c_str();
  EXPECT_EQ(c.revision, Revision::k2013);
  EXPECT_EQ(c.analog_count, 4u);
  EXPECT_EQ(c.digital_count, 4u);
  EXPECT_EQ(c.analog[0].id.view(), "IA");
  EXPECT_FALSE(c.analog[0].primary_values);  // "s"
  EXPECT_DOUBLE_EQ(c.analog[0].primary, 933);
  EXPECT_DOUBLE_EQ(c.line_hz, 60);
  EXPECT_DOUBLE_EQ(c.rates[0].rate, 1200);
  EXPECT_EQ(c.sample_count(), 40u);
  EXPECT_EQ(c.time_code.view(), "-5h30");
  EXPECT_EQ(c.time_quality.view(), "B");
  EXPECT_EQ(c.leap_second, 3);
  // The .dat: the first and last records, as the sample's own library reads them.
  const std::string dat = ReadData("sample_ascii.dat");
  std::istringstream lines(dat);
  std::string line;
  double values[4];
  Record r{0, -1, values};
  unsigned n = 0;
  while (std::getline(lines, line)) {
    ++n;
    const Error de = DecodeAsciiRecord(c, line, n, r);
    ASSERT_TRUE(de.ok()) << Describe(de, "dat").c_str();
    if (n == 1) {
      EXPECT_EQ(r.number, 1u);
      EXPECT_EQ(r.timestamp, 72500);
      EXPECT_DOUBLE_EQ(values[0], -83);
      EXPECT_NEAR(c.analog[0].Primary(values[0]) / 933, 0.05694580078125 - 83 * 0.1138916015625, 1e-12);
    }
  }
  EXPECT_EQ(n, 40u);
  EXPECT_EQ(r.number, 40u);
  EXPECT_DOUBLE_EQ(values[3], -110);
}

TEST(ComtradePublicSample, Binary1999) {
  Config c;
  const Error e = ParseConfig(ReadData("sample_bin.cfg"), c);
  ASSERT_TRUE(e.ok()) << Describe(e, "cfg").c_str();
  EXPECT_EQ(c.revision, Revision::k1999);
  EXPECT_EQ(c.format, Format::kBinary);
  EXPECT_EQ(BinaryRecordSize(c), 8u + 4 * 2 + 2);
  const std::string dat = ReadData("sample_bin.dat");
  ASSERT_EQ(dat.size(), c.sample_count() * BinaryRecordSize(c));
  double values[4];
  Record r{0, -1, values};
  for (std::uint32_t i = 0; i < c.sample_count(); ++i) {
    const Error de = DecodeBinaryRecord(c, AsBytes(dat).subspan(i * BinaryRecordSize(c), BinaryRecordSize(c)), i + 1, r);
    ASSERT_TRUE(de.ok()) << Describe(de, "dat").c_str();
    EXPECT_EQ(r.number, i + 1);
  }
  EXPECT_GT(std::fabs(c.analog[0].Primary(values[0])), 0.0);
}

// A .cff: section headers, then the CFG lines, then the DAT section.
struct CffParts {
  std::string cfg;
  std::string dat;
  CffHeader dat_header;
};

CffParts SplitCff(const std::string& cff) {
  CffParts parts;
  std::size_t at = 0;
  bool in_cfg = false;
  while (at < cff.size()) {
    std::size_t end = cff.find('\n', at);
    const std::string line = cff.substr(at, end - at);
    const std::size_t next = end == std::string::npos ? cff.size() : end + 1;
    CffHeader h;
    Error e;
    if (ParseCffHeader(line, h, e)) {
      EXPECT_TRUE(e.ok()) << e.reason;
      in_cfg = h.section == CffSection::kCfg;
      if (h.section == CffSection::kDat) {
        parts.dat_header = h;
        parts.dat = cff.substr(next);
        return parts;
      }
    } else if (in_cfg) {
      parts.cfg += line + "\n";
    }
    at = next;
  }
  return parts;
}

TEST(ComtradePublicSample, Float32Cff) {
  const CffParts parts = SplitCff(ReadData("sample_float32.cff"));
  EXPECT_EQ(parts.dat_header.format, Format::kFloat32);
  EXPECT_EQ(parts.dat_header.bytes, 4214u);
  Config c;
  const Error e = ParseConfig(parts.cfg, c);
  ASSERT_TRUE(e.ok()) << Describe(e, "cfg").c_str();
  EXPECT_EQ(c.format, Format::kFloat32);
  EXPECT_EQ(c.first.fraction_digits, 9);
  EXPECT_DOUBLE_EQ(c.TimestampNs(), 1.0);
  EXPECT_DOUBLE_EQ(c.line_hz, 0);
  ASSERT_EQ(BinaryRecordSize(c), 14u);
  ASSERT_GE(parts.dat.size(), 4214u);
  double value[1];
  Record r{0, -1, value};
  ASSERT_TRUE(DecodeBinaryRecord(c, AsBytes(parts.dat).subspan(0, 14), 1, r).ok());
  EXPECT_EQ(r.number, 1u);
  EXPECT_EQ(r.timestamp, 0);
  ASSERT_TRUE(DecodeBinaryRecord(c, AsBytes(parts.dat).subspan(300 * 14, 14), 301, r).ok());
  EXPECT_EQ(r.number, 301u);
  EXPECT_EQ(r.timestamp, 3000);  // its writer counts 10 per sample; the rate (100/s) gives the timing
}

TEST(ComtradePublicSample, AsciiCffMatchesCfgAndDat) {
  const CffParts parts = SplitCff(ReadData("sample_ascii.cff"));
  EXPECT_EQ(parts.dat_header.format, Format::kAscii);
  EXPECT_EQ(parts.dat, ReadData("sample_ascii.dat"));
  Config a, b;
  ASSERT_TRUE(ParseConfig(parts.cfg, a).ok());
  ASSERT_TRUE(ParseConfig(ReadData("sample_ascii.cfg"), b).ok());
  EXPECT_EQ(a.analog_count, b.analog_count);
  EXPECT_EQ(a.sample_count(), b.sample_count());
}

// ---- data records ---------------------------------------------------------------------------

TEST(ComtradeData, MalformedAsciiRecordsNameTheField) {
  Config c;
  ASSERT_TRUE(ParseConfig(Valid1999(), c).ok());
  double values[2];
  Record r{0, -1, values};
  struct {
    const char* line;
    const char* field;
    unsigned channel;
    const char* reason;
  } cases[] = {
      {"x,0,1,2,0", "n", 0, "must be a whole number"},
      {"1,-5,1,2,0", "timestamp", 0, "must be a whole number, 0 or more, or empty"},
      {"1,0,1,zz,0", "value", 2, "must be a number"},
      {"1,0,1,2,7", "status", 0, "must be 0 or 1"},
      {"1,0,1,2", nullptr, 0, "fewer fields than n, timestamp and the channels"},
      {"1,0,1,2,0,0", nullptr, 0, "more fields than n, timestamp and the channels"},
  };
  for (const auto& k : cases) {
    SCOPED_TRACE(k.line);
    const Error e = DecodeAsciiRecord(c, k.line, 9, r);
    ASSERT_FALSE(e.ok());
    EXPECT_EQ(e.line, 9u);
    if (k.field) {
      EXPECT_STREQ(e.field, k.field);
    } else {
      EXPECT_EQ(e.field, nullptr);
    }
    EXPECT_EQ(e.channel, k.channel);
    EXPECT_STREQ(e.reason, k.reason);
  }
  EXPECT_STREQ(Describe(DecodeAsciiRecord(c, "1,0,1,zz,0", 9, r), "dat").c_str(),
               "dat record 9, field value (analog channel 2): must be a number");
  // Missing values: 99999 (1999) and an empty field (2013); a missing time stamp.
  ASSERT_TRUE(DecodeAsciiRecord(c, "3,,99999,,1", 1, r).ok());
  EXPECT_EQ(r.timestamp, -1);
  EXPECT_TRUE(std::isnan(values[0]));
  EXPECT_TRUE(std::isnan(values[1]));
}

TEST(ComtradeData, BinaryRecordOfTheWrongSize) {
  Config c;
  ASSERT_TRUE(ParseConfig(WithLine(Valid1999(), 11, "BINARY"), c).ok());
  std::byte bytes[13] = {};
  double values[2];
  Record r{0, -1, values};
  const Error e = DecodeBinaryRecord(c, ByteSpan(bytes, 13), 4, r);
  EXPECT_EQ(e.line, 4u);
  EXPECT_STREQ(e.reason, "record is not of the record size");
}

TEST(ComtradeCff, SectionHeaders) {
  CffHeader h;
  Error e;
  EXPECT_FALSE(ParseCffHeader("1,VA,A", h, e));
  ASSERT_TRUE(ParseCffHeader("--- file type: DAT BINARY32: 120 ---", h, e));
  EXPECT_TRUE(e.ok());
  EXPECT_EQ(h.section, CffSection::kDat);
  EXPECT_EQ(h.format, Format::kBinary32);
  EXPECT_EQ(h.bytes, 120u);
  ASSERT_TRUE(ParseCffHeader("--- file type: DAT BINARY ---", h, e));
  EXPECT_STREQ(e.reason, "a binary DAT section needs its byte count (DAT BINARY: n)");
  ASSERT_TRUE(ParseCffHeader("--- file type: XYZ ---", h, e));
  EXPECT_STREQ(e.reason, "must be CFG, INF, HDR or DAT");
  ASSERT_TRUE(ParseCffHeader("--- file type: DAT TEXT ---", h, e));
  EXPECT_STREQ(e.reason, "DAT must be ASCII, BINARY, BINARY32 or FLOAT32");
  ASSERT_TRUE(ParseCffHeader("--- file type: CFG", h, e));
  EXPECT_STREQ(e.reason, "a section header ends with ---");
}

// ---- writing and reading back -------------------------------------------------------------

class ComtradeRoundTrip : public ::testing::TestWithParam<std::tuple<Format, Revision>> {};

TEST_P(ComtradeRoundTrip, WrittenRecordsReadBackTheSame) {
  const auto [format, revision] = GetParam();
  Config c;
  c.station = FixedString<64>(std::string_view("ROUND"));
  c.device = FixedString<64>(std::string_view("TRIP"));
  c.revision = revision;
  c.analog_count = 3;
  c.digital_count = 17;
  for (std::uint32_t i = 0; i < 3; ++i) {
    AnalogChannel& a = c.analog[i];
    a.index = i + 1;
    a.id = FixedString<64>(std::string_view(i == 0 ? "VA" : i == 1 ? "VB" : "VC"));
    a.units = FixedString<16>(std::string_view("V"));
    a.a = 0.125 * (i + 1);
    a.b = -1.5;
    a.min = -32767;
    a.max = 32767;
    a.primary = 2000;
    a.secondary = 1;
    a.primary_values = i != 2;
  }
  c.line_hz = 50;
  c.rate_count = 1;
  c.rates[0] = {4800, 64};
  c.first = Stamp{2026, 12, 7, 6, 1, 2, 123'456'000, 6};
  c.trigger = c.first;
  c.format = format;
  c.timemult = 1;
  char text[4096];
  const auto n = WriteConfig(c, text);
  ASSERT_TRUE(n.ok());
  Config back;
  const Error e = ParseConfig(std::string_view(text, *n), back);
  ASSERT_TRUE(e.ok()) << Describe(e, "cfg").c_str() << "\n" << std::string_view(text, *n);
  EXPECT_EQ(back.revision, revision);
  EXPECT_EQ(back.format, format);
  EXPECT_EQ(back.analog_count, 3u);
  EXPECT_EQ(back.digital_count, 17u);
  EXPECT_EQ(back.analog[2].primary_values, revision == Revision::k1991);  // 1991 has no PS: primary
  EXPECT_DOUBLE_EQ(back.analog[1].a, 0.25);
  EXPECT_EQ(back.first.UnixNs(), c.first.UnixNs());
  EXPECT_EQ(back.sample_count(), 64u);

  for (std::uint32_t k = 1; k <= 64; ++k) {
    double values[3] = {900.0 * k - 28000, -7.0 * k, k % 5 == 0 ? std::nan("") : 3.0 * k};
    Record r{k, 208 * (k - 1), values};
    double read[3];
    Record got{0, -1, read};
    if (format == Format::kAscii) {
      char line[256];
      const auto m = WriteAsciiRecord(c, r, line);
      ASSERT_TRUE(m.ok());
      std::string_view l(line, *m);
      ASSERT_TRUE(l.ends_with("\r\n"));
      l.remove_suffix(2);
      const Error de = DecodeAsciiRecord(back, l, k, got);
      ASSERT_TRUE(de.ok()) << Describe(de, "dat").c_str() << " " << l;
    } else {
      std::byte bytes[64];
      const auto m = WriteBinaryRecord(c, r, bytes);
      ASSERT_TRUE(m.ok());
      ASSERT_EQ(*m, BinaryRecordSize(back));
      ASSERT_TRUE(DecodeBinaryRecord(back, ByteSpan(bytes, *m), k, got).ok());
    }
    EXPECT_EQ(got.number, k);
    EXPECT_EQ(got.timestamp, 208 * (k - 1));
    for (int i = 0; i < 3; ++i) {
      if (std::isnan(values[i])) {
        EXPECT_TRUE(std::isnan(read[i]));
      } else {
        EXPECT_DOUBLE_EQ(read[i], values[i]);
      }
    }
  }
}

// Every format of every revision that has it (BINARY32 and FLOAT32 are 2013's).
INSTANTIATE_TEST_SUITE_P(EveryFormat, ComtradeRoundTrip,
                         ::testing::Values(std::tuple{Format::kAscii, Revision::k1991},
                                           std::tuple{Format::kBinary, Revision::k1991},
                                           std::tuple{Format::kAscii, Revision::k1999},
                                           std::tuple{Format::kBinary, Revision::k1999},
                                           std::tuple{Format::kAscii, Revision::k2013},
                                           std::tuple{Format::kBinary, Revision::k2013},
                                           std::tuple{Format::kBinary32, Revision::k2013},
                                           std::tuple{Format::kFloat32, Revision::k2013}));

TEST(ComtradeWrite, TooSmallABufferIsAnError) {
  Config c;
  ASSERT_TRUE(ParseConfig(Valid1999(), c).ok());
  char small[40];
  EXPECT_EQ(WriteConfig(c, small).status().code(), StatusCode::kResourceExhausted);
}

TEST(ComtradeNumbers, DecimalForms) {
  Config c;
  std::string text = WithLine(Valid1999(), 3, "1,VA,A,line,kV,1.5E-3,-.25,+2,-32767,32767,1e3,1,P");
  const Error e = ParseConfig(text, c);
  ASSERT_TRUE(e.ok()) << Describe(e, "cfg").c_str();
  EXPECT_DOUBLE_EQ(c.analog[0].a, 0.0015);
  EXPECT_DOUBLE_EQ(c.analog[0].b, -0.25);
  EXPECT_DOUBLE_EQ(c.analog[0].skew_us, 2);
  EXPECT_DOUBLE_EQ(c.analog[0].primary, 1000);
}

}  // namespace
}  // namespace pmu::proto::comtrade
