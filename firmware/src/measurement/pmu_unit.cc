#include "pmu/firmware/measurement/pmu_unit.h"

#include "pmu/firmware/version.h"

namespace pmu::firmware {
namespace {

constexpr const char* kTag = "pmu";

// The C37.118.2 record in storage, after the boot record: CFGCNT and a hash of the
// description it counted, so CFGCNT goes up when a restart changed the description.
struct C37Record {
  static constexpr std::uint32_t kMagic = 0x43333743;  // "C73C"
  static constexpr std::size_t kOffset = 64;
  std::uint32_t magic;
  std::uint32_t config_count;
  std::uint32_t hash;
  std::uint32_t check;  // ~(config_count ^ hash)
};

}  // namespace

Status PmuUnit::Start(hal::AnalogFrontEnd* board_front_end, hal::Storage* playback, const char* board_name,
                      Publisher publish, void* publish_context) {
  board_front_end_ = board_front_end;
  playback_ = playback;
  board_name_ = board_name;
  publish_ = publish;
  publish_context_ = publish_context;
  PMU_TRY(Configure(config_, 0));
  // The description is known only now: CFGCNT is the one kept for it.
  const std::uint16_t kept = KeepConfigCount();
  return kept != 0 ? ConfigureModel(config_, kept) : Status::Ok();
}

Result<bool> PmuUnit::Apply(const MeasurementConfig& next) {
  const bool description_changed = !(next.c37 == config_.c37);
  const auto count = static_cast<std::uint16_t>(model_.config_count() + (description_changed ? 1 : 0));
  if (Status s = Configure(next, count); !s.ok()) {
    (void)Configure(config_, model_.config_count());
    PMU_LOG_ERROR(log_, kTag, "new measurement configuration refused: %s", s.message());
    return s;
  }
  if (description_changed) {
    (void)KeepConfigCount();
  } else {
    PMU_LOG_INFO(log_, kTag, "waveform changed; the PMU's configuration (CFGCNT %u) did not",
                 model_.config_count());
  }
  return description_changed;
}

std::int64_t PmuUnit::GridAhead(void* context) {
  const auto* self = static_cast<const PmuUnit*>(context);
  // The disciplined time: a reset moves the device's labels and sampling grid together
  // (docs/PROTOCOL.md), the servo's work is what the grid sees.
  return self->grid_clock_->UtcNs() - self->clock_.DisciplinedAt(self->clock_.MonotonicNs());
}

Status PmuUnit::Configure(const MeasurementConfig& config, std::uint16_t config_count) {
  const C37Config& c37 = config.c37;
  front_end_ = board_front_end_;
  if (front_end_ == nullptr) {
    // The waveform's time zero is the current UTC second on the sample grid. What
    // plays is the running configuration's choice (analog.source applies at a start).
    const std::int64_t start = (clock_.UtcNs() / 1'000'000'000) * kSampleRate;
    if (config_.playback.source == AnalogSource::kSynthetic) {
      PMU_TRY(synthetic_.Configure(config.waveform, c37.nominal_hz, start));
      if (grid_clock_ != nullptr) synthetic_.SetTimeShift(&PmuUnit::GridAhead, this);
      front_end_ = &synthetic_;
    } else {
      PMU_TRY(StartPlayback(config, start));
    }
  }
  const EstimatorSettings settings{c37.nominal_hz, c37.rate, c37.measurement_class};
  PMU_TRY(measurement_.Configure(*front_end_, settings, c37.emulated_delay_ms, &PmuUnit::OnEstimate, this));
  PMU_TRY(ConfigureModel(config, config_count));
  const PhasorEstimator& e = measurement_.estimator();
  PMU_LOG_INFO(log_, kTag, "%s front end, %u samples/s; %c class estimator, %u-sample window (%u taps), "
               "latency %.1f ms; %u reports/s at %u Hz nominal",
               front_end_ == &synthetic_             ? "synthetic"
               : front_end_ == board_front_end_      ? "board"
                                                     : AnalogSourceName(config_.playback.source),
               static_cast<unsigned>(front_end_->sample_rate()),
               c37.measurement_class == MeasurementClass::kP ? 'P' : 'M', static_cast<unsigned>(e.window_size()),
               static_cast<unsigned>(e.taps()), e.samples_after() * 1000.0 / front_end_->sample_rate(),
               static_cast<unsigned>(c37.rate), static_cast<unsigned>(c37.nominal_hz));
  return Status::Ok();
}

Status PmuUnit::ConfigureModel(const MeasurementConfig& config, std::uint16_t config_count) {
  return model_.Configure(config.c37, measurement_.estimator(), config.waveform.voltage_rms,
                          config.waveform.current_rms, config_count, board_name_, kFirmwareVersion);
}

std::uint16_t PmuUnit::KeepConfigCount() {
  const std::uint32_t hash = model_.DescriptionHash();
  C37Record r{};
  if (storage_.size() < C37Record::kOffset + sizeof(r)) return 0;
  if (!storage_.Read(C37Record::kOffset, AsWritableBytes(&r, sizeof(r))).ok()) return 0;
  const bool valid = r.magic == C37Record::kMagic && r.check == ~(r.config_count ^ r.hash);
  std::uint32_t count = valid ? r.config_count : 0;
  if (valid && r.hash == hash) return static_cast<std::uint16_t>(count);
  if (valid) ++count;
  count &= 0xFFFF;
  r = {C37Record::kMagic, count, hash, ~(count ^ hash)};
  if (!storage_.Write(C37Record::kOffset, AsBytes(&r, sizeof(r))).ok()) {
    PMU_LOG_WARN(log_, kTag, "storage write failed; CFGCNT not kept");
  }
  return static_cast<std::uint16_t>(count);
}

#if !PMU_WITH_PLAYBACK
Status PmuUnit::StartPlayback(const MeasurementConfig&, std::int64_t) {
  // The configuration refuses analog.source = comtrade or scenario in this image.
  PMU_LOG_ERROR(log_, kTag, "analog.source = %s: %s", AnalogSourceName(config_.playback.source),
                LeftOutReason(OptionalService::kPlayback));
  return FailedPrecondition("no playback in this image");
}
#endif

void PmuUnit::OnEstimate(void* context, const Estimate& estimate) {
  auto* self = static_cast<PmuUnit*>(context);
  self->last_estimate_ = estimate;
  self->publish_(self->publish_context_, estimate);
}

}  // namespace pmu::firmware
