// pdc's text forms of C37.118.2 data (pdc/c37/format.h) follow one scaling rule: the
// same device data read with the device's CFG-2 and with its CFG-3 shows the same
// engineering values in every output, and JSON adds the integers as sent for integer
// formats. The frames come from the device's own encoder (C37Pmu).
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "c37/format.h"
#include "pmu/firmware/measurement/phasor_estimator.h"
#include "pmu/firmware/measurement/synthetic_front_end.h"
#include "pmu/firmware/measurement/c37_pmu.h"
#include "test_json.h"

namespace pmu::pdc::c37 {
namespace {

namespace p = proto::c37118;
using firmware::C37Config;
using firmware::C37Pmu;
using firmware::Estimate;
using test::Json;
using test::JsonReader;

constexpr float kVolts = 132790.0f, kAmperes = 500.0f, kLag = 0.5f;  // current lags by 0.5 rad

// The device's CFG-2, CFG-3 and one data frame for `c`, decoded. Views in the configs
// point into the byte buffers held here.
struct DeviceFrames {
  firmware::SyntheticFrontEnd fe;
  firmware::PhasorEstimator est;
  C37Pmu pmu;
  std::vector<std::byte> cfg2_bytes = std::vector<std::byte>(C37Pmu::kMaxConfigFrame);
  std::vector<std::byte> cfg3_bytes = std::vector<std::byte>(C37Pmu::kMaxConfigFrame);
  std::unique_ptr<p::ConfigFrame> cfg2 = std::make_unique<p::ConfigFrame>();
  std::unique_ptr<p::ConfigFrame> cfg3 = std::make_unique<p::ConfigFrame>();
  std::unique_ptr<p::DataFrame> data = std::make_unique<p::DataFrame>();

