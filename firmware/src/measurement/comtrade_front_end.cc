#include "pmu/firmware/measurement/comtrade_front_end.h"

#include <cmath>
#include <cstring>

#include "pmu/firmware/measurement/storage_lines.h"
#include "pmu/firmware/measurement/trig_table.h"

namespace pmu::firmware {
namespace {

namespace ct = proto::comtrade;

constexpr const char* kChannelNames[hal::kAnalogChannels] = {"VA", "VB", "VC", "IA", "IB", "IC"};
constexpr double kTwo64 = 18446744073709551616.0;
constexpr double kHeadroom = 1.05;  // cubic interpolation may overshoot the recorded peak a little

std::int64_t FloorMod(std::int64_t a, std::int64_t m) {
  const std::int64_t r = a % m;
  return r < 0 ? r + m : r;
}

bool EndsWithIgnoreCase(std::string_view s, std::string_view suffix) {
  if (s.size() < suffix.size()) return false;
  s = s.substr(s.size() - suffix.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    char a = s[i], b = suffix[i];
    if (a >= 'a' && a <= 'z') a = static_cast<char>(a - 32);
    if (b >= 'a' && b <= 'z') b = static_cast<char>(b - 32);
    if (a != b) return false;
  }
  return true;
}

// The channel named `name`, or whose name ends in " name" (PDC records name channels
// "<station> VA mag"); 0 when none.
std::uint16_t FindChannel(const ct::Config& c, const char* name, const char* suffix) {
  FixedString<24> exact, tail;
  exact.Format("%s%s%s", name, suffix[0] ? " " : "", suffix);
  tail.Format(" %s", exact.c_str());
  for (std::uint32_t i = 0; i < c.analog_count; ++i) {
    const std::string_view id = c.analog[i].id.view();
    if ((id.size() == exact.size() && EndsWithIgnoreCase(id, exact.view())) || EndsWithIgnoreCase(id, tail.view())) {
      return static_cast<std::uint16_t>(i + 1);
    }
  }
  return 0;
}

void Describe(const ct::Error& e, const char* what, PlaybackError& why) {
  why.clear();
  why.Append(ct::Describe(e, what).view());
}

// Lagrange interpolation through m points (times t, values v) at x.
double Lagrange(const double* t, const double* v, std::size_t m, double x) {
  double sum = 0;
  for (std::size_t i = 0; i < m; ++i) {
    double w = 1;
    for (std::size_t j = 0; j < m; ++j) {
      if (j != i) w *= (x - t[j]) / (t[i] - t[j]);
    }
    sum += w * v[i];
  }
  return sum;
}

}  // namespace

// Pass two: the record's points go through a window of the newest four, and each output
// sample is interpolated in the interval of the window that holds its time. A point has
// up to 12 values: the six channels' samples (or magnitudes), then a phasor record's
// six angles.
struct ComtradeFrontEnd::Resampler {
  static constexpr std::size_t kValues = 2 * hal::kAnalogChannels;
  struct Point {
    double t = 0;
    double v[kValues] = {};
  };
  ComtradeFrontEnd& fe;
  Point window[4];
  std::size_t points = 0;   // received so far
  std::int64_t next = 0;    // next output sample
  bool overflow = false;

  // Emits the output samples up to `until` from the points window[lo .. lo+count-1];
  // window[lo+seg] .. window[lo+seg+1] is the interval they fall in (phasor records
  // interpolate linearly there; samples use every point given).
  void EmitBetween(std::size_t lo, std::size_t count, std::size_t seg, double until, bool inclusive) {
    const Point* p = window + lo;
    const std::size_t linear_from = count >= 2 ? seg : 0;
    const std::size_t linear_count = count >= 2 ? 2 : 1;
    for (;; ++next) {
      const double x = static_cast<double>(next) / kSampleRate;
      if (inclusive ? x > until : x >= until) return;
      if (next >= static_cast<std::int64_t>(fe.buffer_.size())) {
        overflow = true;
        return;
      }
      double out[kValues];
      for (std::size_t k = 0; k < kValues; ++k) {
        double t[4], v[4];
        for (std::size_t i = 0; i < count; ++i) t[i] = p[i].t, v[i] = p[i].v[k];
        out[k] = fe.phasors() ? Lagrange(t + linear_from, v + linear_from, linear_count, x) : Lagrange(t, v, count, x);
      }
      fe.Store(next, out);
    }
  }

