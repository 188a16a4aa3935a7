// The lab-basics subcommands of pdc: echo (TCP 5002), send (UDP 5001), short,
// floodme and command (TCP 5003).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace pmu::pdc {

// Adds the subcommands to `app`; the one the user picks sets `run`.
void AddLabCommands(CLI::App& app, std::function<int()>& run);

}  // namespace pmu::pdc