  explicit DeviceFrames(const C37Config& c) {
    EXPECT_TRUE(fe.Configure({}, c.nominal_hz, 0).ok());
    EXPECT_TRUE(est.Configure({c.nominal_hz, c.rate, c.measurement_class}, fe).ok());
    EXPECT_TRUE(pmu.Configure(c, est, kVolts, kAmperes, 7, "test-board", "9.9").ok());
    Read(p::FrameType::kConfig2, cfg2_bytes, *cfg2);
    Read(p::FrameType::kConfig3, cfg3_bytes, *cfg3);
    std::byte buf[C37Pmu::kMaxDataFrame];
    const auto n = pmu.EncodeData(Balanced(), {}, buf);
    EXPECT_TRUE(n.ok());
    EXPECT_TRUE(p::DecodeData(ByteSpan(buf, n.value_or(0)), *cfg2, *data).ok());
  }
  void Read(p::FrameType type, std::vector<std::byte>& bytes, p::ConfigFrame& out) {
    const auto n = pmu.EncodeConfig(type, 1'795'000'000'000'000'000LL, {}, bytes);
    ASSERT_TRUE(n.ok());
    bytes.resize(*n);
    ASSERT_TRUE(p::DecodeConfig(ByteSpan(bytes), out).ok());
  }
  // A balanced three-phase system at nominal rms, 1/30 s into a second.
  static Estimate Balanced() {
    Estimate e;
    e.sample = 1'795'000'000LL * firmware::kSampleRate + 80;
    for (int ph = 0; ph < 3; ++ph) {
      const float a = -2.0943951f * static_cast<float>(ph);
      e.phases[static_cast<std::size_t>(ph)] = {kVolts * std::cos(a), kVolts * std::sin(a)};
      e.phases[static_cast<std::size_t>(ph) + 3] = {kAmperes * std::cos(a - kLag), kAmperes * std::sin(a - kLag)};
    }
    e.v1 = e.phases[0];
    e.i1 = e.phases[3];
    e.frequency = 60.012f;
    e.rocof = -0.25f;
    return e;
  }
};

C37Config Formats(bool phasor_float, bool analog_float, bool freq_float) {
  C37Config c;
  c.analog_count = 3;  // P, Q, S
  c.phasor_float = phasor_float;
  c.analog_float = analog_float;
  c.freq_float = freq_float;
  return c;
}

Json ParseLine(const std::string& line) {
  Json j;
  std::string error;
  EXPECT_TRUE(JsonReader(line).Read(j, error)) << error << ": " << line;
  return j;
}

Json PmuJson(const p::ConfigFrame& c, const p::DataFrame& d) {
  std::string out;
  AppendData(out, c, d, OutputFormat::kJson);
  return ParseLine(out)["pmus"][0];
}

// The fields of the CSV row of the data frame.
std::vector<std::string> CsvRow(const p::ConfigFrame& c, const p::DataFrame& d) {
  std::string out;
  AppendData(out, c, d, OutputFormat::kCsv);
  std::vector<std::string> fields;
  std::stringstream in(out.substr(0, out.find('\n')));
  for (std::string f; std::getline(in, f, ',');) fields.push_back(f);
  return fields;
}

// Three-phase P, Q, S of Balanced() in W, var, VA.
const double kP = 3.0 * kVolts * kAmperes * std::cos(kLag);
const double kQ = 3.0 * kVolts * kAmperes * std::sin(kLag);
const double kS = 3.0 * kVolts * kAmperes;

TEST(PdcC37Format, IntegerAnalogsScaledAlikeByCfg2AndCfg3) {
  const DeviceFrames f(Formats(false, false, false));
  const std::int32_t w_per_count = f.cfg2->pmus[0].analog_units[0].scale;
  ASSERT_GT(w_per_count, 1);
  ASSERT_EQ(f.cfg3->pmus[0].analog_scales[0].scale, static_cast<float>(w_per_count));
  const Json a2 = PmuJson(*f.cfg2, *f.data), a3 = PmuJson(*f.cfg3, *f.data);
  const char* names[] = {"P", "Q", "S"};
  const double want[] = {kP, kQ, kS};
  for (std::size_t k = 0; k < 3; ++k) {
    const double v2 = a2["analogs"][names[k]].number;
    EXPECT_EQ(v2, a3["analogs"][names[k]].number) << names[k];
    EXPECT_NEAR(v2, want[k], w_per_count) << names[k] << ": engineering units, not counts";
    // The count as sent rides along, and the shown value is that count times the factor.
    const double raw = a2["analogs_raw"][names[k]].number;
    EXPECT_EQ(raw, f.data->pmus[0].analogs[k]) << names[k];
    EXPECT_EQ(raw, a3["analogs_raw"][names[k]].number) << names[k];
    EXPECT_EQ(v2, raw * w_per_count) << names[k];
  }
}

TEST(PdcC37Format, TableAndCsvShowTheSameValuesAsJson) {
  const DeviceFrames f(Formats(false, false, false));
  const std::vector<std::string> row2 = CsvRow(*f.cfg2, *f.data), row3 = CsvRow(*f.cfg3, *f.data);
  // time, soc, fracsec, idcode, station, stat, freq, rocof, 8 phasors x 2, P, Q, S, digital.
  ASSERT_EQ(row2.size(), 8u + 16u + 3u + 1u);
  ASSERT_EQ(row3.size(), row2.size());
  const Json j = PmuJson(*f.cfg2, *f.data);
  const char* names[] = {"P", "Q", "S"};
  for (std::size_t k = 0; k < 3; ++k) {
    EXPECT_EQ(row2[24 + k], row3[24 + k]) << names[k];
    EXPECT_NEAR(std::stod(row2[24 + k]), j["analogs"][names[k]].number, 1e-6 * kS) << names[k];
  }
  std::string table;
  AppendData(table, *f.cfg3, *f.data, OutputFormat::kTable);
  EXPECT_NE(table.find(" " + row2[24] + " " + row2[25] + " " + row2[26] + " "), std::string::npos) << table;
}

TEST(PdcC37Format, IntegerPhasorsAndFrequencyScaledAlike) {
  const DeviceFrames f(Formats(false, false, false));
  const Json a2 = PmuJson(*f.cfg2, *f.data), a3 = PmuJson(*f.cfg3, *f.data);
  for (const char* name : {"VA", "VB", "VC", "V1", "IA", "IB", "IC", "I1"}) {
    const Json &m2 = a2["phasors"][name], &m3 = a3["phasors"][name];
    // PHUNIT (1e-5 V per bit, an integer) and PHSCALE (a float) differ in rounding only.
    EXPECT_NEAR(m2[0].number, m3[0].number, 1e-6 * m2[0].number) << name;
    EXPECT_NEAR(m2[1].number, m3[1].number, 1e-9) << name;
    EXPECT_NEAR(m2[0].number, name[0] == 'V' ? kVolts : kAmperes, 2e-4 * m2[0].number) << name;
    EXPECT_EQ(a2["phasors_raw"][name].size(), 2u) << name;
  }
  EXPECT_EQ(a2["freq"].number, a3["freq"].number);
  EXPECT_NEAR(a2["freq"].number, 60.012, 1e-9);
  EXPECT_EQ(a2["freq_raw"].number, 12);  // mHz from nominal
  EXPECT_EQ(a2["rocof_raw"].number, -25);
}

TEST(PdcC37Format, FloatValuesAsSentWithNoRawMembers) {
  const DeviceFrames f(Formats(true, true, true));
  const Json a2 = PmuJson(*f.cfg2, *f.data), a3 = PmuJson(*f.cfg3, *f.data);
  const char* names[] = {"P", "Q", "S"};
  for (std::size_t k = 0; k < 3; ++k) {
    EXPECT_EQ(a2["analogs"][names[k]].number, a3["analogs"][names[k]].number) << names[k];
    EXPECT_NEAR(a2["analogs"][names[k]].number, f.data->pmus[0].analogs[k], 1e-7 * kS) << names[k];
  }
  std::string out;
  AppendPmuJson(out, *f.cfg2, 0, f.data->pmus[0]);
  EXPECT_EQ(out.find("_raw"), std::string::npos) << out;
}

}  // namespace
}  // namespace pmu::pdc::c37
