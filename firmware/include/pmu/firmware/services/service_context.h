// What every service gets from the device: its log, its clock and its configuration.
#pragma once

#include "pmu/firmware/config.h"
#include "pmu/firmware/device_clock.h"
#include "pmu/firmware/log.h"

namespace pmu::firmware {

struct ServiceContext {
  Logger& log;
  DeviceClock& clock;
  const DeviceConfig& config;
};

}  // namespace pmu::firmware
