#include "record.h"

#include <cmath>
#include <cstdio>
#include <ctime>

#include "pmu/crypto/sha256.h"

namespace pmu::pdc::archive {
namespace {

constexpr double kRadToDeg = 57.29577951308232;

}  // namespace

std::int64_t TimeUs(const p::Timestamp& t, std::uint32_t time_base) {
  const std::int64_t us =
      time_base ? std::llround(static_cast<double>(t.fraction()) * 1e6 / static_cast<double>(time_base)) : 0;
  return static_cast<std::int64_t>(t.soc) * 1'000'000 + us;
}

std::int64_t SetTimeUs(std::int64_t key, int rate) {
  return key / rate * 1'000'000 + std::llround(static_cast<double>(key % rate) * 1e6 / rate);
}

std::int64_t NowUtcUs() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000 + ts.tv_nsec / 1000;
}

ConfigRow DescribeConfig(const p::ConfigFrame& c, std::size_t i, std::int64_t first_seen_us) {
  const p::PmuConfig& pmu = c.pmus[i];
  ConfigRow row;
  row.idcode = pmu.idcode;
  row.station = std::string(p::TrimName(pmu.station_name));
  row.cfgcnt = pmu.config_count;
  row.frame = c.type == p::FrameType::kConfig3 ? "CFG-3" : c.type == p::FrameType::kConfig1 ? "CFG-1" : "CFG-2";
  row.time_base = c.time_base;
  row.data_rate = c.data_rate;
  row.nominal_hz = pmu.nominal_frequency == p::NominalFrequency::k50Hz ? 50 : 60;
  for (std::size_t k = 0; k < pmu.phasor_count; ++k) {
    row.phasor_names.emplace_back(p::TrimName(pmu.phasor_names[k]));
    const bool current = c.type == p::FrameType::kConfig3 ? (pmu.phasor_scales[k].type & 0x08) != 0
                                                          : pmu.phasor_units[k].kind == p::PhasorKind::kCurrent;
    row.phasor_units.emplace_back(current ? "A" : "V");
  }
  for (std::size_t k = 0; k < pmu.analog_count; ++k) row.analog_names.emplace_back(p::TrimName(pmu.analog_names[k]));
  for (std::size_t k = 0; k < pmu.digital_count * p::kDigitalBitsPerWord; ++k) {
    row.digital_names.emplace_back(p::TrimName(pmu.digital_names[k]));
  }
  row.first_seen_us = first_seen_us;
  row.config_id = ConfigId(row);
  return row;
}

std::string CanonicalText(const ConfigRow& r) {
  std::string out = "{\"idcode\":" + std::to_string(r.idcode) + ",\"station\":";
  AppendJsonString(out, r.station);
  out += ",\"cfgcnt\":" + std::to_string(r.cfgcnt) + ",\"frame\":\"" + r.frame +
         "\",\"time_base\":" + std::to_string(r.time_base) + ",\"data_rate\":" + std::to_string(r.data_rate) +
         ",\"fnom\":" + std::to_string(r.nominal_hz) + ",\"phasors\":";
  AppendJsonArray(out, r.phasor_names);
  out += ",\"units\":";
  AppendJsonArray(out, r.phasor_units);
  out += ",\"analogs\":";
  AppendJsonArray(out, r.analog_names);
  out += ",\"digitals\":";
  AppendJsonArray(out, r.digital_names);
  return out + "}";
}

std::int64_t ConfigId(const ConfigRow& row) {
  const std::string text = CanonicalText(row);
  crypto::Sha256 sha;
  sha.Update(AsBytes(text));
  const auto d = sha.Finish();
  std::uint64_t v = 0;
  for (int k = 0; k < 8; ++k) v = (v << 8) | d[static_cast<std::size_t>(k)];
  return static_cast<std::int64_t>(v & 0x7FFF'FFFF'FFFF'FFFFull);  // positive in every database
}

void FillReport(const p::ConfigFrame& c, std::size_t i, const p::DataFrame& f, std::int64_t config_id,
                ReportRow& row) {
  const p::PmuConfig& pmu = c.pmus[i];
  const p::PmuData& d = f.pmus[i];
  row.time_us = TimeUs(f.time, c.time_base);
  row.idcode = pmu.idcode;
  row.config_id = config_id;
  row.stat = d.stat;
  row.freq_hz = p::FrequencyHz(c, i, d).value_or(NAN);
  row.rocof_hz_s = p::RocofHzPerSecond(c, i, d).value_or(NAN);
  row.phasor_count = static_cast<std::uint8_t>(pmu.phasor_count);
  row.analog_count = static_cast<std::uint8_t>(pmu.analog_count);
  row.digital_count = static_cast<std::uint8_t>(pmu.digital_count);
  for (std::size_t k = 0; k < pmu.phasor_count; ++k) {
    const auto v = p::ScalePhasor(c, i, k, d.phasors[k]);
    row.magnitude[k] = v.ok() ? static_cast<float>(v->magnitude) : NAN;
    row.angle_deg[k] = v.ok() ? static_cast<float>(v->angle * kRadToDeg) : NAN;
  }
  for (std::size_t k = 0; k < pmu.analog_count; ++k) {
    row.analog[k] = static_cast<float>(p::ScaleAnalog(c, i, k, d.analogs[k]).value_or(NAN));
  }
  for (std::size_t k = 0; k < pmu.digital_count; ++k) row.digital[k] = d.digitals[k];
}

}  // namespace pmu::pdc::archive
