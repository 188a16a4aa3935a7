// pdc ws: a command over the WebSocket command service (docs/PROTOCOL.md, TCP 5006).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace pmu::pdc {

// Adds the subcommand to `app`; picking it sets `run`.
void AddWsCommand(CLI::App& app, std::function<int()>& run);

}  // namespace pmu::pdc