  void Add(double time, const double* values) {
    if (points >= 4) {
      for (std::size_t i = 0; i < 3; ++i) window[i] = window[i + 1];
    }
    Point& p = window[points >= 4 ? 3 : points];
    p.t = time;
    std::memcpy(p.v, values, sizeof(p.v));
    ++points;
    // With points i-3..i held, the interval [t(i-2), t(i-1)) is interpolated by all four
    // (the first interval, with three).
    if (points == 3) EmitBetween(0, 3, 0, window[1].t, false);
    if (points >= 4) EmitBetween(0, 4, 1, window[2].t, false);
  }

  // The last interval, inclusive of the last point, then on for `extra` seconds.
  void Finish(double extra) {
    const std::size_t held = points >= 4 ? 4 : points;
    if (held == 0) return;
    const std::size_t lo = held >= 3 ? held - 3 : 0;
    const std::size_t count = held - lo;
    EmitBetween(lo, count, count >= 2 ? count - 2 : 0, window[held - 1].t + extra, true);
  }
};

float ComtradeFrontEnd::scale(std::size_t channel) const {
  return channel < hal::kAnalogChannels ? scale_[channel] : 0.0f;
}

Status ComtradeFrontEnd::Locate(hal::Storage& store, PlaybackError& why) {
  ct::ConfigParser parser(config_);
  StorageLines lines(store, 0, store.size(), line_);
  bool in_cfg = false, first = true;
  std::uint32_t line_no = 0;
  while (true) {
    std::string_view line;
    bool at_end = false;
    if (Status s = lines.Next(line, at_end); !s.ok()) {
      why.clear();
      why.Format("cff line %u: %s", static_cast<unsigned>(line_no + 1), s.message());
      return s;
    }
    if (at_end) {
      why.clear();
      why.Append(first ? "the playback record is empty" : "the record has no DAT section (--- file type: DAT ... ---)");
      return InvalidArgument("no COMTRADE record");
    }
    ++line_no;
    ct::CffHeader header;
    ct::Error e;
    if (ct::ParseCffHeader(line, header, e)) {
      if (!e.ok()) {
        e.line = line_no;
        Describe(e, "cff", why);
        return InvalidArgument("bad .cff section header");
      }
      if (first && header.section != ct::CffSection::kCfg) {
        why.clear();
        why.Append("cff line 1: the first section must be CFG");
        return InvalidArgument("bad .cff");
      }
      in_cfg = header.section == ct::CffSection::kCfg;
      if (header.section == ct::CffSection::kDat) {
        if (const ct::Error f = parser.Finish(); !f.ok()) {
          Describe(f, "cfg", why);
          return InvalidArgument("bad COMTRADE configuration");
        }
        if (header.format != config_.format) {
          why.clear();
          why.Format("cff line %u: the DAT section is %s but the CFG's ft is %s", static_cast<unsigned>(line_no),
                     ct::FormatName(header.format), ct::FormatName(config_.format));
          return InvalidArgument("bad .cff");
        }
        cfg_end_ = lines.offset();
        dat_end_ = header.format == ct::Format::kAscii ? store.size() : cfg_end_ + header.bytes;
        if (dat_end_ > store.size()) {
          why.clear();
          why.Format("cff line %u: the DAT section's %llu bytes run past the end of the record (%u bytes)",
                     static_cast<unsigned>(line_no), static_cast<unsigned long long>(header.bytes),
                     static_cast<unsigned>(store.size()));
          return OutOfRange("truncated record");
        }
        return Status::Ok();
      }
    } else if (first) {
      why.clear();
      why.Append("cff line 1: expected --- file type: CFG --- (a .cff, or a .cfg and .dat joined as one)");
      return InvalidArgument("not a .cff");
    } else if (in_cfg) {
      // The CFG's own line numbers, counted from its section.
      if (const ct::Error ce = parser.Line(line); !ce.ok()) {
        Describe(ce, "cfg", why);
        return InvalidArgument("bad COMTRADE configuration");
      }
    }
    first = false;
  }
}

Status ComtradeFrontEnd::ResolveChannels(PlaybackError& why) {
  ChannelMap& m = settings_.channels;
  if (m.automatic) {
    for (std::size_t i = 0; i < hal::kAnalogChannels; ++i) {
      m.value[i] = FindChannel(config_, kChannelNames[i], "");
      m.angle[i] = 0;
    }
    bool any = false;
    for (std::uint16_t v : m.value) any = any || v != 0;
    if (!any) {
      for (std::size_t i = 0; i < hal::kAnalogChannels; ++i) {
        const std::uint16_t mag = FindChannel(config_, kChannelNames[i], "mag");
        const std::uint16_t ang = FindChannel(config_, kChannelNames[i], "ang");
        if (mag != 0 && ang != 0) m.value[i] = mag, m.angle[i] = ang;
      }
      for (std::uint16_t v : m.value) any = any || v != 0;
    }
    if (!any) {
      why.clear();
      why.Append("comtrade.channels = auto: no analog channel is named VA VB VC IA IB IC (or '<x> VA mag' and "
                 "'<x> VA ang'); map them, e.g. comtrade.channels = VA=1,VB=2,VC=3");
      return InvalidArgument("no channel to play");
    }
  }
  for (std::size_t i = 0; i < hal::kAnalogChannels; ++i) {
    for (std::uint16_t n : {m.value[i], m.angle[i]}) {
      if (n > config_.analog_count) {
        why.clear();
        why.Format("comtrade.channels maps %s to channel %u; the record has %u analog channels", kChannelNames[i],
                   static_cast<unsigned>(n), static_cast<unsigned>(config_.analog_count));
        return OutOfRange("no such channel");
      }
    }
  }
  return Status::Ok();
}

template <typename Fn>
Status ComtradeFrontEnd::ForEachRecord(hal::Storage& store, PlaybackError& why, Fn&& fn) {
  double* const raw = raw_;
  ct::Record record{0, -1, std::span<double>(raw_, config_.analog_count)};
  const ChannelMap& m = settings_.channels;
  const std::uint64_t count = config_.sample_count();
  const std::size_t size = ct::BinaryRecordSize(config_);
  if (size > kMaxLine) {
    why.clear();
    why.Format("a record of %u bytes is longer than the playback's buffer (%u)", static_cast<unsigned>(size),
               static_cast<unsigned>(kMaxLine));
    return ResourceExhausted("record too long");
  }
  double values[Resampler::kValues] = {};
  std::int64_t first_timestamp = -1;
  bool first_point = true;
  StorageLines lines(store, cfg_end_, dat_end_, line_);
  std::uint64_t offset = cfg_end_;
  for (std::uint64_t n = 1; n <= count; ++n) {
    ct::Error e;
    const auto index = static_cast<std::uint32_t>(n);
    if (size == 0) {
      std::string_view line;
      bool at_end = false;
      // Blank lines between records are skipped.
      do {
        if (Status s = lines.Next(line, at_end); !s.ok()) {
          why.clear();
          why.Format("dat record %u: %s", static_cast<unsigned>(n), s.message());
          return s;
        }
      } while (!at_end && line.find_first_not_of(" \t") == std::string_view::npos);
      if (at_end) {
        why.clear();
        why.Format("dat: the data ends after %u records; the CFG's endsamp says %llu", static_cast<unsigned>(n - 1),
                   static_cast<unsigned long long>(count));
        return OutOfRange("truncated record");
      }
      e = ct::DecodeAsciiRecord(config_, line, index, record);
    } else {
      if (offset + size > dat_end_) {
        why.clear();
        why.Format("dat: the data ends after %u records; the CFG's endsamp says %llu", static_cast<unsigned>(n - 1),
                   static_cast<unsigned long long>(count));
        return OutOfRange("truncated record");
      }
      PMU_TRY(store.Read(static_cast<std::size_t>(offset), AsWritableBytes(line_, size)));
      e = ct::DecodeBinaryRecord(config_, AsBytes(line_, size), index, record);
      offset += size;
    }
    if (!e.ok()) {
      Describe(e, "dat", why);
      return InvalidArgument("bad COMTRADE data");
    }
    double t = config_.SampleTime(n);
    if (config_.rate_count == 0) {
      if (record.timestamp < 0) {
        Describe(ct::Error{index, "timestamp", 0, "is missing, and nrates is 0 (the time stamps give the timing)"},
                 "dat", why);
        return InvalidArgument("bad COMTRADE data");
      }
      if (first_timestamp < 0) first_timestamp = record.timestamp;
      t = static_cast<double>(record.timestamp - first_timestamp) * config_.TimestampNs() * 1e-9;
    }
    // An instant where every mapped channel is missing (a PDC's record of a frame that
    // never came) is left out, so the interpolation bridges it; a single missing value
    // keeps the channel's previous one.
    bool any = false;
    for (std::size_t i = 0; i < hal::kAnalogChannels; ++i) {
      any = any || (m.value[i] != 0 && !std::isnan(raw[m.value[i] - 1]));
    }
    if (!any) continue;
    for (std::size_t i = 0; i < hal::kAnalogChannels; ++i) {
      if (m.value[i] != 0 && !std::isnan(raw[m.value[i] - 1])) {
        values[i] = config_.analog[m.value[i] - 1].Primary(raw[m.value[i] - 1]);
      }
      if (m.angle[i] != 0 && !std::isnan(raw[m.angle[i] - 1])) {
        const ct::AnalogChannel& a = config_.analog[m.angle[i] - 1];
        // Degrees (no transformer ratio), unwrapped against the previous report so the
        // interpolation between two reports takes the short way round.
        double& angle = values[hal::kAnalogChannels + i];
        const double now = a.a * raw[m.angle[i] - 1] + a.b;
        angle = first_point ? now : angle + std::remainder(now - angle, 360.0);
      }
    }
    first_point = false;
    fn(t, values);
  }
  if (first_point) {
    why.clear();
    why.Append("dat: every record's mapped channels are missing values");
    return InvalidArgument("nothing to play");
  }
  return Status::Ok();
}

void ComtradeFrontEnd::Store(std::int64_t j, const double* v) {
  hal::AnalogSample s;
  const std::int64_t k = settings_.start + j;
  // Nominal rotation from the UTC grid, exact: (f0 k mod fs) / fs turns.
  const double nominal = static_cast<double>(FloorMod(k * settings_.nominal_hz, kSampleRate)) / kSampleRate;
  for (std::size_t ch = 0; ch < hal::kAnalogChannels; ++ch) {
    double x = v[ch];
    if (phasors()) {
      double turns = nominal + v[hal::kAnalogChannels + ch] / 360.0;
      turns -= std::floor(turns);
      const auto theta = static_cast<std::uint64_t>(std::fmin(turns * kTwo64, 18446744073709549568.0));
      x = std::sqrt(2.0) * v[ch] * CosTurns(theta);
    }
    double counts = std::nearbyint(x / scale_[ch]);
    if (counts > 32767) counts = 32767;
    if (counts < -32768) counts = -32768;
    s.counts[ch] = static_cast<std::int16_t>(counts);
  }
  buffer_[static_cast<std::size_t>(j)] = s;
}

Status ComtradeFrontEnd::Load(hal::Storage& store, const PlaybackSettings& settings, PlaybackError& why) {
  why.clear();
  length_ = 0;
  settings_ = settings;
  if (settings.nominal_hz != 50 && settings.nominal_hz != 60) return InvalidArgument("nominal frequency must be 50 or 60 Hz");
  cycle_ = kSampleRate / settings.nominal_hz;
  PMU_TRY(Locate(store, why));
  PMU_TRY(ResolveChannels(why));
  // Pass one: the largest value of each channel sets its counts' scale.
  double peak[hal::kAnalogChannels] = {};
  const bool phasor = phasors();
  PMU_TRY(ForEachRecord(store, why, [&](double, const double* v) {
    for (std::size_t ch = 0; ch < hal::kAnalogChannels; ++ch) {
      const double a = std::fabs(v[ch]) * (phasor ? std::sqrt(2.0) : 1.0);
      if (a > peak[ch]) peak[ch] = a;
    }
  }));
  for (std::size_t ch = 0; ch < hal::kAnalogChannels; ++ch) {
    scale_[ch] = peak[ch] > 0 ? static_cast<float>(peak[ch] * kHeadroom / 32767.0) : 1.0f;
  }
  // Pass two: resampled onto the 2400/s grid from the record's first sample.
  Resampler r{*this, {}, 0, 0, false};
  double last_t = 0, previous_t = 0;
  PMU_TRY(ForEachRecord(store, why, [&](double t, const double* v) {
    previous_t = last_t;
    last_t = t;
    r.Add(t, v);
  }));
  // A pass lasts the record plus one of its sample periods (the next sample would
  // have come then), rounded up to whole nominal cycles for a phasor record.
  const double period = r.points > 1 ? last_t - previous_t : 1.0 / kSampleRate;
  std::int64_t length = static_cast<std::int64_t>(std::llround((last_t + period) * kSampleRate));
  if (phasor) length = (length + cycle_ - 1) / cycle_ * cycle_;
  if (length < 1) length = 1;
  r.Finish(static_cast<double>(length - 1) / kSampleRate - last_t);
  if (r.overflow || length > static_cast<std::int64_t>(buffer_.size())) {
    why.clear();
    why.Format("the record lasts %.3f s; this device plays at most %.3f s (%u samples at %u/s)",
               static_cast<double>(length) / kSampleRate, static_cast<double>(buffer_.size()) / kSampleRate,
               static_cast<unsigned>(buffer_.size()), static_cast<unsigned>(kSampleRate));
    return ResourceExhausted("record too long");
  }
  // Samples the last interval did not reach (rounding) repeat the last one.
  for (std::int64_t j = r.next; j < length; ++j) buffer_[static_cast<std::size_t>(j)] = buffer_[static_cast<std::size_t>(r.next - 1)];
  length_ = length;
  return Status::Ok();
}

std::int64_t ComtradeFrontEnd::Index(std::int64_t rel) const {
  if (rel >= 0 && rel < length_) return rel;
  const std::int64_t c = cycle_ < length_ ? cycle_ : length_;
  switch (settings_.end) {
    case PlaybackEnd::kLoop: return FloorMod(rel, length_);
    case PlaybackEnd::kHold: return rel < 0 ? FloorMod(rel, c) : length_ - c + FloorMod(rel - length_, c);
    case PlaybackEnd::kStop: return -1;
  }
  return -1;
}

Status ComtradeFrontEnd::Read(std::int64_t first, std::span<hal::AnalogSample> out) {
  if (length_ == 0) return Unavailable("no record loaded");
  for (std::size_t i = 0; i < out.size(); ++i) {
    const std::int64_t index = Index(first + static_cast<std::int64_t>(i) - settings_.start);
    if (index < 0) return OutOfRange("the record is not playing (comtrade.end = stop)");
    out[i] = buffer_[static_cast<std::size_t>(index)];
  }
  return Status::Ok();
}

}  // namespace pmu::firmware
