#include "pmu/proto/comtrade.h"

#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <limits>

#include "pmu/base/civil_time.h"

namespace pmu::proto::comtrade {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// The comma-separated fields of a line, trimmed; at most N (the rest stays in the last).
template <std::size_t N>
struct Fields {
  std::array<std::string_view, N> item{};
  std::size_t count = 0;
  bool overflow = false;  // more than N fields
};

template <std::size_t N>
Fields<N> Split(std::string_view line) {
  Fields<N> f;
  while (true) {
    const std::size_t comma = line.find(',');
    if (f.count == N) {
      f.overflow = true;
      return f;
    }
    f.item[f.count++] = Trim(line.substr(0, comma));
    if (comma == std::string_view::npos) return f;
    line.remove_prefix(comma + 1);
  }
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'a' && x <= 'z') x = static_cast<char>(x - 32);
    if (y >= 'a' && y <= 'z') y = static_cast<char>(y - 32);
    if (x != y) return false;
  }
  return true;
}

// [+-]digits[.digits][e[+-]digits], or .digits: a decimal number without the C
// library (newlib's strtod allocates). Exact enough for the standard's fields (a few
// units in the last place).
bool ParseNumber(std::string_view s, double* out) {
  if (s.empty()) return false;
  bool negative = false;
  std::size_t i = 0;
  if (s[0] == '+' || s[0] == '-') {
    negative = s[0] == '-';
    ++i;
  }
  std::uint64_t mantissa = 0;
  int exponent = 0;
  std::size_t digits = 0;
  auto take = [&](char c, bool fraction) {
    if (mantissa < 100'000'000'000'000'000ull) {
      mantissa = mantissa * 10 + static_cast<unsigned>(c - '0');
      if (fraction) --exponent;
    } else if (!fraction) {
      ++exponent;  // digits past 18 significant ones only scale
    }
    ++digits;
  };
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') take(s[i++], false);
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') take(s[i++], true);
  }
  if (digits == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    bool eneg = false;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) eneg = s[i++] == '-';
    int e = 0;
    std::size_t edigits = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      if (e < 10000) e = e * 10 + (s[i] - '0');
      ++i;
      ++edigits;
    }
    if (edigits == 0) return false;
    exponent += eneg ? -e : e;
  }
  if (i != s.size()) return false;
  double v = static_cast<double>(mantissa);
  if (v != 0) {
    // Scale by powers of ten in steps that stay exact as long as possible.
    double p = 1;
    int e = exponent < 0 ? -exponent : exponent;
    if (e > 400) e = 400;
    double base = 10;
    while (e > 0) {
      if (e & 1) p *= base;
      base *= base;
      e >>= 1;
    }
    v = exponent < 0 ? v / p : v * p;
  }
  if (!std::isfinite(v)) return false;
  *out = negative ? -v : v;
  return true;
}

bool ParseInteger(std::string_view s, std::uint64_t max, std::uint64_t* out) {
  if (s.empty() || s.size() > 20) return false;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    const unsigned d = static_cast<unsigned>(c - '0');
    if (d > max || v > (max - d) / 10) return false;
    v = v * 10 + d;
  }
  *out = v;
  return true;
}

bool ParseSigned(std::string_view s, std::int64_t* out) {
  bool negative = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  std::uint64_t v = 0;
  if (!ParseInteger(s, static_cast<std::uint64_t>(INT64_MAX), &v)) return false;
  *out = negative ? -static_cast<std::int64_t>(v) : static_cast<std::int64_t>(v);
  return true;
}

// "12A" with the letter `kind`.
bool ParseCount(std::string_view s, char kind, std::uint64_t* out) {
  if (s.empty()) return false;
  const char last = s.back();
  if (last != kind && last != kind + 32) return false;
  return ParseInteger(Trim(s.substr(0, s.size() - 1)), kMaxDigital, out);
}

bool ParseFormat(std::string_view s, Format* out) {
  if (EqualsIgnoreCase(s, "ASCII")) return *out = Format::kAscii, true;
  if (EqualsIgnoreCase(s, "BINARY")) return *out = Format::kBinary, true;
  if (EqualsIgnoreCase(s, "BINARY32")) return *out = Format::kBinary32, true;
  if (EqualsIgnoreCase(s, "FLOAT32")) return *out = Format::kFloat32, true;
  return false;
}

