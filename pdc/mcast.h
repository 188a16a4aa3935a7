// pdc mcast listen / send: the bulletin channel (docs/PROTOCOL.md "Bulletin channel").
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace pmu::pdc {
void AddMcastCommands(CLI::App& app, std::function<int()>& run);
}
