// pdc reset: the clock reset service's client (docs/PROTOCOL.md "Clock reset service").
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace pmu::pdc {
void AddResetCommand(CLI::App& app, std::function<int()>& run);
}