std::size_t ValueBytes(Format f) { return f == Format::kBinary ? 2 : 4; }

std::uint32_t LoadLe32(const std::byte* p) {
  return std::to_integer<std::uint32_t>(p[0]) | (std::to_integer<std::uint32_t>(p[1]) << 8) |
         (std::to_integer<std::uint32_t>(p[2]) << 16) | (std::to_integer<std::uint32_t>(p[3]) << 24);
}
void StoreLe32(std::byte* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<std::byte>(v >> (8 * i));
}

// Appends printf-style text to a caller buffer; remembers overflow.
class Writer {
 public:
  explicit Writer(std::span<char> out) : out_(out) {}
  __attribute__((format(printf, 2, 3))) void Put(const char* fmt, ...) {
    va_list args;
    va_start(args, fmt);
    const std::size_t room = out_.size() - size_;
    const int n = std::vsnprintf(out_.data() + size_, room, fmt, args);
    va_end(args);
    if (n < 0 || static_cast<std::size_t>(n) >= room) {
      full_ = true;
      size_ = out_.size();
      return;
    }
    size_ += static_cast<std::size_t>(n);
  }
  Result<std::size_t> Done() const {
    if (full_) return ResourceExhausted("COMTRADE text does not fit the output buffer");
    return size_;
  }

 private:
  std::span<char> out_;
  std::size_t size_ = 0;
  bool full_ = false;
};

void PutStamp(Writer& w, const Stamp& s, Revision r) {
  if (r == Revision::k1991) {
    w.Put("%02u/%02u/%02u,", s.month, s.day, static_cast<unsigned>(s.year % 100));
  } else {
    w.Put("%02u/%02u/%04d,", s.day, s.month, static_cast<int>(s.year));
  }
  if (s.fraction_digits == 9) {
    w.Put("%02u:%02u:%02u.%09u\r\n", s.hour, s.minute, s.second, static_cast<unsigned>(s.nanosecond));
  } else {
    w.Put("%02u:%02u:%02u.%06u\r\n", s.hour, s.minute, s.second, static_cast<unsigned>(s.nanosecond / 1000));
  }
}

}  // namespace

const char* RevisionName(Revision r) {
  switch (r) {
    case Revision::k1991: return "1991";
    case Revision::k1999: return "1999";
    case Revision::k2013: return "2013";
  }
  return "?";
}

const char* FormatName(Format f) {
  switch (f) {
    case Format::kAscii: return "ASCII";
    case Format::kBinary: return "BINARY";
    case Format::kBinary32: return "BINARY32";
    case Format::kFloat32: return "FLOAT32";
  }
  return "?";
}

FixedString<200> Describe(const Error& e, const char* what) {
  FixedString<200> t;
  if (e.ok()) return t.Append("no error"), t;
  t.Append(what);
  if (e.line != 0) t.Format(" %s %u", std::strcmp(what, "dat") == 0 ? "record" : "line", static_cast<unsigned>(e.line));
  if (e.field != nullptr) t.Format(", field %s", e.field);
  if (e.channel != 0) t.Format(" (analog channel %u)", static_cast<unsigned>(e.channel));
  t.Format(": %s", e.reason);
  return t;
}

double AnalogChannel::Primary(double raw) const {
  double v = a * raw + b;
  if (!primary_values && primary > 0 && secondary > 0) v *= primary / secondary;
  return v;
}

std::int64_t Stamp::UnixNs() const {
  return UnixSecondsFromCivil(year, month, day, hour, minute, second) * 1'000'000'000 + nanosecond;
}

std::uint64_t Config::sample_count() const { return rates[segment_count() - 1].end_sample; }

double Config::TimestampNs() const { return (first.fraction_digits == 9 ? 1.0 : 1000.0) * timemult; }

double Config::SampleTime(std::uint64_t n) const {
  if (rate_count == 0) return kNaN;
  double t = 0;
  std::uint64_t begin = 1;  // first sample number of the segment
  for (std::size_t i = 0; i < segment_count(); ++i) {
    const RateSegment& s = rates[i];
    if (n <= s.end_sample || i + 1 == segment_count()) {
      return t + static_cast<double>(n - begin) / s.rate;
    }
    // The segment's last sample to the next segment's first is one period of the next.
    t += static_cast<double>(s.end_sample - begin) / s.rate + 1.0 / rates[i + 1].rate;
    begin = s.end_sample + 1;
  }
  return t;
}

