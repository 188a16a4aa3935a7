// pdc c37: the IEEE C37.118.2 client side: `stream` (one PMU) and `concentrate` (many
// PMUs, time-aligned, optionally served again as one stream).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace pmu::pdc {

void AddC37Commands(CLI::App& app, std::function<int()>& run);

}  // namespace pmu::pdc
