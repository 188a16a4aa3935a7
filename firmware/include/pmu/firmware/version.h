// The firmware's version, as the boot banner, the console and the C37.118.2 header
// frame state it.
#pragma once

namespace pmu::firmware {

inline constexpr const char* kFirmwareVersion = "0.1.0";

}  // namespace pmu::firmware