// ---- configuration ------------------------------------------------------------------------

Error ConfigParser::Line(std::string_view raw) {
  ++line_;
  const std::string_view text = Trim(raw);
  // A .cfg is text: a control byte (a NUL from a damaged file, say) in a name would
  // end it early when the configuration is written again.
  for (char c : text) {
    if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7F) return Fail(nullptr, "holds a control character");
  }
  switch (state_) {
    case State::kIdentity: return ParseIdentity(text);
    case State::kCounts: return ParseCounts(text);
    case State::kAnalog: return ParseAnalog(text);
    case State::kDigital: return ParseDigital(text);
    case State::kLineFrequency: {
      if (!ParseNumber(text, &config_.line_hz) || config_.line_hz < 0) return Fail("lf", "must be a number, 0 or more");
      state_ = State::kRateCount;
      return {};
    }
    case State::kRateCount: {
      std::uint64_t n = 0;
      if (!ParseInteger(text, 1000, &n)) return Fail("nrates", "must be a whole number");
      if (n > kMaxRates) return Fail("nrates", "more sampling rates than this build holds (16)");
      config_.rate_count = static_cast<std::uint32_t>(n);
      item_ = 0;
      state_ = State::kRates;
      return {};
    }
    case State::kRates: return ParseRate(text);
    case State::kFirstStamp:
    case State::kTriggerStamp: {
      const Error e = ParseStamp(text, state_ == State::kFirstStamp ? config_.first : config_.trigger);
      if (!e.ok()) return e;
      state_ = state_ == State::kFirstStamp ? State::kTriggerStamp : State::kFormat;
      return {};
    }
    case State::kFormat: {
      if (!ParseFormat(text, &config_.format)) return Fail("ft", "must be ASCII, BINARY, BINARY32 or FLOAT32");
      if (config_.revision != Revision::k2013 &&
          (config_.format == Format::kBinary32 || config_.format == Format::kFloat32)) {
        return Fail("ft", "BINARY32 and FLOAT32 need rev_year 2013");
      }
      state_ = config_.revision == Revision::k1991 ? State::kDone : State::kTimemult;
      return {};
    }
    case State::kTimemult: {
      if (!ParseNumber(text, &config_.timemult) || !(config_.timemult > 0)) {
        return Fail("timemult", "must be a number above 0");
      }
      state_ = config_.revision == Revision::k2013 ? State::kTimeCode : State::kDone;
      return {};
    }
    case State::kTimeCode: {
      if (text.empty()) return {};  // the optional 2013 lines may be absent
      const auto f = Split<2>(text);
      if (f.count != 2 || f.overflow) return Fail("time_code", "must be time_code,local_code");
      config_.time_code = FixedString<8>(f.item[0]);
      config_.local_code = FixedString<8>(f.item[1]);
      if (f.item[0].empty() || config_.time_code.truncated() || config_.local_code.truncated()) {
        return Fail("time_code", "must be an offset like -5h30 (at most 6 characters)");
      }
      state_ = State::kTimeQuality;
      return {};
    }
    case State::kTimeQuality: {
      if (text.empty()) return {};
      const auto f = Split<2>(text);
      std::uint64_t leap = 0;
      if (f.count != 2 || f.overflow || f.item[0].size() != 1) return Fail("tmq_code", "must be tmq_code,leapsec");
      const char q = f.item[0][0];
      if (!((q >= '0' && q <= '9') || (q >= 'A' && q <= 'F') || (q >= 'a' && q <= 'f'))) {
        return Fail("tmq_code", "must be one hexadecimal digit");
      }
      if (!ParseInteger(f.item[1], 3, &leap)) return Fail("leapsec", "must be 0, 1, 2 or 3");
      config_.time_quality = FixedString<2>(f.item[0]);
      config_.leap_second = static_cast<std::uint8_t>(leap);
      state_ = State::kDone;
      return {};
    }
    case State::kDone:
      if (!text.empty()) return Fail(nullptr, "unexpected text after the last line of the configuration");
      return {};
  }
  return Fail(nullptr, "internal state");
}

Error ConfigParser::Finish() const {
  if (state_ == State::kDone || state_ == State::kTimeCode || state_ == State::kTimeQuality) return {};
  static const char* const kNames[] = {"station_name", "TT", "An",  "Dn", "lf", "nrates", "samp",
                                       "start date",   "trigger date", "ft", "timemult"};
  const auto i = static_cast<std::size_t>(state_);
  return Error{line_ + 1, i < sizeof(kNames) / sizeof(kNames[0]) ? kNames[i] : nullptr, 0,
               "the configuration ends before this line"};
}

