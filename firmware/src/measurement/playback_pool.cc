// The static pool the COMTRADE front end resamples its record into: the longest record
// a device plays. A build sets it with PMU_PLAYBACK_MAX_SAMPLES (the board's build
// lowers it to fit its RAM; docs/BOARD.md).
#include "pmu/firmware/measurement/comtrade_front_end.h"

#ifndef PMU_PLAYBACK_MAX_SAMPLES
#define PMU_PLAYBACK_MAX_SAMPLES (2400 * 120)  // two minutes at 2400 samples/s: 3.3 MiB
#endif

namespace pmu::firmware {

std::span<hal::AnalogSample> PlaybackSamplePool() {
#ifdef PMU_PLAYBACK_SECTION
  // A board puts it where its linker script says (outside the zeroed .bss).
  __attribute__((section(PMU_PLAYBACK_SECTION)))
#endif
  static hal::AnalogSample pool[PMU_PLAYBACK_MAX_SAMPLES];
  return pool;
}

}  // namespace pmu::firmware
