// pdc: the phasor data concentrator's host tools, one subcommand per device service.
#include <CLI/CLI.hpp>
#include <functional>

#include "archive/export.h"
#include "c37/c37.h"
#include "exit_status.h"
#include "lab_services.h"
#include "mcast.h"
#include "reset.h"
#include "tls.h"
#include "ws.h"

int main(int argc, char** argv) {
  CLI::App app{"pdc: talk to PMU devices from the shell (docs/PROTOCOL.md).", "pdc"};
  app.require_subcommand(1);
  app.footer(
      "Run 'pdc SUBCOMMAND --help' for the options of each.\n"
      "Exit status: 0 ok, 1 local failure, 2 bad usage, 3 network error (name, connection,\n"
      "timeout), 4 protocol error (the device answered ERROR or broke the protocol).");
  std::function<int()> run;
  pmu::pdc::AddLabServiceCommands(app, run);
  pmu::pdc::AddResetCommand(app, run);
  pmu::pdc::AddMcastCommands(app, run);
  pmu::pdc::AddTlsCommands(app, run);
  pmu::pdc::AddWsCommand(app, run);
  pmu::pdc::AddC37Commands(app, run);
  pmu::pdc::AddArchiveCommands(app, run);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : pmu::pdc::kExitUsage;
  }
  std::string name = "pdc";
  for (const CLI::App* sub = &app; !sub->get_subcommands().empty(); sub = sub->get_subcommands().front()) {
    name += " " + sub->get_subcommands().front()->get_name();
  }
  try {
    return run ? run() : pmu::pdc::kExitUsage;
  } catch (const std::exception&) {
    return pmu::pdc::ReportCurrentException(name);
  }
}
