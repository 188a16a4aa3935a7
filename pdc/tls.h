// pdc tls (the command service over TLS, 5007) and pdc console (the operator console,
// mutual TLS, 5008).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace pmu::pdc {
void AddTlsCommands(CLI::App& app, std::function<int()>& run);
}
