// pdc's COMTRADE recorder: the channels it names, the values it writes (scaled by the one
// rule of format.h), and the missing instants it fills so the rate keeps the time; read
// back with the project's parser.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "c37/comtrade_recorder.h"
#include "pmu/proto/comtrade.h"

namespace pmu::pdc::c37 {
namespace {

namespace p = proto::c37118;
namespace ct = proto::comtrade;

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(PdcComtradeRecorder, NamesValuesAndGaps) {
  auto config = std::make_unique<p::ConfigFrame>();
  config->pmu_count = 1;
  config->data_rate = 30;
  config->time_base = 1'000'000;
  p::PmuConfig& pmu = config->pmus[0];
  pmu.station_name = "pmu7";
  pmu.format = {true, true, true, true};
  pmu.phasor_count = 2;
  pmu.phasor_names[0] = "VA";
  pmu.phasor_names[1] = "IA";
  pmu.phasor_units[1].kind = p::PhasorKind::kCurrent;
  pmu.analog_count = 1;
  pmu.analog_names[0] = "P";
  auto data = std::make_unique<p::DataFrame>();
  data->pmu_count = 1;
  p::PmuData& d = data->pmus[0];
  d.phasors[0] = {132790.0f, 0.5f};
  d.phasors[1] = {500.0f, -0.25f};
  d.frequency = 60.25f;
  d.rocof = 0.125f;
  d.analogs[0] = 1.5e8f;

  const std::string prefix = ::testing::TempDir() + "pdc_comtrade_test";
  {
    ComtradeRecorder r(prefix);
    const std::vector<RecordedBlock> blocks = {{config.get(), 0, &d}};
    const std::uint32_t soc = 1'795'000'000;
    r.Start(blocks, 30, soc, 100'000, 1'000'000);  // 3 reports into the second
    r.Add(blocks, soc, 100'000, 1'000'000);
    r.Add(blocks, soc, 133'333, 1'000'000);
    r.Add(blocks, soc, 100'000, 1'000'000);  // late: ignored
    r.Add(blocks, soc, 233'333, 1'000'000);  // two instants missing before it
    r.Add({{config.get(), 0, nullptr}}, soc, 266'667, 1'000'000);  // the PMU missing
    r.Finish();
    EXPECT_EQ(r.records(), 6u);
    EXPECT_EQ(r.gap_records(), 2u);
  }
  ct::Config c;
  const ct::Error e = ct::ParseConfig(Slurp(prefix + ".cfg"), c);
  ASSERT_TRUE(e.ok()) << ct::Describe(e, "cfg").c_str();
  EXPECT_EQ(c.revision, ct::Revision::k2013);
  EXPECT_EQ(c.format, ct::Format::kFloat32);
  EXPECT_EQ(c.sample_count(), 6u);
  EXPECT_DOUBLE_EQ(c.rates[0].rate, 30);
  EXPECT_EQ(c.first.second, 40);  // 1795000000 is 2026-11-18T07:33:40Z
  EXPECT_EQ(c.first.nanosecond, 100'000'000u);
  ASSERT_EQ(c.analog_count, 7u);
  const char* names[] = {"pmu7 VA mag", "pmu7 VA ang", "pmu7 IA mag", "pmu7 IA ang", "pmu7 FREQ", "pmu7 ROCOF",
                         "pmu7 P"};
  const char* units[] = {"V", "deg", "A", "deg", "Hz", "Hz/s", ""};
  for (int i = 0; i < 7; ++i) {
    EXPECT_EQ(c.analog[i].id.view(), names[i]);
    EXPECT_EQ(c.analog[i].units.view(), units[i]);
  }
  const std::string dat = Slurp(prefix + ".dat");
  const std::size_t size = ct::BinaryRecordSize(c);
  ASSERT_EQ(dat.size(), 6 * size);
  double v[7];
  ct::Record rec{0, -1, v};
  for (std::uint32_t k = 0; k < 6; ++k) {
    ASSERT_TRUE(ct::DecodeBinaryRecord(c, AsBytes(dat).subspan(k * size, size), k + 1, rec).ok());
    EXPECT_EQ(rec.number, k + 1);
    EXPECT_NEAR(static_cast<double>(rec.timestamp), k * 1e6 / 30, 1);
    const bool missing = k == 2 || k == 3 || k == 5;
    EXPECT_EQ(std::isnan(v[0]), missing) << "record " << k;
    if (missing) continue;
    EXPECT_FLOAT_EQ(static_cast<float>(v[0]), 132790.0f);
    EXPECT_NEAR(v[1], 0.5 * 180 / 3.14159265358979, 1e-4);
    EXPECT_NEAR(v[3], -0.25 * 180 / 3.14159265358979, 1e-4);
    EXPECT_FLOAT_EQ(static_cast<float>(v[4]), 60.25f);
    EXPECT_FLOAT_EQ(static_cast<float>(v[5]), 0.125f);
    EXPECT_FLOAT_EQ(static_cast<float>(v[6]), 1.5e8f);
  }
  std::remove((prefix + ".cfg").c_str());
  std::remove((prefix + ".dat").c_str());
}

// Values given directly (as pdc archive export does): one block per PMU in Start's
// order, a PMU without a report or with a report of another width is missing values,
// and the instant comes from the time in microseconds at the record's rate.
TEST(PdcComtradeRecorder, ValuesPerPmuBlock) {
  RecordedPmu a;
  a.station = "a,b";  // a comma would split the .cfg's fields
  a.phasor_names = {"V1"};
  a.phasor_is_current = {false};
  a.nominal_hz = 50;
  RecordedPmu b;
  b.station = "s2";
  b.analog_names = {"P"};
  const std::string prefix = ::testing::TempDir() + "pdc_comtrade_values";
  const std::int64_t t0 = 1'795'000'000'000'000 + 20'000;  // report 1 of 50 into the second
  {
    ComtradeRecorder r(prefix);
    r.Start({a, b}, 50, t0);
    const std::vector<double> va = {230.0, -30.0, 50.01, 0.02}, vb = {49.99, -0.01, 7.5};
    const std::vector<double> wrong = {1.0, 2.0};
    r.Add(t0, {va, vb});
    r.Add(t0 + 20'003, {{}, vb});      // rounds to the next instant; a is missing
    r.Add(t0 + 40'000, {va, wrong});   // b's report has another layout
    r.Add(t0 + 20'000, {va, vb});      // before the last written: ignored
    r.Finish();
    EXPECT_EQ(r.records(), 3u);
    EXPECT_EQ(r.gap_records(), 0u);
  }
  ct::Config c;
  ASSERT_TRUE(ct::ParseConfig(Slurp(prefix + ".cfg"), c).ok());
  ASSERT_EQ(c.analog_count, 7u);
  EXPECT_EQ(c.analog[0].id.view(), "a b V1 mag");
  EXPECT_EQ(c.analog[6].id.view(), "s2 P");
  EXPECT_EQ(c.first.nanosecond, 20'000'000u);
  const std::string dat = Slurp(prefix + ".dat");
  const std::size_t size = ct::BinaryRecordSize(c);
  ASSERT_EQ(dat.size(), 3 * size);
  double v[7];
  ct::Record rec{0, -1, v};
  ASSERT_TRUE(ct::DecodeBinaryRecord(c, AsBytes(dat).subspan(0, size), 1, rec).ok());
  EXPECT_FLOAT_EQ(static_cast<float>(v[0]), 230.0f);
  EXPECT_FLOAT_EQ(static_cast<float>(v[6]), 7.5f);
  ASSERT_TRUE(ct::DecodeBinaryRecord(c, AsBytes(dat).subspan(size, size), 2, rec).ok());
  EXPECT_TRUE(std::isnan(v[0]) && std::isnan(v[3]));
  EXPECT_FLOAT_EQ(static_cast<float>(v[4]), 49.99f);
  EXPECT_NEAR(static_cast<double>(rec.timestamp), 20'000, 1);
  ASSERT_TRUE(ct::DecodeBinaryRecord(c, AsBytes(dat).subspan(2 * size, size), 3, rec).ok());
  EXPECT_FLOAT_EQ(static_cast<float>(v[1]), -30.0f);
  EXPECT_TRUE(std::isnan(v[4]) && std::isnan(v[6]));
  std::remove((prefix + ".cfg").c_str());
  std::remove((prefix + ".dat").c_str());
}

TEST(PdcComtradeRecorder, UnwritablePrefixIsALocalError) {
  EXPECT_THROW(ComtradeRecorder("/nonexistent-dir/x"), std::runtime_error);
}

}  // namespace
}  // namespace pmu::pdc::c37
