// The PMU as a whole, below any transport: a front end (the board's ADC; without one,
// the synthetic waveform, a COMTRADE record or a fleet scenario's bus, by
// analog.source), the measurement that estimates phasors from it on the device's
// UTC, and the PMU's C37.118.2 description (C37Pmu) whose CFGCNT is kept in storage
// across restarts. Every report goes to the publisher (the C37.118.2 service).
//
// Context: main loop only.
#pragma once

#include <cstdint>

#include "pmu/base/result.h"
#include "pmu/firmware/device_clock.h"
#include "pmu/firmware/log.h"
#include "pmu/firmware/measurement/c37_pmu.h"
#include "pmu/firmware/measurement/measurement.h"
#include "pmu/firmware/measurement/measurement_config.h"
#include "pmu/firmware/measurement/synthetic_front_end.h"
#include "pmu/firmware/profile.h"
#if PMU_WITH_PLAYBACK
#include "pmu/firmware/measurement/comtrade_front_end.h"
#include "pmu/firmware/measurement/scenario_front_end.h"
#endif
#include "pmu/hal/analog_front_end.h"
#include "pmu/hal/storage.h"

namespace pmu::firmware {

class PmuUnit {
 public:
  using Publisher = void (*)(void* context, const Estimate& estimate);

  // `config` is the device's running configuration: the unit measures by it, and it
  // must outlive the unit.
  PmuUnit(const MeasurementConfig& config, DeviceClock& clock, hal::Storage& storage, Logger& log)
      : config_(config), clock_(clock), storage_(storage), log_(log), measurement_(clock) {}
  PmuUnit(const PmuUnit&) = delete;
  PmuUnit& operator=(const PmuUnit&) = delete;

  // Starts measuring from `board_front_end` (when null: what analog.source names, a
  // record or scenario read from `playback`, which may be null when there is none) and
  // builds the PMU's description. CFGCNT continues from the one kept in storage, one
  // higher when the description changed since it was counted.
  // The grid's clock for the synthetic front end (hal::Board::grid_clock); before Start.
  void set_grid_clock(const hal::Clock* grid) { grid_clock_ = grid; }

  Status Start(hal::AnalogFrontEnd* board_front_end, hal::Storage* playback, const char* board_name,
               Publisher publish, void* publish_context);

  // A new configuration while running, before the caller makes it the running one:
  // the waveform restarts and the estimator follows the new class and rate. Returns
  // whether the PMU's description changed (CFGCNT went up, kept in storage). On error
  // the running configuration goes on.
  Result<bool> Apply(const MeasurementConfig& next);

  // Computes the reports that are due (main loop).
  void Tick() { measurement_.Tick(); }
  std::uint32_t UsUntilNextReport() const { return measurement_.UsUntilNextReport(); }

  C37Pmu& model() { return model_; }
  const C37Pmu& model() const { return model_; }
  const Measurement& measurement() const { return measurement_; }
  const Estimate& last_estimate() const { return last_estimate_; }

 private:
  Status Configure(const MeasurementConfig& config, std::uint16_t config_count);
  Status ConfigureModel(const MeasurementConfig& config, std::uint16_t config_count);
  // The front end of analog.source comtrade or scenario (pmu_unit_playback.cc; an image
  // without playback refuses).
  Status StartPlayback(const MeasurementConfig& config, std::int64_t second_start);
  std::uint16_t KeepConfigCount();
  static void OnEstimate(void* self, const Estimate& estimate);

  const MeasurementConfig& config_;
  static std::int64_t GridAhead(void* self);

  DeviceClock& clock_;
  const hal::Clock* grid_clock_ = nullptr;
  hal::Storage& storage_;
  Logger& log_;
  hal::AnalogFrontEnd* board_front_end_ = nullptr;
  hal::Storage* playback_ = nullptr;
  hal::AnalogFrontEnd* front_end_ = nullptr;
  const char* board_name_ = "";
  Publisher publish_ = nullptr;
  void* publish_context_ = nullptr;
  SyntheticFrontEnd synthetic_;
#if PMU_WITH_PLAYBACK
  ComtradeFrontEnd comtrade_{PlaybackSamplePool()};
  ScenarioFrontEnd scenario_;
#endif
  Measurement measurement_;
  C37Pmu model_;
  Estimate last_estimate_;
};

}  // namespace pmu::firmware
