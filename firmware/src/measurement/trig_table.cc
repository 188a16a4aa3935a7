#include "pmu/firmware/measurement/trig_table.h"

#include <cmath>

namespace pmu::firmware {

const std::int32_t* CosTableQ30() {
  // Built on first use from the main loop (no threads: -fno-threadsafe-statics).
  static std::int32_t table[(1u << kTrigTableBits) + 1];
  static bool built = false;
  if (!built) {
    for (unsigned i = 0; i <= (1u << kTrigTableBits); ++i) {
      table[i] = static_cast<std::int32_t>(
          std::lround(std::cos(6.283185307179586 * i / (1u << kTrigTableBits)) * 1073741824.0));
    }
    built = true;
  }
  return table;
}

}  // namespace pmu::firmware
