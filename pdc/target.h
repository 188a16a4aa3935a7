// The options that say which device a subcommand talks to and how patiently: the host,
// -p/--port, -4/-6 and -t/--timeout. Every subcommand that takes one of them registers
// it here, so that it is spelled, checked and explained alike wherever it appears.
#pragma once

#include <CLI/CLI.hpp>
#include <chrono>
#include <string>

#include "net.h"

namespace pmu::pdc {

// -4/-6: the address family to keep when a name has addresses of both.
struct FamilyChoice {
  bool ipv4 = false;
  bool ipv6 = false;
  Family family() const { return ipv4 ? Family::kIpv4 : ipv6 ? Family::kIpv6 : Family::kAny; }
};

// One device: the host as given, its port, the family and the patience.
struct Target {
  std::string host;
  unsigned port = 0;
  FamilyChoice only;
  // As typed, so that messages can repeat it; parsed when it is used, and a bad one is
  // then a usage error (exit status 2).
  std::string timeout = "30";

  Family family() const { return only.family(); }
  std::chrono::milliseconds timeout_ms() const { return ParseDuration(timeout); }
};

// The -t help of the subcommands that wait for a device's every next piece.
inline constexpr const char* kProgressTimeoutHelp =
    "give up after this long without progress: seconds, or e.g. 500ms (default 30)";

// The host, -p (default `default_port`), -4/-6 and -t, in that order: the block the
// subcommands that talk to one service of one device start with.
void AddTargetOptions(CLI::App* sub, Target& t, unsigned default_port);

// The pieces of that block, for the subcommands that say something else about them: a
// URL instead of a host, a port that depends on the transport, every address of a
// device, a group instead of a device, a patience of 5 s.

// -p/--port: sets `port` to `default_port` and says "port (default N)".
CLI::Option* AddPortOption(CLI::App* sub, unsigned& port, unsigned default_port);
// -p/--port with help of the subcommand's own (its default is whatever `port` holds).
CLI::Option* AddPortOption(CLI::App* sub, unsigned& port, const std::string& help);
// -4/-6, each excluding the other.
void AddFamilyOptions(CLI::App* sub, FamilyChoice& only, const std::string& ipv4_help = "use IPv4 only",
                      const std::string& ipv6_help = "use IPv6 only");
// -t/--timeout; `help` says what is waited for and the default `timeout` holds.
CLI::Option* AddTimeoutOption(CLI::App* sub, std::string& timeout, const std::string& help);

// Connects over TCP to the first of the target's addresses that accepts within its
// timeout; `peer` receives the one used.
Socket ConnectTcp(const Target& t, Endpoint* peer);

}  // namespace pmu::pdc
