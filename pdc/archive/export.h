// pdc archive: reading an archive back (`pdc archive export`).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace pmu::pdc {

void AddArchiveCommands(CLI::App& app, std::function<int()>& run);

}  // namespace pmu::pdc
