#include "comtrade_recorder.h"

#include <cmath>
#include <stdexcept>

#include "pmu/base/civil_time.h"

namespace pmu::pdc::c37 {
namespace {

namespace p = proto::c37118;
namespace ct = proto::comtrade;
constexpr double kRadToDeg = 57.29577951308232;
constexpr std::uint64_t kMaxGap = 100000;  // instants filled with missing values at most

// A channel name without the commas that would split the .cfg's fields.
std::string Clean(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c == ',' || c < 0x20 || c == 0x7F) c = ' ';
  }
  return out;
}

void AddChannel(ct::Config& c, const std::string& id, const char* units) {
  if (c.analog_count == ct::kMaxAnalog) {
    throw std::runtime_error("COMTRADE record: more than " + std::to_string(ct::kMaxAnalog) +
                             " channels (PMU_COMTRADE_MAX_ANALOG of this build)");
  }
  ct::AnalogChannel& a = c.analog[c.analog_count];
  a = ct::AnalogChannel{};
  a.index = ++c.analog_count;
  a.id = FixedString<64>(std::string_view(id));
  a.units = FixedString<16>(std::string_view(units));
  a.min = -3.4028235e38;
  a.max = 3.4028235e38;
}

// Floor division, for instants before 1970 too.
std::int64_t FloorDiv(std::int64_t a, std::int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

}  // namespace

RecordedPmu DescribeForRecord(const p::ConfigFrame& config, std::size_t pmu) {
  const p::PmuConfig& c = config.pmus[pmu];
  RecordedPmu out;
  out.station = std::string(p::TrimName(c.station_name));
  for (std::size_t k = 0; k < c.phasor_count; ++k) {
    out.phasor_names.emplace_back(p::TrimName(c.phasor_names[k]));
    out.phasor_is_current.push_back(c.phasor_units[k].kind == p::PhasorKind::kCurrent);
  }
  for (std::size_t k = 0; k < c.analog_count; ++k) out.analog_names.emplace_back(p::TrimName(c.analog_names[k]));
  out.nominal_hz = c.nominal_frequency == p::NominalFrequency::k50Hz ? 50 : 60;
  return out;
}

std::int64_t RecordTimeUs(std::uint32_t soc, std::uint32_t fraction, std::uint32_t time_base) {
  const double within = time_base ? static_cast<double>(fraction) * 1e6 / time_base : 0.0;
  return static_cast<std::int64_t>(soc) * 1'000'000 + std::llround(within);
}

ComtradeRecorder::ComtradeRecorder(std::string prefix) : prefix_(std::move(prefix)) {
  dat_.open(prefix_ + ".dat", std::ios::binary | std::ios::trunc);
  if (!dat_) throw std::runtime_error("COMTRADE record: cannot write " + prefix_ + ".dat");
}

std::int64_t ComtradeRecorder::InstantOf(std::int64_t time_us) const {
  const std::int64_t second = FloorDiv(time_us, 1'000'000);
  const double within = static_cast<double>(time_us - second * 1'000'000) * rate_ / 1e6;
  return second * rate_ + std::llround(within);
}

