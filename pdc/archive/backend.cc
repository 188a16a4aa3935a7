#include "backend.h"

#include <cmath>

namespace pmu::pdc::archive {
namespace {

bool StartsWith(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// "postgresql://user:secret@host/db" -> "postgresql://user@host/db".
std::string WithoutPassword(std::string_view url) {
  const auto scheme = url.find("://");
  if (scheme == std::string_view::npos) return std::string(url);
  const auto authority = scheme + 3;
  const auto at = url.find('@', authority);
  const auto slash = url.find('/', authority);
  if (at == std::string_view::npos || (slash != std::string_view::npos && slash < at)) return std::string(url);
  const auto colon = url.find(':', authority);
  if (colon == std::string_view::npos || colon > at) return std::string(url);
  return std::string(url.substr(0, colon)) + std::string(url.substr(at));
}

template <typename T, std::size_t N>
std::uint8_t Fill(std::array<T, N>& out, const std::vector<double>& values, std::string_view column) {
  if (values.size() > N) throw ArchiveError("archive row has more " + std::string(column) + " than this build allows");
  for (std::size_t k = 0; k < values.size(); ++k) out[k] = static_cast<T>(values[k]);
  return static_cast<std::uint8_t>(values.size());
}

}  // namespace

ArchiveUrl ParseArchiveUrl(std::string_view text) {
  ArchiveUrl url;
  if (StartsWith(text, "sqlite:")) {
    url.kind = ArchiveUrl::Kind::kSqlite;
    url.target = std::string(text.substr(7));
    if (StartsWith(url.target, "//")) {
      throw std::invalid_argument("archive URL '" + std::string(text) +
                                  "': write sqlite:FILE (a path, relative or absolute), not sqlite://");
    }
    if (url.target.empty()) throw std::invalid_argument("archive URL 'sqlite:' names no file: write sqlite:FILE");
    if (url.target.find('\0') != std::string::npos) throw std::invalid_argument("archive file name has a NUL byte");
    url.shown = "sqlite:" + url.target;
    return url;
  }
  if (StartsWith(text, "postgresql://") || StartsWith(text, "postgres://")) {
    url.kind = ArchiveUrl::Kind::kPostgres;
    url.target = std::string(text);
    if (url.target.find('\0') != std::string::npos) throw std::invalid_argument("archive URL has a NUL byte");
    url.shown = WithoutPassword(text);
    return url;
  }
  throw std::invalid_argument("archive URL '" + std::string(text.substr(0, 80)) +
                              "': expected sqlite:FILE or postgresql://[USER@][HOST][:PORT]/DATABASE[?...]");
}

std::unique_ptr<Writer> OpenWriter(const ArchiveUrl& url) {
  return url.kind == ArchiveUrl::Kind::kSqlite ? OpenSqliteWriter(url.target) : OpenPostgresWriter(url.target);
}

std::unique_ptr<Reader> OpenReader(const ArchiveUrl& url) {
  return url.kind == ArchiveUrl::Kind::kSqlite ? OpenSqliteReader(url.target) : OpenPostgresReader(url.target);
}

ReportRow ReportFromColumns(std::int64_t time_us, std::int64_t idcode, std::int64_t config_id, std::int64_t stat,
                            std::optional<double> freq, std::optional<double> rocof, std::string_view magnitudes,
                            std::string_view angles, std::string_view analogs, std::string_view digitals) {
  ReportRow r;
  r.time_us = time_us;
  r.idcode = static_cast<std::uint16_t>(idcode);
  r.config_id = config_id;
  r.stat = static_cast<std::uint16_t>(stat);
  r.freq_hz = freq.value_or(NAN);
  r.rocof_hz_s = rocof.value_or(NAN);
  try {
    r.phasor_count = Fill(r.magnitude, ParseNumberArray(magnitudes), "phasors");
    if (Fill(r.angle_deg, ParseNumberArray(angles), "phasors") != r.phasor_count) {
      throw ArchiveError("archive row has more magnitudes than angles");
    }
    r.analog_count = Fill(r.analog, ParseNumberArray(analogs), "analogs");
    const auto words = ParseNumberArray(digitals);
    for (double w : words) {
      if (!(w >= 0 && w <= 65535)) throw ArchiveError("archive row has a digital word outside 0..65535");
    }
    r.digital_count = Fill(r.digital, words, "digital words");
  } catch (const std::invalid_argument& e) {
    throw ArchiveError(std::string("archive row does not read back: ") + e.what());
  }
  return r;
}

}  // namespace pmu::pdc::archive
