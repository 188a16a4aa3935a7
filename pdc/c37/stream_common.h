// Shared by the c37 subcommands: stopping on SIGINT/SIGTERM by a flag.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace pmu::pdc::c37 {

void StopOnSignals();
bool StopRequested();

void AddStreamCommand(CLI::App* c37, std::function<int()>& run);
void AddConcentrateCommand(CLI::App* c37, std::function<int()>& run);
void AddViewCommand(CLI::App* c37, std::function<int()>& run);

}  // namespace pmu::pdc::c37
