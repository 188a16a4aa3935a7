// The set of devices a backend hands to the firmware. The backend owns them; they
// outlive the firmware's Device.
#pragma once

#include "pmu/hal/analog_front_end.h"
#include "pmu/hal/clock.h"
#include "pmu/hal/entropy.h"
#include "pmu/hal/link.h"
#include "pmu/hal/log_sink.h"
#include "pmu/hal/storage.h"

namespace pmu::hal {

struct Board {
  Link& link;
  Clock& clock;
  Entropy& entropy;
  Storage& storage;
  LogSink& log_sink;
  const char* name;  // "linux-tap", "mps2-an385"
  // The board's ADC, if it has one; nullptr: the firmware's synthetic front end.
  AnalogFrontEnd* analog = nullptr;
  // What a board without an ADC plays when configured to (analog.source): a COMTRADE
  // record as one .cff, or a fleet scenario's text; nullptr: none (docs/BOARD.md,
  // "The playback area").
  Storage* playback = nullptr;
  // The time the simulated power grid keeps, for the synthetic front end only: the
  // simulator's host UTC stands for true time, so the device's own clock error shows
  // as a phase error as on a real PMU. nullptr (a board): the synthesiser follows the
  // device's clock. The firmware's notion of time never reads it.
  const Clock* grid_clock = nullptr;
};

}  // namespace pmu::hal
