#include "c37.h"

#include <atomic>
#include <csignal>

#include "stream_common.h"

namespace pmu::pdc::c37 {
namespace {
std::atomic<bool> g_stop{false};
void OnStop(int) { g_stop = true; }
}  // namespace

void StopOnSignals() {
  struct sigaction sa {};
  sa.sa_handler = &OnStop;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

bool StopRequested() { return g_stop.load(); }

}  // namespace pmu::pdc::c37

namespace pmu::pdc {

void AddC37Commands(CLI::App& app, std::function<int()>& run) {
  auto* c37 = app.add_subcommand("c37", "IEEE C37.118.2 synchrophasor streams (TCP 4712, UDP 4713)");
  c37->require_subcommand(1);
  c37::AddStreamCommand(c37, run);
  c37::AddConcentrateCommand(c37, run);
  c37::AddViewCommand(c37, run);
}

}  // namespace pmu::pdc
