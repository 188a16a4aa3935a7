// The archive's text forms: numbers, arrays and names as each database stores them,
// and the parsers that read them (and --from/--to) back. Pure: the fuzz target
// fuzz_archive_text runs them.
#include <charconv>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <stdexcept>

#include "record.h"

namespace pmu::pdc::archive {
namespace {

[[noreturn]] void Bad(std::string_view what, std::string_view text) {
  throw std::invalid_argument(std::string(what) + " in '" + std::string(text.substr(0, 80)) + "'");
}

void SkipSpace(std::string_view text, std::size_t& i) {
  while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r')) ++i;
}

// The elements of a JSON array: calls `element(text, i)` at each, which must advance i.
template <typename Element>
void ParseArray(std::string_view text, Element&& element) {
  std::size_t i = 0;
  SkipSpace(text, i);
  if (i >= text.size() || text[i] != '[') Bad("expected '['", text);
  ++i;
  SkipSpace(text, i);
  if (i < text.size() && text[i] == ']') {
    ++i;
  } else {
    for (;;) {
      SkipSpace(text, i);
      element(text, i);
      SkipSpace(text, i);
      if (i >= text.size()) Bad("unterminated array", text);
      if (text[i] == ']') {
        ++i;
        break;
      }
      if (text[i] != ',') Bad("expected ',' or ']'", text);
      ++i;
    }
  }
  SkipSpace(text, i);
  if (i != text.size()) Bad("text after the array", text);
}

unsigned HexDigit(char c, std::string_view text) {
  if (c >= '0' && c <= '9') return static_cast<unsigned>(c - '0');
  if (c >= 'a' && c <= 'f') return static_cast<unsigned>(c - 'a' + 10);
  if (c >= 'A' && c <= 'F') return static_cast<unsigned>(c - 'A' + 10);
  Bad("bad \\u escape", text);
}

void AppendUtf8(std::string& out, unsigned cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

std::string ParseString(std::string_view text, std::size_t& i) {
  if (i >= text.size() || text[i] != '"') Bad("expected a string", text);
  ++i;
  std::string out;
  for (;;) {
    if (i >= text.size()) Bad("unterminated string", text);
    const char c = text[i++];
    if (c == '"') return out;
    if (static_cast<unsigned char>(c) < 0x20) Bad("control character in a string", text);
    if (c != '\\') {
      out += c;
      continue;
    }
    if (i >= text.size()) Bad("unterminated escape", text);
    const char e = text[i++];
    switch (e) {
      case '"': case '\\': case '/': out += e; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'u': {
        if (i + 4 > text.size()) Bad("short \\u escape", text);
        unsigned cp = 0;
        for (int k = 0; k < 4; ++k) cp = cp * 16 + HexDigit(text[i++], text);
        // pdc writes each byte outside printable ASCII as \u00XX: those are bytes.
        if (cp < 0x100) {
          out += static_cast<char>(cp);
        } else {
          AppendUtf8(out, cp);
        }
        break;
      }
      default: Bad("unknown escape", text);
    }
  }
}

double ParseNumber(std::string_view text, std::size_t& i) {
  if (text.substr(i, 4) == "null") {
    i += 4;
    return NAN;
  }
  double v = 0;
  const char* begin = text.data() + i;
  const auto r = std::from_chars(begin, text.data() + text.size(), v);
  if (r.ec != std::errc() || r.ptr == begin) Bad("expected a number or null", text);
  i += static_cast<std::size_t>(r.ptr - begin);
  return v;
}

template <typename T>
void AppendShortest(std::string& out, T v) {
  char buf[40];
  const auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out.append(buf, r.ptr);
}

// Days since 1970-01-01 of a civil date (proleptic Gregorian).
std::int64_t DaysFromCivil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

unsigned Digits(std::string_view text, std::size_t& i, std::size_t n, std::string_view whole) {
  if (i + n > text.size()) Bad("time too short", whole);
  unsigned v = 0;
  for (std::size_t k = 0; k < n; ++k) {
    const char c = text[i++];
    if (c < '0' || c > '9') Bad("expected a digit", whole);
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  return v;
}

void Expect(std::string_view text, std::size_t& i, char c, std::string_view whole) {
  if (i >= text.size() || text[i] != c) Bad(std::string("expected '") + c + "'", whole);
  ++i;
}

}  // namespace

void AppendNumber(std::string& out, double v) {
  if (std::isnan(v) || std::isinf(v)) {
    out += "null";
    return;
  }
  AppendShortest(out, v);
}

void AppendJsonArray(std::string& out, std::span<const float> values) {
  out += '[';
  for (std::size_t k = 0; k < values.size(); ++k) {
    if (k) out += ',';
    if (std::isnan(values[k]) || std::isinf(values[k])) {
      out += "null";
    } else {
      AppendShortest(out, values[k]);
    }
  }
  out += ']';
}

void AppendJsonArray(std::string& out, std::span<const std::uint16_t> values) {
  out += '[';
  for (std::size_t k = 0; k < values.size(); ++k) {
    if (k) out += ',';
    AppendShortest(out, values[k]);
  }
  out += ']';
}

void AppendJsonArray(std::string& out, std::span<const std::string> values) {
  out += '[';
  for (std::size_t k = 0; k < values.size(); ++k) {
    if (k) out += ',';
    AppendJsonString(out, values[k]);
  }
  out += ']';
}

void AppendPgArray(std::string& out, std::span<const float> values) {
  out += '{';
  for (std::size_t k = 0; k < values.size(); ++k) {
    if (k) out += ',';
    if (std::isnan(values[k]) || std::isinf(values[k])) {
      out += "NULL";
    } else {
      AppendShortest(out, values[k]);
    }
  }
  out += '}';
}

void AppendPgArray(std::string& out, std::span<const std::uint16_t> values) {
  out += '{';
  for (std::size_t k = 0; k < values.size(); ++k) {
    if (k) out += ',';
    AppendShortest(out, values[k]);
  }
  out += '}';
}


std::vector<double> ParseNumberArray(std::string_view text) {
  std::vector<double> out;
  ParseArray(text, [&](std::string_view t, std::size_t& i) { out.push_back(ParseNumber(t, i)); });
  return out;
}

std::vector<std::string> ParseStringArray(std::string_view text) {
  std::vector<std::string> out;
  ParseArray(text, [&](std::string_view t, std::size_t& i) { out.push_back(ParseString(t, i)); });
  return out;
}

// 9999-12-31T23:59:59Z: the last second FormatUtcUs writes with four digits.
constexpr std::int64_t kLastSecond = 253'402'300'799;

std::int64_t ParseTimeArg(std::string_view text) {
  if (text.empty()) throw std::invalid_argument("empty time");
  if (text.find_first_not_of("0123456789.") == std::string_view::npos) {
    // Seconds since 1970, with up to six decimals.
    std::size_t i = 0;
    std::int64_t seconds = 0;
    while (i < text.size() && text[i] != '.') {
      if (seconds > 1'000'000'000'000LL) Bad("time out of range", text);
      seconds = seconds * 10 + (text[i++] - '0');
    }
    if (seconds > kLastSecond) Bad("time out of range (after the year 9999)", text);
    std::int64_t us = 0;
    if (i < text.size()) {
      ++i;
      if (i == text.size() || text.size() - i > 6 || text.find('.', i) != std::string_view::npos) {
        Bad("seconds take one '.' and 1 to 6 decimals", text);
      }
      std::int64_t scale = 100000;
      for (; i < text.size(); ++i, scale /= 10) us += (text[i] - '0') * scale;
    }
    return seconds * 1'000'000 + us;
  }
  std::size_t i = 0;
  const unsigned year = Digits(text, i, 4, text);
  Expect(text, i, '-', text);
  const unsigned month = Digits(text, i, 2, text);
  Expect(text, i, '-', text);
  const unsigned day = Digits(text, i, 2, text);
  if (month < 1 || month > 12 || day < 1 || day > 31) Bad("no such date", text);
  std::int64_t us = DaysFromCivil(year, month, day) * 86'400'000'000LL;
  if (i == text.size()) return us;
  if (text[i] != 'T' && text[i] != ' ') Bad("expected 'T' after the date", text);
  ++i;
  const unsigned hour = Digits(text, i, 2, text);
  Expect(text, i, ':', text);
  const unsigned minute = Digits(text, i, 2, text);
  unsigned second = 0;
  if (i < text.size() && text[i] == ':') {
    ++i;
    second = Digits(text, i, 2, text);
  }
  if (hour > 23 || minute > 59 || second > 60) Bad("no such time of day", text);
  us += (static_cast<std::int64_t>(hour) * 3600 + minute * 60 + second) * 1'000'000;
  if (i < text.size() && text[i] == '.') {
    ++i;
    std::int64_t scale = 100000;
    std::size_t digits = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      if (++digits > 6) Bad("more than 6 decimals of a second", text);
      us += (text[i++] - '0') * scale;
      scale /= 10;
    }
    if (digits == 0) Bad("expected decimals after '.'", text);
  }
  if (i == text.size()) Bad("give the time zone: Z or +HH:MM", text);
  if (text[i] == 'Z' || text[i] == 'z') {
    ++i;
  } else if (text[i] == '+' || text[i] == '-') {
    const bool east = text[i++] == '+';
    const unsigned oh = Digits(text, i, 2, text);
    Expect(text, i, ':', text);
    const unsigned om = Digits(text, i, 2, text);
    if (oh > 23 || om > 59) Bad("no such time zone offset", text);
    const std::int64_t offset = (static_cast<std::int64_t>(oh) * 3600 + om * 60) * 1'000'000;
    us += east ? -offset : offset;
  } else {
    Bad("expected Z or +HH:MM after the time", text);
  }
  if (i != text.size()) Bad("text after the time", text);
  return us;
}

std::string FormatUtcUs(std::int64_t us) {
  std::int64_t seconds = us / 1'000'000;
  std::int64_t frac = us % 1'000'000;
  if (frac < 0) {
    frac += 1'000'000;
    --seconds;
  }
  const std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<long long>(frac));
  return buf;
}

}  // namespace pmu::pdc::archive
