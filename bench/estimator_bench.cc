// Cost of the measurement chain on the host (Google Benchmark): one report of the
// estimator (P class at 60 Hz; M class at 10/s, the longest window), and one sample of
// the synthetic front end. docs/BENCHMARKS.md has the figures.
#include <benchmark/benchmark.h>

#include <vector>

#include "pmu/firmware/measurement/phasor_estimator.h"
#include "pmu/firmware/measurement/synthetic_front_end.h"

namespace {

using namespace pmu::firmware;

void Estimator(benchmark::State& state, MeasurementClass cls, std::uint32_t rate) {
  SyntheticFrontEnd fe;
  WaveformConfig w;
  w.freq_offset_hz = 0.7f;
  (void)fe.Configure(w, 60, 0);
  PhasorEstimator est;
  (void)est.Configure({60, rate, cls}, fe);
  std::vector<pmu::hal::AnalogSample> window(est.window_size());
  (void)fe.Read(10'000, window);
  Estimate out;
  for (auto _ : state) {
    est.Run(10'000 + est.samples_before(), window, out);
    benchmark::DoNotOptimize(out);
  }
  state.counters["window"] = static_cast<double>(est.window_size());
}
BENCHMARK_CAPTURE(Estimator, P_60Hz_120fps, MeasurementClass::kP, 120u);
BENCHMARK_CAPTURE(Estimator, M_60Hz_10fps, MeasurementClass::kM, 10u);

void Synthesiser(benchmark::State& state) {
  SyntheticFrontEnd fe;
  WaveformConfig w;
  w.harmonics[0] = {3, 0.05f};
  w.harmonic_count = 1;
  w.noise = 0.001f;
  (void)fe.Configure(w, 60, 0);
  std::vector<pmu::hal::AnalogSample> block(20);
  std::int64_t k = 0;
  for (auto _ : state) {
    (void)fe.Read(k, block);  // new samples every time: no cache hits
    k += 20;
    benchmark::DoNotOptimize(block);
  }
  state.SetItemsProcessed(state.iterations() * 20);
}
BENCHMARK(Synthesiser);

}  // namespace

BENCHMARK_MAIN();
