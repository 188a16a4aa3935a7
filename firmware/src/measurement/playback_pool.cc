// The static pool the COMTRADE front end resamples its record into: the longest record
// a device plays, the target's PMU_PLAYBACK_MAX_SAMPLES (the board's fits its RAM;
// docs/BOARD.md), in the target's PMU_PLAYBACK_SECTION if it names one.
#include "pmu/firmware/measurement/comtrade_front_end.h"
#include "pmu_target_config.h"

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
