#include "pmu/firmware/measurement/c37_pmu.h"

#include <cmath>
#include <cstring>
#include <memory>

namespace pmu::firmware {
namespace {

namespace c37 = proto::c37118;

// FRACSEC time-quality codes (C37.118.2 Table 7): the smallest bound the error is within.
std::uint8_t QualityCode(std::int64_t error_ns) {
  if (error_ns < 0) error_ns = -error_ns;
  std::int64_t bound = 1;  // 1 ns for code 1
  for (std::uint8_t code = 1; code <= 0xB; ++code, bound *= 10) {
    if (error_ns <= bound) return code;
  }
  return 0xF;  // beyond 10 s: fault, time not reliable
}

// STAT bits 8-6 (C37.118.2-2011 Table 6): 001 < 100 ns, 010 < 1 us, 011 < 10 us,
// 100 < 100 us, 101 < 1 ms, 110 < 10 ms, 111 more or unknown.
std::uint8_t StatQuality(std::uint64_t error_ns) {
  std::uint64_t bound = 100;
  for (std::uint8_t code = 1; code <= 6; ++code, bound *= 10) {
    if (error_ns <= bound) return code;
  }
  return 7;
}

bool IsVoltage(PhasorChannel c) { return c <= PhasorChannel::kV1; }

PhasorValue PickPhasor(const Estimate& e, PhasorChannel c) {
  switch (c) {
    case PhasorChannel::kVa: return e.phases[0];
    case PhasorChannel::kVb: return e.phases[1];
    case PhasorChannel::kVc: return e.phases[2];
    case PhasorChannel::kV1: return e.v1;
    case PhasorChannel::kIa: return e.phases[3];
    case PhasorChannel::kIb: return e.phases[4];
    case PhasorChannel::kIc: return e.phases[5];
    case PhasorChannel::kI1: return e.i1;
  }
  return {};
}

std::uint8_t Cfg3Type(PhasorChannel c) {
  // Bit 3: current; bits 2-0: 1 positive sequence, 4/5/6 phase A/B/C.
  switch (c) {
    case PhasorChannel::kVa: return 4;
    case PhasorChannel::kVb: return 5;
    case PhasorChannel::kVc: return 6;
    case PhasorChannel::kV1: return 1;
    case PhasorChannel::kIa: return 8 | 4;
    case PhasorChannel::kIb: return 8 | 5;
    case PhasorChannel::kIc: return 8 | 6;
    case PhasorChannel::kI1: return 8 | 1;
  }
  return 0;
}

}  // namespace

TimeQualityClaim ClaimOf(const ClockQuality& q) {
  TimeQualityClaim c;
  const TimeError& t = q.time;
  if (t.state == SyncState::kUnsynchronised) {
    // No reference since boot: nothing backs any bound.
    c.sync_lost = true;
    c.unlocked_ms = q.stepped && q.since_step_ms < t.since_ms ? q.since_step_ms : t.since_ms;
    c.stat_quality = 7;
    c.code = 0xF;
    return c;
  }
  // A reset's offset adds to the source's bound: the device knows its time is off.
  const std::uint64_t offset = static_cast<std::uint64_t>(q.offset_ns < 0 ? -q.offset_ns : q.offset_ns);
  const std::uint64_t error = t.error_ns + offset;
  c.sync_lost = q.stepped || t.state == SyncState::kHoldover;
  c.unlocked_ms = t.state == SyncState::kHoldover ? t.since_ms : 0;
  if (q.stepped && (t.state == SyncState::kLocked || q.since_step_ms < c.unlocked_ms)) c.unlocked_ms = q.since_step_ms;
  c.stat_quality = q.stepped ? 7 : StatQuality(error);
  c.code = QualityCode(static_cast<std::int64_t>(error));
  return c;
}

Status C37Pmu::Configure(const C37Config& c, const PhasorEstimator& estimator, float voltage_rms, float current_rms,
                         std::uint16_t config_count, const char* board_name, const char* firmware_version) {
  c37_ = c;
  version_ = c.version == 1 ? c37::Version::k2005 : c37::Version::k2011;
  // Reset in place: a ConfigFrame is 11.5 KiB, too large for a temporary on the
  // board's 8 KiB main stack.
  std::destroy_at(&config_);
  std::construct_at(&config_);
  config_.type = c37::FrameType::kConfig2;
  config_.version = version_;
  config_.idcode = c.idcode;
  config_.time_base = c.time_base;
  config_.pmu_count = 1;
  config_.data_rate = static_cast<std::int16_t>(c.rate);
  c37::PmuConfig& p = config_.pmus[0];
  p.station_name = c37_.station.view();
  p.idcode = c.idcode;
  p.format.polar = c.polar;
  p.format.phasor_float = c.phasor_float;
  p.format.analog_float = c.analog_float;
  p.format.freq_float = c.freq_float;
  p.phasor_count = c.phasor_count;
  p.analog_count = c.analog_count;
  p.digital_count = c.digital_words;
  p.nominal_frequency = c.nominal_hz == 50 ? c37::NominalFrequency::k50Hz : c37::NominalFrequency::k60Hz;
  p.config_count = config_count;
  // Integer phasors: twice the nominal rms fills the 16-bit range.
  for (std::size_t i = 0; i < c.phasor_count; ++i) {
    const PhasorChannel ch = c.phasors[i];
    const float rms = IsVoltage(ch) ? voltage_rms : current_rms;
    const auto unit = static_cast<std::uint32_t>(std::ceil(rms * 2.0f / 32767.0f * 1e5f));
    phasor_lsb_[i] = static_cast<float>(unit) * 1e-5f;
    p.phasor_names[i] = PhasorChannelName(ch);
    p.phasor_units[i] = {IsVoltage(ch) ? c37::PhasorKind::kVoltage : c37::PhasorKind::kCurrent, unit};
    c37::PhasorScale& s = p.phasor_scales[i];
    s.type = Cfg3Type(ch);
    s.magnitude_scale = c.phasor_float ? 1.0f : phasor_lsb_[i];
    s.angle_offset = 0;
  }
  // Integer analogs: twice the nominal three-phase apparent power fills the range.
  const float s_nominal = 3.0f * voltage_rms * current_rms;
  analog_lsb_ = std::ceil(s_nominal * 2.0f / 32767.0f);
  for (std::size_t i = 0; i < c.analog_count; ++i) {
    p.analog_names[i] = AnalogChannelName(c.analogs[i]);
    const float lsb = c.analog_float ? 1.0f : analog_lsb_;
    p.analog_units[i] = {1 /* RMS */, static_cast<std::int32_t>(lsb)};
    p.analog_scales[i] = {lsb, 0.0f};
  }
  for (std::size_t w = 0; w < c.digital_words; ++w) {
    for (std::size_t b = 0; b < c37::kDigitalBitsPerWord; ++b) {
      FixedString<16>& name = digital_names_[w * 16 + b];
      name.clear();
      name.Format("DI%u", static_cast<unsigned>(b));
      p.digital_names[w * 16 + b] = name.view();
    }
    p.digital_units[w] = {0x0000, 0xFFFF};
  }
  // CFG-3 extras.
  p.latitude = p.longitude = p.elevation = INFINITY;  // unknown
  p.service_class = c.measurement_class == MeasurementClass::kP ? 'P' : 'M';
  const float fs = static_cast<float>(kSampleRate);
  p.window_us = static_cast<std::int32_t>(std::lround(static_cast<float>(estimator.window_size()) / fs * 1e6f));
  p.group_delay_us = 0;  // the window is symmetric about the reporting instant

  auto size = c37::DataFrameSize(config_);
  if (!size.ok()) return size.status();
  if (*size > kMaxDataFrame) return InvalidArgument("data frames larger than the device's buffer");

  header_.clear();
  // Every fact a PDC's operator needs to trust the values, and the time source after
  // them, within C37HeaderText's capacity (a unit test builds the longest one).
  const double ms_per_sample = 1e3 / kSampleRate;
  header_.Format("PMU firmware %s on %s. Station %s, IDCODE %u, %u Hz nominal, %u frames/s, C37.118.2 version %u. "
                 "Estimator: %c class, %u samples/s of 16 bits demodulated at nominal frequency on UTC; ",
                 firmware_version, board_name, c37_.station.c_str(), static_cast<unsigned>(c.idcode),
                 static_cast<unsigned>(c.nominal_hz), static_cast<unsigned>(c.rate), c.version == 1 ? 1u : 2u,
                 p.service_class, static_cast<unsigned>(kSampleRate));
  if (estimator.backward_differences()) {
    header_.Append("trapezoidal window, boxcars of 1 and 0.5 cycles");
  } else {
    header_.Format("triangular window over %u cycles", static_cast<unsigned>(estimator.cycles() * 2));
  }
  header_.Format(" (%u samples, %.1f ms, centred); magnitudes corrected off nominal; frequency and "
                 "ROCOF from the V1 angle ",
                 static_cast<unsigned>(estimator.taps()), estimator.taps() * ms_per_sample);
  const double d_ms = estimator.frequency_offset() * ms_per_sample;
  if (estimator.backward_differences()) {
    header_.Format("at 0, -%.2f, -%.2f, -%.2f ms (a least-squares fit)", d_ms, 2 * d_ms, 3 * d_ms);
  } else {
    header_.Format("at +/-%.2f ms (central differences)", d_ms);
  }
  header_.Format("; reported %.1f ms after the instant. Phasors in V and A rms", estimator.samples_after() * ms_per_sample);
  header_.Append(c.analog_count ? ", analogs in W, var, VA (three-phase)" : "");
  header_.Append(c.digital_words ? ", a digital word." : ".");
  header_.Append(" Signals: synthetic unless the board has an ADC.");
  if (time_source_ != nullptr) header_.Format(" %s", time_source_);
  return Status::Ok();
}

void C37Pmu::BumpConfigCount() { ++config_.pmus[0].config_count; }

std::uint16_t C37Pmu::Stat(const ClockQuality& q) const {
  const TimeQualityClaim claim = ClaimOf(q);
  std::uint16_t stat = 0;
  if (claim.sync_lost) {
    stat |= c37::kStatPmuSyncLost;
    // Bits 5-4: time since the clock lost its reference (stepped, lost its master, or
    // never had one since boot): < 10 s, < 100 s, < 1000 s, more.
    const std::uint64_t s = claim.unlocked_ms / 1000;
    const std::uint16_t unlocked = s < 10 ? 0 : s < 100 ? 1 : s < 1000 ? 2 : 3;
    stat |= static_cast<std::uint16_t>(unlocked << 4);
  }
  if (version_ == c37::Version::k2011) {
    stat |= static_cast<std::uint16_t>(claim.stat_quality << 6);
  }
  return stat;
}

c37::TimeQuality C37Pmu::TimeQualityOf(const ClockQuality& q) const {
  c37::TimeQuality t;
  t.quality = ClaimOf(q).code;
  return t;
}

c37::Timestamp C37Pmu::Stamp(std::int64_t utc_ns, const ClockQuality& q) const {
  std::int64_t sec = utc_ns / 1'000'000'000;
  std::int64_t rem = utc_ns % 1'000'000'000;
  if (rem < 0) {
    rem += 1'000'000'000;
    --sec;
  }
  std::uint64_t frac = (static_cast<std::uint64_t>(rem) * c37_.time_base) / 1'000'000'000u;
  c37::Timestamp t;
  t.soc = static_cast<std::uint32_t>(sec);
  t.fracsec = (static_cast<std::uint32_t>(TimeQualityOf(q).ToByte()) << 24) | static_cast<std::uint32_t>(frac);
  return t;
}

c37::Timestamp C37Pmu::TimestampOf(std::int64_t sample, const ClockQuality& q) const {
  const std::int64_t fs = kSampleRate;
  std::int64_t sec = sample / fs, within = sample % fs;
  if (within < 0) {
    within += fs;
    --sec;
  }
  // Nearest FRACSEC count: exact when TIME_BASE is a multiple of the reporting rate.
  const std::uint64_t frac = (static_cast<std::uint64_t>(within) * c37_.time_base * 2 + fs) / (2 * fs);
  c37::Timestamp t;
  t.soc = static_cast<std::uint32_t>(sec);
  t.fracsec = (static_cast<std::uint32_t>(TimeQualityOf(q).ToByte()) << 24) |
              static_cast<std::uint32_t>(frac >= c37_.time_base ? c37_.time_base - 1 : frac);
  return t;
}

Result<std::size_t> C37Pmu::EncodeConfig(c37::FrameType type, std::int64_t now_ns, const ClockQuality& q,
                                         MutableByteSpan out) {
  config_.type = type;
  config_.version = type == c37::FrameType::kConfig3 ? c37::Version::k2011 : version_;
  config_.time = Stamp(now_ns, q);
  auto r = c37::EncodeConfig(config_, out);
  config_.type = c37::FrameType::kConfig2;
  config_.version = version_;
  return r;
}

Result<std::size_t> C37Pmu::EncodeHeader(std::int64_t now_ns, const ClockQuality& q, MutableByteSpan out) const {
  c37::HeaderFrame h;
  h.version = version_;
  h.idcode = c37_.idcode;
  h.time = Stamp(now_ns, q);
  h.text = header_.view();
  return c37::EncodeHeader(h, out);
}

Result<std::size_t> C37Pmu::EncodeData(const Estimate& e, const ClockQuality& q, MutableByteSpan out) const {
  static c37::DataFrame frame;  // 1.7 KiB: static, main loop only
  frame = c37::DataFrame{};
  frame.version = version_;
  frame.idcode = c37_.idcode;
  frame.time = TimestampOf(e.sample, q);
  frame.pmu_count = 1;
  c37::PmuData& d = frame.pmus[0];
  d.stat = Stat(q);
  if (!e.valid) d.stat |= c37::kStatDataErrorMask;  // 3: PMU error, do not use the values
  for (std::size_t i = 0; i < c37_.phasor_count; ++i) {
    const PhasorValue v = PickPhasor(e, c37_.phasors[i]);
    c37::Phasor& out_p = d.phasors[i];
    if (c37_.polar) {
      const float mag = std::sqrt(v.re * v.re + v.im * v.im);
      const float ang = std::atan2(v.im, v.re);
      out_p = c37_.phasor_float ? c37::Phasor{mag, ang} : c37::Phasor{mag / phasor_lsb_[i], ang * 1e4f};
    } else {
      out_p = c37_.phasor_float ? c37::Phasor{v.re, v.im} : c37::Phasor{v.re / phasor_lsb_[i], v.im / phasor_lsb_[i]};
    }
  }
  if (c37_.freq_float) {
    d.frequency = e.frequency;
    d.rocof = e.rocof;
  } else {
    d.frequency = (e.frequency - static_cast<float>(c37_.nominal_hz)) * 1000.0f;  // mHz
    d.rocof = e.rocof * 100.0f;
  }
  // Three-phase complex power from the phase phasors: S = sum V conj(I).
  float p = 0, qv = 0;
  for (std::size_t ph = 0; ph < 3; ++ph) {
    const PhasorValue v = e.phases[ph], i = e.phases[ph + 3];
    p += v.re * i.re + v.im * i.im;
    qv += v.im * i.re - v.re * i.im;
  }
  const float s = std::sqrt(p * p + qv * qv);
  for (std::size_t i = 0; i < c37_.analog_count; ++i) {
    const AnalogChannelKind k = c37_.analogs[i];
    const float v = k == AnalogChannelKind::kP ? p : k == AnalogChannelKind::kQ ? qv : s;
    d.analogs[i] = c37_.analog_float ? v : v / analog_lsb_;
  }
  if (c37_.digital_words) d.digitals[0] = c37_.digital_value;
  return c37::EncodeData(frame, config_, out);
}

std::uint32_t C37Pmu::DescriptionHash() {
  const std::uint16_t count = config_.pmus[0].config_count;
  config_.pmus[0].config_count = 0;
  config_.time = {};
  config_.type = c37::FrameType::kConfig3;
  config_.version = c37::Version::k2011;
  std::byte buf[kMaxConfigFrame];
  const auto n = c37::EncodeConfig(config_, buf);
  config_.type = c37::FrameType::kConfig2;
  config_.version = version_;
  config_.pmus[0].config_count = count;
  std::uint32_t h = 2166136261u;  // FNV-1a
  if (n.ok()) {
    for (std::size_t i = 0; i < *n; ++i) h = (h ^ std::to_integer<std::uint32_t>(buf[i])) * 16777619u;
  }
  return h;
}

}  // namespace pmu::firmware
