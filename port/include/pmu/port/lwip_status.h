// lwIP err_t values translated once, here (STYLE.md rule 7).
#pragma once

#include "lwip/err.h"
#include "pmu/base/status.h"

namespace pmu::port {

Status FromLwipErr(err_t err);

}  // namespace pmu::port
