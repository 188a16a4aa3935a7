// lwIP err_t values translated once, here, so nothing above port/ sees err_t.
#pragma once

#include "lwip/err.h"
#include "pmu/base/status.h"

namespace pmu::port {

Status FromLwipErr(err_t err);

}  // namespace pmu::port
