#include "pmu/firmware/measurement/measurement_config.h"

namespace pmu::firmware {

const char* PhasorChannelName(PhasorChannel c) {
  static const char* const kNames[] = {"VA", "VB", "VC", "V1", "IA", "IB", "IC", "I1"};
  return kNames[static_cast<std::size_t>(c) % kPhasorChannelKinds];
}

const char* AnalogChannelName(AnalogChannelKind c) {
  static const char* const kNames[] = {"P", "Q", "S"};
  return kNames[static_cast<std::size_t>(c) % kAnalogChannelKinds];
}

}  // namespace pmu::firmware
