#include "pmu/firmware/measurement/measurement.h"

#include <algorithm>
#include <cstring>

namespace pmu::firmware {
namespace {

constexpr std::int64_t kNsPerSecond = 1'000'000'000;

std::int64_t FloorDiv(std::int64_t a, std::int64_t b) {
  const std::int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

}  // namespace

Status Measurement::Configure(hal::AnalogFrontEnd& front_end, const EstimatorSettings& settings,
                              std::uint32_t delay_ms, Sink sink, void* sink_context) {
  PMU_TRY(estimator_.Configure(settings, front_end));
  front_end_ = &front_end;
  fs_ = front_end.sample_rate();
  step_ = fs_ / settings.rate;
  samples_after_ = estimator_.samples_after();
  delay_samples_ = static_cast<std::int64_t>(delay_ms) * fs_ / 1000;
  sink_ = sink;
  sink_context_ = sink_context;
  window_count_ = 0;  // the front end or its waveform may have changed
  // A reconfiguration goes on from the next instant of the new grid: no report is
  // skipped or repeated when the old next instant is on it.
  if (next_ >= 0 && next_ % step_ != 0) next_ = -1;
  return Status::Ok();
}

std::int64_t Measurement::SampleAt(std::int64_t utc_ns) const {
  const std::int64_t sec = FloorDiv(utc_ns, kNsPerSecond);
  const std::int64_t rem = utc_ns - sec * kNsPerSecond;
  return sec * fs_ + rem * fs_ / kNsPerSecond;
}

void Measurement::Tick() {
  if (front_end_ == nullptr) return;
  const std::int64_t now = SampleAt(clock_.UtcNs());
  // The newest instant whose window is complete; the first one after it is pending.
  const std::int64_t newest_due = FloorDiv(now - samples_after_ - delay_samples_, step_) * step_;
  if (next_ < 0 || next_ > newest_due + 2 * fs_ || newest_due - next_ > 2 * fs_) {
    // Start, or the clock jumped (either way): carry on from the present.
    if (next_ >= 0) counters_.skipped += static_cast<std::uint64_t>(newest_due > next_ ? (newest_due - next_) / step_ : 0);
    next_ = newest_due + step_;
    return;
  }
  for (unsigned i = 0; i < kMaxReportsPerTick && DueSample(next_) <= now; ++i) {
    const std::size_t size = estimator_.window_size();
    const std::uint64_t t0 = clock_.MonotonicNs();
    const Status read = FillWindow(next_ - estimator_.samples_before(), size);
    const std::uint64_t t1 = clock_.MonotonicNs();
    counters_.acquisition_ns += t1 - t0;
    if (read.code() == StatusCode::kOutOfRange) {
      // The front end has no values for this instant (a record that stopped): the
      // report still goes out, marked data invalid, so a PDC's time line has no gap.
      estimate_ = Estimate{};
      estimate_.sample = next_;
      estimate_.valid = false;
      ++counters_.invalid;
      if (sink_ != nullptr) sink_(sink_context_, estimate_);
    } else if (!read.ok()) {
      ++counters_.read_errors;
    } else {
      estimate_.valid = true;
      estimator_.Run(next_, std::span<const hal::AnalogSample>(window_, size), estimate_);
      const std::uint64_t cost = clock_.MonotonicNs() - t1;
      counters_.estimator_ns += cost;
      if (cost > counters_.estimator_max_ns) counters_.estimator_max_ns = cost;
      ++counters_.reports;
      if (sink_ != nullptr) sink_(sink_context_, estimate_);
    }
    next_ += step_;
  }
}

Status Measurement::FillWindow(std::int64_t first, std::size_t size) {
  std::size_t kept = 0;
  const std::int64_t held_end = window_first_ + static_cast<std::int64_t>(window_count_);
  if (first >= window_first_ && first < held_end) {
    const auto offset = static_cast<std::size_t>(first - window_first_);
    kept = std::min(window_count_ - offset, size);
    std::memmove(window_, window_ + offset, kept * sizeof(window_[0]));
  }
  window_first_ = first;
  window_count_ = kept;
  if (kept < size) PMU_TRY(front_end_->Read(first + static_cast<std::int64_t>(kept),
                                            std::span<hal::AnalogSample>(window_ + kept, size - kept)));
  window_count_ = size;
  return Status::Ok();
}

std::uint32_t Measurement::UsUntilNextReport() const {
  if (front_end_ == nullptr) return 1'000'000;
  if (next_ < 0) return 0;
  const std::int64_t due = DueSample(next_);
  // Time of sample `due`, relative to now.
  const std::int64_t sec = FloorDiv(due, fs_);
  const std::int64_t due_ns = sec * kNsPerSecond + ((due - sec * fs_) * kNsPerSecond + fs_ - 1) / fs_;  // round up
  const std::int64_t wait = due_ns - clock_.UtcNs();
  if (wait <= 0) return 0;
  const std::int64_t us = (wait + 999) / 1000;
  return us > 1'000'000 ? 1'000'000u : static_cast<std::uint32_t>(us);
}

bool Measurement::StatsLine(std::size_t index, ReportLine& t) const {
  if (index != 0) return false;
  const MeasurementCounters& m = counters_;
  t.Format("measurement reports=%llu skipped=%llu read_errors=%llu estimator_mean_ns=%llu estimator_max_ns=%llu "
           "acquisition_mean_ns=%llu invalid=%llu",
           static_cast<unsigned long long>(m.reports), static_cast<unsigned long long>(m.skipped),
           static_cast<unsigned long long>(m.read_errors),
           static_cast<unsigned long long>(m.reports ? m.estimator_ns / m.reports : 0),
           static_cast<unsigned long long>(m.estimator_max_ns),
           static_cast<unsigned long long>(m.reports ? m.acquisition_ns / m.reports : 0),
           static_cast<unsigned long long>(m.invalid));
  return true;
}

}  // namespace pmu::firmware