void ComtradeRecorder::Start(const std::vector<RecordedPmu>& pmus, int rate, std::int64_t first_us) {
  ct::Config& c = *config_;
  c = ct::Config{};
  c.station = FixedString<64>(std::string_view("pdc"));
  c.device = FixedString<64>(std::string_view("pdc c37"));
  c.revision = ct::Revision::k2013;
  c.format = ct::Format::kFloat32;
  c.timemult = 1;
  c.time_code = FixedString<8>(std::string_view("0"));
  c.local_code = FixedString<8>(std::string_view("0"));
  c.time_quality = FixedString<2>(std::string_view("0"));
  rate_ = rate > 0 ? rate : 1;
  c.rate_count = 1;
  c.rates[0].rate = rate_;
  double nominal = 60;
  for (const RecordedPmu& pmu : pmus) {
    const std::string station = Clean(pmu.station);
    nominal = pmu.nominal_hz;
    for (std::size_t k = 0; k < pmu.phasor_names.size(); ++k) {
      const std::string name = station + " " + Clean(pmu.phasor_names[k]);
      const bool current = k < pmu.phasor_is_current.size() && pmu.phasor_is_current[k];
      AddChannel(c, name + " mag", current ? "A" : "V");
      AddChannel(c, name + " ang", "deg");
    }
    AddChannel(c, station + " FREQ", "Hz");
    AddChannel(c, station + " ROCOF", "Hz/s");
    for (const std::string& a : pmu.analog_names) AddChannel(c, station + " " + Clean(a), "");
  }
  pmus_ = pmus;
  c.line_hz = nominal;
  first_ = InstantOf(first_us);
  const std::int64_t first_second = FloorDiv(first_, rate_);
  const std::int64_t ns = static_cast<std::int64_t>(
      std::llround(static_cast<double>(first_ - first_second * rate_) * 1e9 / rate_));
  const CivilTime t = CivilFromUnixNs(first_second * 1'000'000'000 + ns);
  c.first = ct::Stamp{t.year, t.month, t.day, t.hour, t.minute, t.second, t.nanosecond / 1000 * 1000, 6};
  c.trigger = c.first;
  values_.assign(c.analog_count, 0.0);
  started_ = true;
  records_ = 0;
  WriteConfig();
}

void ComtradeRecorder::Add(std::int64_t time_us, const std::vector<std::span<const double>>& values) {
  if (!started_) return;
  const std::int64_t index = InstantOf(time_us) - first_;
  if (index < static_cast<std::int64_t>(records_)) return;  // late or repeated
  // Instants that had no report at all: missing values, so the rate keeps the time.
  std::uint64_t missing = static_cast<std::uint64_t>(index) - records_;
  if (missing > kMaxGap) missing = kMaxGap;
  for (; missing > 0; --missing) {
    WriteRecord(nullptr, records_);
    ++gaps_;
  }
  WriteRecord(&values, records_);
  if (records_ - written_at_ >= static_cast<std::uint64_t>(rate_)) WriteConfig();
}

void ComtradeRecorder::Start(const std::vector<RecordedBlock>& blocks, int rate, std::uint32_t soc,
                             std::uint32_t fraction, std::uint32_t time_base) {
  std::vector<RecordedPmu> pmus;
  for (const RecordedBlock& b : blocks) pmus.push_back(DescribeForRecord(*b.config, b.pmu));
  Start(pmus, rate, RecordTimeUs(soc, fraction, time_base));
}

void ComtradeRecorder::Add(const std::vector<RecordedBlock>& blocks, std::uint32_t soc, std::uint32_t fraction,
                           std::uint32_t time_base) {
  scratch_.resize(pmus_.size());
  std::vector<std::span<const double>> values(pmus_.size());
  for (std::size_t i = 0; i < pmus_.size() && i < blocks.size(); ++i) {
    const RecordedBlock& b = blocks[i];
    const p::PmuConfig* pmu = b.config != nullptr ? &b.config->pmus[b.pmu] : nullptr;
    if (b.data == nullptr || pmu == nullptr || pmu->phasor_count != pmus_[i].phasor_names.size() ||
        pmu->analog_count != pmus_[i].analog_names.size()) {
      continue;  // missing, or a layout this record does not have
    }
    std::vector<double>& v = scratch_[i];
    v.clear();
    const p::PmuData& d = *b.data;
    for (std::size_t k = 0; k < pmu->phasor_count; ++k) {
      const auto ph = p::ScalePhasor(*b.config, b.pmu, k, d.phasors[k]);
      v.push_back(ph.ok() ? ph->magnitude : NAN);
      v.push_back(ph.ok() ? ph->angle * kRadToDeg : NAN);
    }
    v.push_back(p::FrequencyHz(*b.config, b.pmu, d).value_or(NAN));
    v.push_back(p::RocofHzPerSecond(*b.config, b.pmu, d).value_or(NAN));
    for (std::size_t k = 0; k < pmu->analog_count; ++k) {
      v.push_back(p::ScaleAnalog(*b.config, b.pmu, k, d.analogs[k]).value_or(NAN));
    }
    values[i] = v;
  }
  Add(RecordTimeUs(soc, fraction, time_base), values);
}

void ComtradeRecorder::WriteRecord(const std::vector<std::span<const double>>* values, std::uint64_t index) {
  std::size_t at = 0;
  for (std::size_t i = 0; i < pmus_.size(); ++i) {
    const std::size_t width = pmus_[i].width();
    const std::span<const double> v =
        values != nullptr && i < values->size() ? (*values)[i] : std::span<const double>();
    for (std::size_t k = 0; k < width; ++k) values_[at + k] = v.size() == width ? v[k] : NAN;
    at += width;
  }
  const auto micros = static_cast<std::int64_t>(std::llround(static_cast<double>(index) * 1e6 / rate_));
  ct::Record r{static_cast<std::uint32_t>(index + 1), micros, values_};
  std::vector<std::byte> bytes(ct::BinaryRecordSize(*config_));
  const auto n = ct::WriteBinaryRecord(*config_, r, bytes);
  if (!n.ok()) throw std::runtime_error(std::string("COMTRADE record: ") + n.status().message());
  dat_.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(*n));
  if (!dat_) throw std::runtime_error("COMTRADE record: cannot write " + prefix_ + ".dat");
  ++records_;
}

void ComtradeRecorder::WriteConfig() {
  ct::Config& c = *config_;
  c.rates[0].end_sample = records_ > 0 ? records_ : 1;  // a record has at least one sample
  std::vector<char> text(4096 + 128 * static_cast<std::size_t>(c.analog_count));
  const auto n = ct::WriteConfig(c, text);
  if (!n.ok()) throw std::runtime_error(std::string("COMTRADE record: ") + n.status().message());
  // Written beside and renamed over, so a reader never sees half a .cfg.
  const std::string path = prefix_ + ".cfg", tmp = path + ".part";
  {
    std::ofstream cfg(tmp, std::ios::binary | std::ios::trunc);
    cfg.write(text.data(), static_cast<std::streamsize>(*n));
    if (!cfg) throw std::runtime_error("COMTRADE record: cannot write " + path);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) throw std::runtime_error("COMTRADE record: cannot write " + path);
  dat_.flush();
  written_at_ = records_;
}

void ComtradeRecorder::Finish() {
  if (started_) WriteConfig();
  dat_.close();
}

}  // namespace pmu::pdc::c37
