#include "backend.h"

#include <cmath>

namespace pmu::pdc::archive {
namespace {

template <typename T, std::size_t N>
std::uint8_t Fill(std::array<T, N>& out, const std::vector<double>& values, std::string_view column) {
  if (values.size() > N) throw ArchiveError("archive row has more " + std::string(column) + " than this build allows");
  for (std::size_t k = 0; k < values.size(); ++k) out[k] = static_cast<T>(values[k]);
  return static_cast<std::uint8_t>(values.size());
}

}  // namespace

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