Error ConfigParser::ParseIdentity(std::string_view text) {
  const auto f = Split<3>(text);
  if (f.overflow || f.count < 2) return Fail("station_name", "must be station_name,rec_dev_id[,rev_year]");
  config_.station = FixedString<64>(f.item[0]);
  config_.device = FixedString<64>(f.item[1]);
  if (f.count == 2) {
    config_.revision = Revision::k1991;
  } else if (f.item[2] == "1999") {
    config_.revision = Revision::k1999;
  } else if (f.item[2] == "2013") {
    config_.revision = Revision::k2013;
  } else if (f.item[2] == "1991" || f.item[2].empty()) {
    config_.revision = Revision::k1991;
  } else {
    return Fail("rev_year", "must be 1991, 1999 or 2013");
  }
  state_ = State::kCounts;
  return {};
}

Error ConfigParser::ParseCounts(std::string_view text) {
  const auto f = Split<3>(text);
  std::uint64_t total = 0, analog = 0, digital = 0;
  if (f.overflow || f.count != 3) return Fail("TT", "must be TT,##A,##D");
  if (!ParseInteger(f.item[0], 1'000'000, &total)) return Fail("TT", "must be a whole number");
  if (!ParseCount(f.item[1], 'A', &analog)) return Fail("##A", "must be a whole number followed by A");
  if (!ParseCount(f.item[2], 'D', &digital)) return Fail("##D", "must be a whole number followed by D");
  if (analog + digital != total) return Fail("TT", "is not ##A + ##D");
  if (analog > kMaxAnalog) return Fail("##A", "more analog channels than this build holds");
  config_.analog_count = static_cast<std::uint32_t>(analog);
  config_.digital_count = static_cast<std::uint32_t>(digital);
  item_ = 0;
  state_ = analog > 0 ? State::kAnalog : digital > 0 ? State::kDigital : State::kLineFrequency;
  return {};
}

