// The measurement tick: runs in the device's main loop (Device::Poll), driven by the
// device's UTC. Reporting instants are the samples that are whole multiples of
// sample_rate / rate from the UTC second; the report for instant k is computed as soon
// as the front end holds every sample of its window (k + the estimator's samples_after, plus the emulated
// delay), then handed to the sink (the C37.118.2 service).
//
// When the device's UTC jumps (the clock reset service), the instants follow it: the
// reports between the old and the new time are skipped (counted), and reporting goes
// on from the new time. The estimator's cost is measured on the monotonic clock.
//
// The window is the measurement's own (the only copy of the samples: a front end need
// keep no history): consecutive reports' windows overlap (an M-class window at 10/s
// spans 1023 samples, 240 apart), so the samples they share are kept and only the new
// ones are read, each once.
#pragma once

#include <cstdint>

#include "pmu/base/report.h"
#include "pmu/base/status.h"
#include "pmu/firmware/device_clock.h"
#include "pmu/firmware/measurement/phasor_estimator.h"
#include "pmu/hal/analog_front_end.h"

namespace pmu::firmware {

struct MeasurementCounters {
  std::uint64_t reports = 0;
  std::uint64_t skipped = 0;      // instants skipped because the clock jumped or the loop lagged
  std::uint64_t read_errors = 0;  // windows the front end could not deliver
  std::uint64_t invalid = 0;      // instants reported as data invalid (the front end had no values)
  std::uint64_t estimator_ns = 0;      // total time in the estimator
  std::uint64_t estimator_max_ns = 0;
  std::uint64_t acquisition_ns = 0;    // total time reading the front end (the synthesiser)
};

class Measurement final : public StatsReporter {
 public:
  using Sink = void (*)(void* context, const Estimate& estimate);

  explicit Measurement(DeviceClock& clock) : clock_(clock) {}

  // Starts measuring: the next report is the first instant whose window is not yet
  // complete. Again while running (a new configuration): reporting goes on from the
  // pending instant if it is on the new grid. Errors: those of PhasorEstimator::Configure.
  Status Configure(hal::AnalogFrontEnd& front_end, const EstimatorSettings& settings, std::uint32_t delay_ms,
                   Sink sink, void* sink_context);

  // Computes every report that is due. At most kMaxReportsPerTick per call, so a late
  // loop catches up over a few passes without starving the network.
  void Tick();
  // Microseconds until the next report is due (rounded up), for the main loop's sleep.
  std::uint32_t UsUntilNextReport() const;

  const MeasurementCounters& counters() const { return counters_; }
  bool StatsLine(std::size_t index, ReportLine& line) const override;
  const PhasorEstimator& estimator() const { return estimator_; }
  bool configured() const { return front_end_ != nullptr; }
  // Sample number at or before `utc_ns` on the front end's grid.
  std::int64_t SampleAt(std::int64_t utc_ns) const;

  static constexpr unsigned kMaxReportsPerTick = 8;

 private:
  std::int64_t DueSample(std::int64_t instant) const { return instant + samples_after_ + delay_samples_; }
  // Makes window_ samples [first, first + size), reading from the front end those it
  // does not hold yet.
  Status FillWindow(std::int64_t first, std::size_t size);

  DeviceClock& clock_;
  hal::AnalogFrontEnd* front_end_ = nullptr;
  PhasorEstimator estimator_;
  Sink sink_ = nullptr;
  void* sink_context_ = nullptr;
  std::int64_t step_ = 80;  // samples between reports
  std::int64_t samples_after_ = 0;  // the estimator's look-ahead
  std::int64_t delay_samples_ = 0;
  std::int64_t next_ = -1;  // next reporting instant; -1: not started
  std::uint32_t fs_ = 2400;
  MeasurementCounters counters_;
  // Samples [window_first_, window_first_ + window_count_) are window_[0 ..).
  hal::AnalogSample window_[kMaxWindowSamples];
  std::int64_t window_first_ = 0;
  std::size_t window_count_ = 0;
  Estimate estimate_;
};

}  // namespace pmu::firmware
