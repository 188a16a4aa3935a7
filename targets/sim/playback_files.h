// The simulator's playback area: the file that analog.source names (comtrade.file or
// scenario.file) read into memory, as a board would find it in its playback area. A
// .cfg and its .dat are joined as one 2013 .cff (CFG section, then the DAT section
// with its format and byte count), which is what the firmware's COMTRADE front end
// reads; a .cff and a scenario are kept as they are.
#pragma once

#include <string>

#include "pmu/firmware/measurement/playback_config.h"

namespace pmu::sim {

// The bytes of the playback area for `config`, or false with `error` saying what to
// fix (a missing file, a .cfg without its .dat, a .cfg that does not parse).
bool LoadPlaybackArea(const firmware::PlaybackConfig& config, std::string* bytes, std::string* error);

}  // namespace pmu::sim
