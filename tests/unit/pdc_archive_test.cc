// pdc's archive (pdc/archive): URLs, times, the text forms both databases store and
// their parsers, configuration rows and their ids, report rows in engineering units,
// and the writer itself into a SQLite file read back through the reader.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "archive/archive.h"
#include "archive/backend.h"
#include "archive/record.h"

namespace pmu::pdc::archive {
namespace {

namespace p = proto::c37118;

// A one-PMU CFG-2: VA (V), IA (A) as 16-bit integers with PHUNIT, P as an integer
// analog with ANUNIT 2, one digital word, float frequency.
struct TestConfig {
  std::unique_ptr<p::ConfigFrame> frame = std::make_unique<p::ConfigFrame>();
  std::vector<std::byte> bytes = std::vector<std::byte>(4096);

  explicit TestConfig(std::uint16_t cfgcnt = 3, std::uint16_t idcode = 7) {
    p::ConfigFrame& c = *frame;
    c.type = p::FrameType::kConfig2;
    c.idcode = idcode;
    c.time_base = 1'000'000;
    c.pmu_count = 1;
    c.data_rate = 30;
    p::PmuConfig& m = c.pmus[0];
    m.station_name = "Sub \"A\"";
    m.idcode = idcode;
    m.format = {true, false, false, true};  // polar, integer phasors and analogs, float frequency
    m.phasor_count = 2;
    m.analog_count = 1;
    m.digital_count = 1;
    m.phasor_names[0] = "VA";
    m.phasor_names[1] = "IA";
    m.phasor_units[0] = {p::PhasorKind::kVoltage, 100000};  // 1 V per bit
    m.phasor_units[1] = {p::PhasorKind::kCurrent, 1000};    // 0.01 A per bit
    m.analog_names[0] = "P";
    m.analog_units[0] = {0, 2};
    for (std::size_t i = 0; i < 16; ++i) m.digital_names[i] = i == 0 ? "BRK" : "";
    m.digital_units[0] = {0, 0xFFFF};
    m.config_count = cfgcnt;
    const auto n = p::EncodeConfig(c, bytes);
    EXPECT_TRUE(n.ok());
    bytes.resize(n.value_or(0));
    EXPECT_TRUE(p::DecodeConfig(ByteSpan(bytes), c).ok());  // views into our bytes
  }
  std::vector<std::byte> Data(std::uint32_t soc, std::uint32_t fraction, float freq) const {
    p::DataFrame d;
    d.idcode = frame->idcode;
    d.pmu_count = 1;
    d.time = *p::Timestamp::Make(soc, fraction);
    d.pmus[0].stat = 0x0040;
    d.pmus[0].phasors[0] = {1200, 5236};  // 1200 V at 0.5236 rad
    d.pmus[0].phasors[1] = {NAN, NAN};    // missing: 0x8000 in integer formats
    d.pmus[0].frequency = freq;
    d.pmus[0].rocof = 0.25f;
    d.pmus[0].analogs[0] = 21;
    d.pmus[0].digitals[0] = 0x0001;
    std::vector<std::byte> out(512);
    const auto n = p::EncodeData(d, *frame, out);
    EXPECT_TRUE(n.ok());
    out.resize(n.value_or(0));
    return out;
  }
};

TEST(ArchiveUrl, SqliteAndPostgres) {
  const ArchiveUrl s = ParseArchiveUrl("sqlite:data/lab.db");
  EXPECT_EQ(s.kind, ArchiveUrl::Kind::kSqlite);
  EXPECT_EQ(s.target, "data/lab.db");
  const ArchiveUrl pg = ParseArchiveUrl("postgresql://lab:s3cret@db.example/pmu?sslmode=require&password=x1");
  EXPECT_EQ(pg.kind, ArchiveUrl::Kind::kPostgres);
  EXPECT_EQ(pg.target, "postgresql://lab:s3cret@db.example/pmu?sslmode=require&password=x1");
  EXPECT_EQ(pg.shown.find("s3cret"), std::string::npos) << pg.shown;
  EXPECT_EQ(pg.shown.find("x1"), std::string::npos) << pg.shown;
  EXPECT_EQ(pg.shown, "postgresql://lab@db.example/pmu?sslmode=require&password=...");
  EXPECT_EQ(ParseArchiveUrl("postgres:///pmu").kind, ArchiveUrl::Kind::kPostgres);
}

TEST(ArchiveUrl, RefusedWithTheFormExpected) {
  for (const char* bad : {"sqlite:", "sqlite://x.db", "mysql://x", "lab.db", ""}) {
    try {
      ParseArchiveUrl(bad);
      FAIL() << bad;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("sqlite:"), std::string::npos) << e.what();
    }
  }
}

TEST(ArchiveTime, Forms) {
  EXPECT_EQ(ParseTimeArg("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(ParseTimeArg("2026-11-22T10:15:30Z"), 1795342530LL * 1'000'000);
  EXPECT_EQ(ParseTimeArg("2026-11-22T10:15:30.033333Z"), 1795342530LL * 1'000'000 + 33333);
  EXPECT_EQ(ParseTimeArg("2026-11-22T11:15:30.5+01:00"), 1795342530LL * 1'000'000 + 500000);
  EXPECT_EQ(ParseTimeArg("2026-11-22T05:15-05:00"), 1795342500LL * 1'000'000);
  EXPECT_EQ(ParseTimeArg("2026-11-22"), 1795305600LL * 1'000'000);
  EXPECT_EQ(ParseTimeArg("1795342530.25"), 1795342530LL * 1'000'000 + 250000);
  EXPECT_EQ(ParseTimeArg("2000-02-29T00:00:00Z"), 951782400LL * 1'000'000);  // a leap day
  EXPECT_EQ(FormatUtcUs(1795342530LL * 1'000'000 + 33333), "2026-11-22T10:15:30.033333Z");
  EXPECT_EQ(ParseTimeArg(FormatUtcUs(123456789012345)), 123456789012345);
}

TEST(ArchiveTime, BadTimesSayWhatIsWrong) {
  const std::pair<const char*, const char*> cases[] = {
      {"2026-11-22T10:15:30", "time zone"},  {"2026-13-01", "no such date"},  {"2026-11-22T25:00Z", "no such time"},
      {"22/11/2026", "expected"},            {"1.2.3", "one '.'"},            {"2026-11-22T10:15:30.1234567Z", "6 decimals"},
      {"2026-11-22T10:15:30Zx", "after the time"}, {"", "empty"},
      {"10000000000000.5", "out of range"},  {"253402300800", "out of range"}};
  for (const auto& [text, why] : cases) {
    try {
      ParseTimeArg(text);
      FAIL() << text;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(why), std::string::npos) << text << ": " << e.what();
    }
  }
}

TEST(ArchiveText, ArraysRoundTrip) {
  const float values[] = {1.5f, -0.1f, 132790.1f, NAN, 3.4028235e38f};
  std::string json;
  AppendJsonArray(json, values);
  EXPECT_EQ(json, "[1.5,-0.1,132790.1,null,3.4028235e+38]");
  const auto back = ParseNumberArray(json);
  ASSERT_EQ(back.size(), 5u);
  for (std::size_t k = 0; k < 5; ++k) {
    if (std::isnan(values[k])) {
      EXPECT_TRUE(std::isnan(back[k]));
    } else {
      EXPECT_EQ(static_cast<float>(back[k]), values[k]);  // the float, exactly
    }
  }
  std::string pg;
  AppendPgArray(pg, values);
  EXPECT_EQ(pg, "{1.5,-0.1,132790.1,NULL,3.4028235e+38}");
  EXPECT_TRUE(ParseNumberArray(" [ ] ").empty());
  const std::vector<std::string> names = {"VA", "a \"quoted\" \\ name", std::string("\xe9t\x01", 3)};
  std::string text;
  AppendJsonArray(text, names);
  EXPECT_EQ(ParseStringArray(text), names);
  EXPECT_EQ(ParseStringArray(R"(["\u0041\n\/", "\u00e9"])"), (std::vector<std::string>{"A\n/", "\xe9"}));
}

TEST(ArchiveText, BadArraysSayWhere) {
  for (const char* bad : {"", "[", "[1,", "[1 2]", "[1]x", "[nul]", "[\"a]", "[\"\\x\"]", "{1}", "[1,]"}) {
    EXPECT_THROW(ParseNumberArray(bad), std::invalid_argument) << bad;
  }
  for (const char* bad : {"[\"a\"", "[a]", "[\"\\u12\"]", "[\"\x01\"]"}) {
    EXPECT_THROW(ParseStringArray(bad), std::invalid_argument) << bad;
  }
}

TEST(ArchiveRows, ConfigurationRowAndItsId) {
  const TestConfig c;
  const ConfigRow row = DescribeConfig(*c.frame, 0, 111);
  EXPECT_EQ(row.idcode, 7);
  EXPECT_EQ(row.station, "Sub \"A\"");
  EXPECT_EQ(row.cfgcnt, 3);
  EXPECT_EQ(row.frame, "CFG-2");
  EXPECT_EQ(row.phasor_names, (std::vector<std::string>{"VA", "IA"}));
  EXPECT_EQ(row.phasor_units, (std::vector<std::string>{"V", "A"}));
  EXPECT_EQ(row.analog_names, std::vector<std::string>{"P"});
  ASSERT_EQ(row.digital_names.size(), 16u);
  EXPECT_EQ(row.digital_names[0], "BRK");
  EXPECT_GT(row.config_id, 0);
  // The same configuration read at another time is the same row; a new CFGCNT is not.
  EXPECT_EQ(DescribeConfig(*c.frame, 0, 999).config_id, row.config_id);
  EXPECT_NE(DescribeConfig(*TestConfig(4).frame, 0, 111).config_id, row.config_id);
  EXPECT_NE(DescribeConfig(*TestConfig(3, 8).frame, 0, 111).config_id, row.config_id);
}

TEST(ArchiveRows, ReportInEngineeringUnits) {
  const TestConfig c;
  const auto bytes = c.Data(1795342530, 33333, 59.95f);
  p::DataFrame d;
  ASSERT_TRUE(p::DecodeData(ByteSpan(bytes), *c.frame, d).ok());
  ReportRow r;
  FillReport(*c.frame, 0, d, 42, r);
  EXPECT_EQ(r.time_us, 1795342530LL * 1'000'000 + 33333);
  EXPECT_EQ(r.idcode, 7);
  EXPECT_EQ(r.config_id, 42);
  EXPECT_EQ(r.stat, 0x0040);
  EXPECT_NEAR(r.freq_hz, 59.95, 1e-5);
  EXPECT_NEAR(r.rocof_hz_s, 0.25, 1e-6);
  ASSERT_EQ(r.phasor_count, 2);
  EXPECT_NEAR(r.magnitude[0], 1200.0, 1e-3);  // PHUNIT 100000 * 1e-5 V per bit
  EXPECT_NEAR(r.angle_deg[0], 30.0, 1e-3);
  // An integer phasor's "missing" word (0x8000) is scaled like any other, as every
  // pdc output shows it (the one scaling rule); float NaN stays NULL (ArraysRoundTrip).
  EXPECT_NEAR(r.magnitude[1], 32768 * 0.01, 1e-3);
  EXPECT_NEAR(r.analog[0], 42.0, 1e-6);     // ANUNIT 2
  EXPECT_EQ(r.digital_count, 1);
  EXPECT_EQ(r.digital[0], 1);
  EXPECT_EQ(SetTimeUs(1795342530LL * 30 + 2, 30), 1795342530LL * 1'000'000 + 66667);  // rounded, not cut
}

TEST(ArchiveRows, ColumnsReadBack) {
  const ReportRow r = ReportFromColumns(5, 7, 9, 64, 60.0, std::nullopt, "[1,2]", "[3,4]", "[]", "[65535]");
  EXPECT_EQ(r.phasor_count, 2);
  EXPECT_TRUE(std::isnan(r.rocof_hz_s));
  EXPECT_EQ(r.digital[0], 65535);
  EXPECT_THROW(ReportFromColumns(5, 7, 9, 64, 60.0, 0.0, "[1,2]", "[3]", "[]", "[]"), ArchiveError);
  EXPECT_THROW(ReportFromColumns(5, 7, 9, 64, 60.0, 0.0, "[1]", "[3]", "[]", "[70000]"), ArchiveError);
  EXPECT_THROW(ReportFromColumns(5, 7, 9, 64, 60.0, 0.0, "[1", "[3]", "[]", "[]"), ArchiveError);
}

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/pmu-archive-test-XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string File(const char* name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// The writer thread, SQLite and the reader together, as pdc uses them.
TEST(ArchiveWriter, SqliteRowsConfigurationsAndEventsReadBack) {
  const TempDir dir;
  const ArchiveUrl url = ParseArchiveUrl("sqlite:" + dir.File("a.db"));
  const TestConfig c;
  {
    Archive a(url, 1000, {{"sub-a:4712", 7}}, "test");
    a.OnConfig(0, c.bytes, 0);
    for (std::uint32_t k = 0; k < 30; ++k) {
      a.OnData(0, c.Data(1795342530, k * 33333, 60.0f + 0.001f * static_cast<float>(k)), observe::Arrival::kAccepted, 0);
    }
    a.OnData(0, c.Data(1795342530, 5 * 33333, 1.0f), observe::Arrival::kDuplicate, 0);  // not archived
    a.OnConfig(0, c.bytes, 0);  // read again, unchanged: no new row
    a.Finish();
    EXPECT_EQ(a.totals().rows, 30u);
    EXPECT_EQ(a.totals().configs, 1u);
    EXPECT_EQ(a.totals().dropped, 0u);
  }
  auto reader = OpenReader(url);
  Query q{INT64_MIN, INT64_MAX, {}};
  const auto configs = reader->Configs(q);
  ASSERT_EQ(configs.size(), 1u);
  EXPECT_EQ(configs[0].station, "Sub \"A\"");
  std::vector<ReportRow> rows;
  reader->Reports(q, [&](const ReportRow& r) { rows.push_back(r); });
  ASSERT_EQ(rows.size(), 30u);
  EXPECT_EQ(rows[3].time_us, 1795342530LL * 1'000'000 + 99999);
  EXPECT_FLOAT_EQ(static_cast<float>(rows[3].freq_hz), 60.003f);
  EXPECT_EQ(rows[3].config_id, configs[0].config_id);
  std::vector<EventRow> events;
  reader->Events(q, [&](const EventRow& e) { events.push_back(e); });
  ASSERT_EQ(events.size(), 2u);  // the duplicate (by report time), then the configuration (by host time)
  EXPECT_EQ(events[0].kind, "duplicate");
  EXPECT_EQ(events[0].count, 1u);
  EXPECT_EQ(events[0].idcode, 7);
  EXPECT_EQ(events[1].kind, "config");
  EXPECT_NE(events[1].detail.find("CFGCNT 3"), std::string::npos) << events[1].detail;
  // --from/--to and --pmu.
  rows.clear();
  reader->Reports({1795342530LL * 1'000'000 + 99999, 1795342530LL * 1'000'000 + 166665, {7}},
                  [&](const ReportRow& r) { rows.push_back(r); });
  EXPECT_EQ(rows.size(), 2u);
  rows.clear();
  reader->Reports({INT64_MIN, INT64_MAX, {8}}, [&](const ReportRow& r) { rows.push_back(r); });
  EXPECT_TRUE(rows.empty());
}

TEST(ArchiveWriter, FullBufferDropsNewRowsCountsThemAndRecordsIt) {
  const TempDir dir;
  const ArchiveUrl url = ParseArchiveUrl("sqlite:" + dir.File("b.db"));
  const TestConfig c;
  Archive a(url, 5, {{"sub-a:4712", 7}}, "test");
  a.OnConfig(0, c.bytes, 0);
  // Faster than the writer takes them (it wakes every 200 ms): the sixth row on is dropped.
  for (std::uint32_t k = 0; k < 20; ++k) a.OnData(0, c.Data(1795342530, k * 33333, 60.0f), observe::Arrival::kAccepted, 0);
  a.Finish();
  const ArchiveTotals t = a.totals();
  EXPECT_EQ(t.rows + t.dropped, 20u);
  EXPECT_GE(t.dropped, 15u);
  auto reader = OpenReader(url);
  std::uint64_t recorded = 0;
  reader->Events({INT64_MIN, INT64_MAX, {}}, [&](const EventRow& e) {
    if (e.kind == "archive_dropped") recorded += e.count;
  });
  EXPECT_EQ(recorded, t.dropped);
}

TEST(ArchiveWriter, UnusableDatabaseIsSaidAtTheStart) {
  EXPECT_THROW(Archive(ParseArchiveUrl("sqlite:/nonexistent-dir/x.db"), 10, {}, "test"), ArchiveError);
  const TempDir dir;
  const std::string file = dir.File("other.db");
  ASSERT_EQ(std::system(("sqlite3 " + file + " \"CREATE TABLE pdc_archive (key TEXT PRIMARY KEY, value TEXT NOT NULL); "
                         "INSERT INTO pdc_archive VALUES ('schema_version', '99')\"").c_str()),
            0);
  try {
    OpenWriter(ParseArchiveUrl("sqlite:" + file));
    FAIL();
  } catch (const ArchiveError& e) {
    EXPECT_NE(std::string(e.what()).find("schema version '99'"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace pmu::pdc::archive
