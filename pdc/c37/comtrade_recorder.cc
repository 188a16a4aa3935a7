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
    throw std::runtime_error("--comtrade: more than " + std::to_string(ct::kMaxAnalog) +
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

}  // namespace

ComtradeRecorder::ComtradeRecorder(std::string prefix) : prefix_(std::move(prefix)) {
  dat_.open(prefix_ + ".dat", std::ios::binary | std::ios::trunc);
  if (!dat_) throw std::runtime_error("--comtrade: cannot write " + prefix_ + ".dat");
}

std::int64_t ComtradeRecorder::InstantOf(std::uint32_t soc, std::uint32_t fraction, std::uint32_t time_base) const {
  const double within = time_base ? static_cast<double>(fraction) * rate_ / time_base : 0.0;
  return static_cast<std::int64_t>(soc) * rate_ + std::llround(within);
}

void ComtradeRecorder::Start(const std::vector<RecordedBlock>& blocks, int rate, std::uint32_t soc,
                             std::uint32_t fraction, std::uint32_t time_base) {
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
  layout_.clear();
  double nominal = 60;
  for (const RecordedBlock& b : blocks) {
    const p::PmuConfig& pmu = b.config->pmus[b.pmu];
    const std::string station = Clean(p::TrimName(pmu.station_name));
    nominal = pmu.nominal_frequency == p::NominalFrequency::k50Hz ? 50 : 60;
    for (std::size_t k = 0; k < pmu.phasor_count; ++k) {
      const std::string name = station + " " + Clean(p::TrimName(pmu.phasor_names[k]));
      const bool current = pmu.phasor_units[k].kind == p::PhasorKind::kCurrent;
      AddChannel(c, name + " mag", current ? "A" : "V");
      AddChannel(c, name + " ang", "deg");
    }
    AddChannel(c, station + " FREQ", "Hz");
    AddChannel(c, station + " ROCOF", "Hz/s");
    for (std::size_t k = 0; k < pmu.analog_count; ++k) {
      AddChannel(c, station + " " + Clean(p::TrimName(pmu.analog_names[k])), "");
    }
    layout_.push_back({pmu.phasor_count, pmu.analog_count});
  }
  c.line_hz = nominal;
  first_ = InstantOf(soc, fraction, time_base);
  const std::int64_t first_second = first_ / rate_;
  const std::int64_t ns = static_cast<std::int64_t>(std::llround(static_cast<double>(first_ % rate_) * 1e9 / rate_));
  const CivilTime t = CivilFromUnixNs(first_second * 1'000'000'000 + ns);
  c.first = ct::Stamp{t.year, t.month, t.day, t.hour, t.minute, t.second, t.nanosecond / 1000 * 1000, 6};
  c.trigger = c.first;
  values_.assign(c.analog_count, 0.0);
  started_ = true;
  records_ = 0;
  WriteConfig();
}

void ComtradeRecorder::Add(const std::vector<RecordedBlock>& blocks, std::uint32_t soc, std::uint32_t fraction,
                           std::uint32_t time_base) {
  if (!started_) return;
  const std::int64_t index = InstantOf(soc, fraction, time_base) - first_;
  if (index < static_cast<std::int64_t>(records_)) return;  // late or repeated
  // Instants that had no frame at all: missing values, so the rate keeps the time.
  std::uint64_t missing = static_cast<std::uint64_t>(index) - records_;
  if (missing > kMaxGap) missing = kMaxGap;
  for (; missing > 0; --missing) {
    WriteRecord(nullptr, records_);
    ++gaps_;
  }
  WriteRecord(&blocks, records_);
  if (records_ - written_at_ >= static_cast<std::uint64_t>(rate_)) WriteConfig();
}

void ComtradeRecorder::WriteRecord(const std::vector<RecordedBlock>* blocks, std::uint64_t index) {
  std::size_t at = 0;
  for (std::size_t i = 0; i < layout_.size(); ++i) {
    const Layout& l = layout_[i];
    const std::size_t width = 2u * l.phasors + 2 + l.analogs;
    const RecordedBlock* b = blocks != nullptr && i < blocks->size() ? &(*blocks)[i] : nullptr;
    const p::PmuConfig* pmu = b != nullptr && b->config != nullptr ? &b->config->pmus[b->pmu] : nullptr;
    if (b == nullptr || b->data == nullptr || pmu == nullptr || pmu->phasor_count != l.phasors ||
        pmu->analog_count != l.analogs) {
      for (std::size_t k = 0; k < width; ++k) values_[at + k] = NAN;
      at += width;
      continue;
    }
    const p::PmuData& d = *b->data;
    for (std::size_t k = 0; k < l.phasors; ++k) {
      const auto v = p::ScalePhasor(*b->config, b->pmu, k, d.phasors[k]);
      values_[at++] = v.ok() ? v->magnitude : NAN;
      values_[at++] = v.ok() ? v->angle * kRadToDeg : NAN;
    }
    values_[at++] = p::FrequencyHz(*b->config, b->pmu, d).value_or(NAN);
    values_[at++] = p::RocofHzPerSecond(*b->config, b->pmu, d).value_or(NAN);
    for (std::size_t k = 0; k < l.analogs; ++k) {
      values_[at++] = p::ScaleAnalog(*b->config, b->pmu, k, d.analogs[k]).value_or(NAN);
    }
  }
  const auto micros = static_cast<std::int64_t>(std::llround(static_cast<double>(index) * 1e6 / rate_));
  ct::Record r{static_cast<std::uint32_t>(index + 1), micros, values_};
  std::vector<std::byte> bytes(ct::BinaryRecordSize(*config_));
  const auto n = ct::WriteBinaryRecord(*config_, r, bytes);
  if (!n.ok()) throw std::runtime_error(std::string("--comtrade: ") + n.status().message());
  dat_.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(*n));
  if (!dat_) throw std::runtime_error("--comtrade: cannot write " + prefix_ + ".dat");
  ++records_;
}

void ComtradeRecorder::WriteConfig() {
  ct::Config& c = *config_;
  c.rates[0].end_sample = records_ > 0 ? records_ : 1;  // a record has at least one sample
  std::vector<char> text(4096 + 128 * static_cast<std::size_t>(c.analog_count));
  const auto n = ct::WriteConfig(c, text);
  if (!n.ok()) throw std::runtime_error(std::string("--comtrade: ") + n.status().message());
  // Written beside and renamed over, so a reader never sees half a .cfg.
  const std::string path = prefix_ + ".cfg", tmp = path + ".part";
  {
    std::ofstream cfg(tmp, std::ios::binary | std::ios::trunc);
    cfg.write(text.data(), static_cast<std::streamsize>(*n));
    if (!cfg) throw std::runtime_error("--comtrade: cannot write " + path);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) throw std::runtime_error("--comtrade: cannot write " + path);
  dat_.flush();
  written_at_ = records_;
}

void ComtradeRecorder::Finish() {
  if (started_) WriteConfig();
  dat_.close();
}

}  // namespace pmu::pdc::c37