Error ConfigParser::ParseAnalog(std::string_view text) {
  const std::uint32_t ch = item_ + 1;
  const auto f = Split<13>(text);
  const std::size_t want = config_.revision == Revision::k1991 ? 10 : 13;
  if (f.overflow || f.count != want) {
    return Fail("An", config_.revision == Revision::k1991 ? "must have 10 fields: An,ch_id,ph,ccbm,uu,a,b,skew,min,max"
                                                          : "must have 13 fields: An,ch_id,ph,ccbm,uu,a,b,skew,min,"
                                                            "max,primary,secondary,PS",
                ch);
  }
  AnalogChannel& c = config_.analog[item_];
  std::uint64_t index = 0;
  if (!ParseInteger(f.item[0], 999'999, &index) || index == 0) return Fail("An", "must be a whole number from 1", ch);
  c.index = static_cast<std::uint32_t>(index);
  c.id = FixedString<64>(f.item[1]);
  c.phase = FixedString<4>(f.item[2]);
  c.units = FixedString<16>(f.item[4]);
  struct NumberField {
    const char* name;
    std::size_t at;
    double* into;
  };
  const NumberField numbers[] = {{"a", 5, &c.a}, {"b", 6, &c.b}, {"skew", 7, &c.skew_us}, {"min", 8, &c.min},
                                 {"max", 9, &c.max}, {"primary", 10, &c.primary}, {"secondary", 11, &c.secondary}};
  for (const NumberField& n : numbers) {
    if (n.at >= want) break;
    if (!ParseNumber(f.item[n.at], n.into)) return Fail(n.name, "must be a number", ch);
  }
  if (c.min > c.max) return Fail("max", "is below min", ch);
  if (want == 13) {
    const std::string_view ps = f.item[12];
    if (ps == "P" || ps == "p") {
      c.primary_values = true;
    } else if (ps == "S" || ps == "s") {
      c.primary_values = false;
    } else {
      return Fail("PS", "must be P or S", ch);
    }
  }
  if (++item_ == config_.analog_count) {
    item_ = 0;
    state_ = config_.digital_count > 0 ? State::kDigital : State::kLineFrequency;
  }
  return {};
}

Error ConfigParser::ParseDigital(std::string_view text) {
  const auto f = Split<5>(text);
  const std::size_t want = config_.revision == Revision::k1991 ? 3 : 5;
  if (f.overflow || f.count != want) {
    return Fail("Dn", config_.revision == Revision::k1991 ? "must have 3 fields: Dn,ch_id,y"
                                                          : "must have 5 fields: Dn,ch_id,ph,ccbm,y");
  }
  std::uint64_t index = 0, normal = 0;
  if (!ParseInteger(f.item[0], 999'999, &index) || index == 0) return Fail("Dn", "must be a whole number from 1");
  if (!ParseInteger(f.item[want - 1], 1, &normal)) return Fail("y", "must be 0 or 1");
  if (++item_ == config_.digital_count) state_ = State::kLineFrequency;
  return {};
}

Error ConfigParser::ParseRate(std::string_view text) {
  const auto f = Split<2>(text);
  if (f.overflow || f.count != 2) return Fail("samp", "must be samp,endsamp");
  RateSegment& s = config_.rates[item_];
  std::uint64_t end = 0;
  if (!ParseNumber(f.item[0], &s.rate) || s.rate < 0) return Fail("samp", "must be a number, 0 or more");
  if (!ParseInteger(f.item[1], 0xFFFFFFFFull, &end)) return Fail("endsamp", "must be a whole number");
  if (config_.rate_count > 0 && !(s.rate > 0)) return Fail("samp", "must be above 0 when nrates is not 0");
  if (config_.rate_count == 0 && s.rate != 0) return Fail("samp", "must be 0 when nrates is 0");
  const std::uint64_t previous = item_ == 0 ? 0 : config_.rates[item_ - 1].end_sample;
  if (end <= previous) return Fail("endsamp", item_ == 0 ? "must be 1 or more" : "must be above the previous endsamp");
  s.end_sample = end;
  if (++item_ >= config_.segment_count()) state_ = State::kFirstStamp;
  return {};
}

Error ConfigParser::ParseStamp(std::string_view text, Stamp& out) {
  const char* field = state_ == State::kFirstStamp ? "start date" : "trigger date";
  const auto f = Split<2>(text);
  if (f.overflow || f.count != 2) return Fail(field, "must be dd/mm/yyyy,hh:mm:ss.ssssss");
  // The date: three numbers separated by '/'.
  std::uint64_t d[3] = {};
  std::string_view date = f.item[0];
  for (int i = 0; i < 3; ++i) {
    const std::size_t slash = date.find('/');
    if ((i < 2) == (slash == std::string_view::npos)) return Fail(field, "must be dd/mm/yyyy");
    if (!ParseInteger(date.substr(0, slash), 9999, &d[i])) return Fail(field, "must be dd/mm/yyyy (numbers)");
    if (slash != std::string_view::npos) date.remove_prefix(slash + 1);
  }
  const bool old = config_.revision == Revision::k1991;  // mm/dd/yy
  std::uint64_t day = old ? d[1] : d[0], month = old ? d[0] : d[1], year = d[2];
  if (old && year < 100) year += year < 70 ? 2000 : 1900;
  if (month < 1 || month > 12 || day < 1 || day > 31 || year < 1900 || year > 9999) {
    return Fail(field, "is not a valid date");
  }
  // The time: hh:mm:ss[.fraction].
  std::string_view time = f.item[1];
  std::uint64_t t[3] = {};
  for (int i = 0; i < 3; ++i) {
    const std::size_t end = i < 2 ? time.find(':') : time.find('.');
    if (i < 2 && end == std::string_view::npos) return Fail(field, "must be hh:mm:ss.ssssss");
    if (!ParseInteger(time.substr(0, end), 99, &t[i])) return Fail(field, "must be hh:mm:ss.ssssss (numbers)");
    time = end == std::string_view::npos ? std::string_view() : time.substr(end + 1);
  }
  if (t[0] > 23 || t[1] > 59 || t[2] > 60) return Fail(field, "is not a valid time of day");
  std::uint64_t fraction = 0;
  if (time.size() > 9 || (!time.empty() && !ParseInteger(time, 999'999'999, &fraction))) {
    return Fail(field, "must have at most 9 digits after the seconds' point");
  }
  for (std::size_t i = time.size(); i < 9; ++i) fraction *= 10;
  out.year = static_cast<std::int32_t>(year);
  out.month = static_cast<std::uint8_t>(month);
  out.day = static_cast<std::uint8_t>(day);
  out.hour = static_cast<std::uint8_t>(t[0]);
  out.minute = static_cast<std::uint8_t>(t[1]);
  out.second = static_cast<std::uint8_t>(t[2] > 59 ? 59 : t[2]);  // a leap second counts as :59
  out.nanosecond = static_cast<std::uint32_t>(fraction);
  out.fraction_digits = static_cast<std::uint8_t>(time.size());
  return {};
}

Error ParseConfig(std::string_view text, Config& config) {
  ConfigParser parser(config);
  while (!text.empty()) {
    std::size_t end = text.find_first_of("\r\n");
    const std::string_view line = text.substr(0, end);
    if (end == std::string_view::npos) {
      text = {};
    } else {
      // CR LF, LF or CR ends a line.
      text.remove_prefix(end + ((text[end] == '\r' && end + 1 < text.size() && text[end + 1] == '\n') ? 2 : 1));
    }
    if (const Error e = parser.Line(line); !e.ok()) return e;
  }
  return parser.Finish();
}

// ---- data ---------------------------------------------------------------------------------

std::size_t BinaryRecordSize(const Config& c) {
  if (c.format == Format::kAscii) return 0;
  return 8 + c.analog_count * ValueBytes(c.format) + 2 * ((c.digital_count + 15) / 16);
}

Error DecodeAsciiRecord(const Config& c, std::string_view line, std::uint32_t record_line, Record& out) {
  if (out.values.size() < c.analog_count) return Error{record_line, nullptr, 0, "value buffer too small"};
  line = Trim(line);
  std::size_t field = 0;
  const std::size_t fields = 2 + c.analog_count + c.digital_count;
  while (true) {
    const std::size_t comma = line.find(',');
    const std::string_view item = Trim(line.substr(0, comma));
    if (field >= fields) return Error{record_line, nullptr, 0, "more fields than n, timestamp and the channels"};
    if (field == 0) {
      std::uint64_t n = 0;
      if (!ParseInteger(item, 0xFFFFFFFFull, &n)) return Error{record_line, "n", 0, "must be a whole number"};
      out.number = static_cast<std::uint32_t>(n);
    } else if (field == 1) {
      std::int64_t ts = -1;
      if (item.empty()) {
        out.timestamp = -1;
      } else if (!ParseSigned(item, &ts) || ts < 0) {
        return Error{record_line, "timestamp", 0, "must be a whole number, 0 or more, or empty"};
      } else {
        out.timestamp = ts;
      }
    } else if (field < 2 + c.analog_count) {
      const auto ch = static_cast<std::uint32_t>(field - 1);
      double v = 0;
      if (item.empty() || item == "99999") {
        v = kNaN;  // missing (1999: 99999; 2013: an empty field)
      } else if (!ParseNumber(item, &v)) {
        return Error{record_line, "value", ch, "must be a number"};
      }
      out.values[ch - 1] = v;
    } else if (item != "0" && item != "1") {
      return Error{record_line, "status", 0, "must be 0 or 1"};
    }
    ++field;
    if (comma == std::string_view::npos) break;
    line.remove_prefix(comma + 1);
  }
  if (field != fields) return Error{record_line, nullptr, 0, "fewer fields than n, timestamp and the channels"};
  return {};
}

Error DecodeBinaryRecord(const Config& c, ByteSpan bytes, std::uint32_t record_index, Record& out) {
  if (out.values.size() < c.analog_count) return Error{record_index, nullptr, 0, "value buffer too small"};
  if (c.format == Format::kAscii) return Error{record_index, "ft", 0, "the record is ASCII"};
  if (bytes.size() != BinaryRecordSize(c)) return Error{record_index, nullptr, 0, "record is not of the record size"};
  out.number = LoadLe32(bytes.data());
  const std::uint32_t ts = LoadLe32(bytes.data() + 4);
  out.timestamp = ts == 0xFFFFFFFFu ? -1 : static_cast<std::int64_t>(ts);
  const std::byte* p = bytes.data() + 8;
  for (std::uint32_t i = 0; i < c.analog_count; ++i) {
    double v = 0;
    switch (c.format) {
      case Format::kBinary: {
        const auto raw = static_cast<std::int16_t>(std::to_integer<unsigned>(p[0]) | (std::to_integer<unsigned>(p[1]) << 8));
        v = raw == INT16_MIN ? kNaN : raw;
        p += 2;
        break;
      }
      case Format::kBinary32: {
        const auto raw = static_cast<std::int32_t>(LoadLe32(p));
        v = raw == INT32_MIN ? kNaN : raw;
        p += 4;
        break;
      }
      default: {
        const std::uint32_t bits = LoadLe32(p);
        float f = 0;
        std::memcpy(&f, &bits, sizeof(f));
        if (std::isinf(f)) return Error{record_index, "value", i + 1, "is infinite"};
        v = f;  // NaN stays: missing
        p += 4;
        break;
      }
    }
    out.values[i] = v;
  }
  return {};
}

// ---- .cff ----------------------------------------------------------------------------------

bool ParseCffHeader(std::string_view line, CffHeader& out, Error& error) {
  line = Trim(line);
  constexpr std::string_view kOpen = "--- file type:";
  constexpr std::string_view kClose = "---";
  if (line.size() < kOpen.size() || !EqualsIgnoreCase(line.substr(0, kOpen.size()), kOpen)) return false;
  error = {};
  if (line.size() < kOpen.size() + kClose.size() || line.substr(line.size() - kClose.size()) != kClose) {
    error = Error{0, "file type", 0, "a section header ends with ---"};
    return true;
  }
  std::string_view body = Trim(line.substr(kOpen.size(), line.size() - kOpen.size() - kClose.size()));
  out = CffHeader{};
  if (EqualsIgnoreCase(body, "CFG")) return out.section = CffSection::kCfg, true;
  if (EqualsIgnoreCase(body, "INF")) return out.section = CffSection::kInf, true;
  if (EqualsIgnoreCase(body, "HDR")) return out.section = CffSection::kHdr, true;
  if (body.size() < 4 || !EqualsIgnoreCase(body.substr(0, 4), "DAT ")) {
    error = Error{0, "file type", 0, "must be CFG, INF, HDR or DAT"};
    return true;
  }
  out.section = CffSection::kDat;
  body = Trim(body.substr(4));
  const std::size_t colon = body.find(':');
  if (!ParseFormat(Trim(body.substr(0, colon)), &out.format)) {
    error = Error{0, "file type", 0, "DAT must be ASCII, BINARY, BINARY32 or FLOAT32"};
    return true;
  }
  if (out.format == Format::kAscii) {
    if (colon != std::string_view::npos) error = Error{0, "file type", 0, "DAT ASCII has no byte count"};
    return true;
  }
  if (colon == std::string_view::npos || !ParseInteger(Trim(body.substr(colon + 1)), UINT64_MAX, &out.bytes)) {
    error = Error{0, "file type", 0, "a binary DAT section needs its byte count (DAT BINARY: n)"};
  }
  return true;
}

// ---- writing -------------------------------------------------------------------------------

Result<std::size_t> WriteConfig(const Config& c, std::span<char> out) {
  Writer w(out);
  if (c.revision == Revision::k1991) {
    w.Put("%s,%s\r\n", c.station.c_str(), c.device.c_str());
  } else {
    w.Put("%s,%s,%s\r\n", c.station.c_str(), c.device.c_str(), RevisionName(c.revision));
  }
  w.Put("%u,%uA,%uD\r\n", static_cast<unsigned>(c.analog_count + c.digital_count),
        static_cast<unsigned>(c.analog_count), static_cast<unsigned>(c.digital_count));
  for (std::uint32_t i = 0; i < c.analog_count && i < kMaxAnalog; ++i) {
    const AnalogChannel& a = c.analog[i];
    w.Put("%u,%s,%s,,%s,%.9g,%.9g,%.9g,%.9g,%.9g", static_cast<unsigned>(a.index ? a.index : i + 1), a.id.c_str(),
          a.phase.c_str(), a.units.c_str(), a.a, a.b, a.skew_us, a.min, a.max);
    if (c.revision != Revision::k1991) w.Put(",%.9g,%.9g,%c", a.primary, a.secondary, a.primary_values ? 'P' : 'S');
    w.Put("\r\n");
  }
  for (std::uint32_t i = 0; i < c.digital_count; ++i) {
    if (c.revision == Revision::k1991) {
      w.Put("%u,D%u,0\r\n", static_cast<unsigned>(i + 1), static_cast<unsigned>(i + 1));
    } else {
      w.Put("%u,D%u,,,0\r\n", static_cast<unsigned>(i + 1), static_cast<unsigned>(i + 1));
    }
  }
  w.Put("%.9g\r\n%u\r\n", c.line_hz, static_cast<unsigned>(c.rate_count));
  for (std::size_t i = 0; i < c.segment_count(); ++i) {
    w.Put("%.9g,%llu\r\n", c.rates[i].rate, static_cast<unsigned long long>(c.rates[i].end_sample));
  }
  PutStamp(w, c.first, c.revision);
  PutStamp(w, c.trigger, c.revision);
  w.Put("%s\r\n", FormatName(c.format));
  if (c.revision != Revision::k1991) w.Put("%.9g\r\n", c.timemult);
  if (c.revision == Revision::k2013) {
    w.Put("%s,%s\r\n%s,%u\r\n", c.time_code.empty() ? "0" : c.time_code.c_str(),
          c.local_code.empty() ? "0" : c.local_code.c_str(), c.time_quality.empty() ? "0" : c.time_quality.c_str(),
          static_cast<unsigned>(c.leap_second));
  }
  return w.Done();
}

Result<std::size_t> WriteAsciiRecord(const Config& c, const Record& r, std::span<char> out) {
  if (r.values.size() < c.analog_count) return InvalidArgument("fewer values than analog channels");
  Writer w(out);
  w.Put("%u,", static_cast<unsigned>(r.number));
  if (r.timestamp >= 0) w.Put("%lld", static_cast<long long>(r.timestamp));
  for (std::uint32_t i = 0; i < c.analog_count; ++i) {
    const double v = r.values[i];
    if (std::isnan(v)) {
      w.Put(c.revision == Revision::k2013 ? "," : ",99999");
    } else {
      w.Put(",%.0f", std::fmax(-99998.0, std::fmin(99998.0, std::nearbyint(v))));
    }
  }
  for (std::uint32_t i = 0; i < c.digital_count; ++i) w.Put(",0");
  w.Put("\r\n");
  return w.Done();
}

Result<std::size_t> WriteBinaryRecord(const Config& c, const Record& r, MutableByteSpan out) {
  const std::size_t size = BinaryRecordSize(c);
  if (size == 0) return InvalidArgument("the configuration's format is ASCII");
  if (r.values.size() < c.analog_count) return InvalidArgument("fewer values than analog channels");
  if (out.size() < size) return ResourceExhausted("record does not fit the output buffer");
  std::byte* p = out.data();
  StoreLe32(p, r.number);
  StoreLe32(p + 4, r.timestamp < 0 ? 0xFFFFFFFFu : static_cast<std::uint32_t>(r.timestamp));
  p += 8;
  for (std::uint32_t i = 0; i < c.analog_count; ++i) {
    const double v = r.values[i];
    switch (c.format) {
      case Format::kBinary: {
        const auto raw = std::isnan(v) ? INT16_MIN
                                       : static_cast<std::int16_t>(std::fmax(-32767.0, std::fmin(32767.0, std::nearbyint(v))));
        p[0] = static_cast<std::byte>(raw & 0xFF);
        p[1] = static_cast<std::byte>((raw >> 8) & 0xFF);
        p += 2;
        break;
      }
      case Format::kBinary32: {
        const std::int32_t raw =
            std::isnan(v) ? INT32_MIN
                          : static_cast<std::int32_t>(std::fmax(-2147483647.0, std::fmin(2147483647.0, std::nearbyint(v))));
        StoreLe32(p, static_cast<std::uint32_t>(raw));
        p += 4;
        break;
      }
      default: {
        const float f = static_cast<float>(v);
        std::uint32_t bits = 0;
        std::memcpy(&bits, &f, sizeof(bits));
        StoreLe32(p, bits);
        p += 4;
        break;
      }
    }
  }
  std::memset(p, 0, out.data() + size - p);
  return size;
}

Result<std::size_t> WriteCffDatHeader(const Config& c, std::uint64_t dat_bytes, std::span<char> out) {
  Writer w(out);
  if (c.format == Format::kAscii) {
    w.Put("--- file type: DAT ASCII ---\r\n");
  } else {
    w.Put("--- file type: DAT %s: %llu ---\r\n", FormatName(c.format), static_cast<unsigned long long>(dat_bytes));
  }
  return w.Done();
}

}  // namespace pmu::proto::comtrade
