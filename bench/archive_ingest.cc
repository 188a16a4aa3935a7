// archive_ingest URL PMUS RATE SECONDS [BUFFER]
//
// The archive's ingest capacity: PMUS synthetic PMUs (six float phasors, float
// frequency and ROCOF, a digital word: the reports bench/c37_fleet sends, with values
// that move) for SECONDS of reports at RATE, pushed through pdc's archive writer
// (pdc/archive: the reader-side copy, the writer thread's decoding, formatting and
// batched transactions) as fast as it takes them. Prints one JSON line: rows, the
// seconds from the first report handed over to the last row committed, rows per
// second, rows dropped (none unless BUFFER, default all the rows, is smaller).
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "archive/archive.h"

namespace {

namespace p = pmu::proto::c37118;
const char* const kNames[] = {"VA", "VB", "VC", "IA", "IB", "IC"};

struct Pmu {
  std::string station;
  std::unique_ptr<p::ConfigFrame> config = std::make_unique<p::ConfigFrame>();
  std::vector<std::byte> cfg_bytes = std::vector<std::byte>(2048);
  std::vector<std::byte> data = std::vector<std::byte>(256);
};

void Configure(Pmu& m, std::uint16_t idcode, int rate) {
  p::ConfigFrame& c = *m.config;
  c.type = p::FrameType::kConfig2;
  c.idcode = idcode;
  c.time_base = 1'000'000;
  c.pmu_count = 1;
  c.data_rate = static_cast<std::int16_t>(rate);
  p::PmuConfig& pc = c.pmus[0];
  m.station = "bench " + std::to_string(idcode);
  pc.station_name = m.station;
  pc.idcode = idcode;
  pc.format = {true, true, true, true};
  pc.phasor_count = 6;
  pc.digital_count = 1;
  for (int i = 0; i < 6; ++i) {
    pc.phasor_names[static_cast<std::size_t>(i)] = kNames[i];
    pc.phasor_units[static_cast<std::size_t>(i)] = {i < 3 ? p::PhasorKind::kVoltage : p::PhasorKind::kCurrent, 0};
  }
  for (std::size_t i = 0; i < 16; ++i) pc.digital_names[i] = "DI";
  pc.digital_units[0] = {0, 0xFFFF};
  m.cfg_bytes.resize(*p::EncodeConfig(c, m.cfg_bytes));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: archive_ingest URL PMUS RATE SECONDS [BUFFER]\n");
    return 2;
  }
  const auto url = pmu::pdc::archive::ParseArchiveUrl(argv[1]);
  const int pmus = std::atoi(argv[2]), rate = std::atoi(argv[3]), seconds = std::atoi(argv[4]);
  const std::size_t total = static_cast<std::size_t>(pmus) * rate * seconds;
  const std::size_t buffer = argc > 5 ? std::strtoull(argv[5], nullptr, 10) : total;
  std::vector<Pmu> fleet(static_cast<std::size_t>(pmus));
  std::vector<pmu::pdc::observe::Source> sources;
  for (int i = 0; i < pmus; ++i) {
    Configure(fleet[static_cast<std::size_t>(i)], static_cast<std::uint16_t>(i + 1), rate);
    sources.push_back({"bench:" + std::to_string(20000 + i), static_cast<std::uint16_t>(i + 1)});
  }
  pmu::pdc::archive::Archive archive(url, buffer, sources, "archive_ingest");
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < pmus; ++i) archive.OnConfig(static_cast<std::size_t>(i), fleet[static_cast<std::size_t>(i)].cfg_bytes, 0);
  const std::uint32_t soc0 = 1'795'000'000;
  p::DataFrame d;
  d.pmu_count = 1;
  for (int t = 0; t < rate * seconds; ++t) {
    const double when = t / static_cast<double>(rate);
    d.time = *p::Timestamp::Make(soc0 + static_cast<std::uint32_t>(t / rate),
                                 static_cast<std::uint32_t>(std::llround((t % rate) * 1e6 / rate)));
    for (int i = 0; i < pmus; ++i) {
      Pmu& m = fleet[static_cast<std::size_t>(i)];
      d.idcode = m.config->idcode;
      const float wobble = static_cast<float>(0.01 * std::sin(when + i));
      for (int k = 0; k < 6; ++k) {
        d.pmus[0].phasors[static_cast<std::size_t>(k)] = {(k < 3 ? 132790.0f : 500.0f) * (1 + wobble),
                                                          -2.0944f * static_cast<float>(k % 3) + wobble};
      }
      d.pmus[0].frequency = 60.0f + wobble;
      d.pmus[0].rocof = wobble;
      d.pmus[0].digitals[0] = static_cast<std::uint16_t>(t & 1);
      const auto n = p::EncodeData(d, *m.config, m.data);
      archive.OnData(static_cast<std::size_t>(i), std::span<const std::byte>(m.data.data(), *n),
                     pmu::pdc::observe::Arrival::kAccepted, 0);
    }
  }
  archive.Finish();
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const auto t = archive.totals();
  std::printf("{\"rows\": %llu, \"seconds\": %.3f, \"rows_per_second\": %.0f, \"dropped\": %llu, \"transactions\": %llu}\n",
              static_cast<unsigned long long>(t.rows), elapsed, static_cast<double>(t.rows) / elapsed,
              static_cast<unsigned long long>(t.dropped), static_cast<unsigned long long>(t.transactions));
  return t.rows + t.dropped == total ? 0 : 1;
}
