// The live view (docs/VIEW.md): a web page on localhost that shows, per PMU, a phasor
// diagram, frequency and ROCOF trends, the decoded STAT, the concentrator's counters
// and the configuration, updated over a WebSocket as the sets come.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "observe/observer.h"

namespace pmu::pdc::view {

// Listens on `port` of 127.0.0.1 and ::1 (0: any free port) and prints the page's
// address on standard error. Throws NetError when it cannot listen.
std::unique_ptr<observe::Observer> StartView(unsigned port, const std::vector<observe::Source>& sources,
                                             const std::string& tool);

}  // namespace pmu::pdc::view
