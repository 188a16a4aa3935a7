// The exit statuses every pdc subcommand shares, and the one place that turns a failure
// into one of them, so that scripts can tell a bad command line from an unreachable
// device from a device that broke the protocol, whichever subcommand they ran.
#pragma once

#include <string>

namespace pmu::pdc {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;   // unexpected local failure
inline constexpr int kExitUsage = 2;     // bad command line
inline constexpr int kExitNetwork = 3;   // name, connection, timeout, reset
inline constexpr int kExitProtocol = 4;  // the device answered ERROR or broke the protocol

// Says "TOOL: WHY" on standard error and returns `status`: for the failures a
// subcommand finds in what it received, after its summary is out.
int ReportFailure(const std::string& tool, const std::string& why, int status = kExitProtocol);

// Only inside a catch block: says "TOOL: WHAT" for the exception being handled and
// returns the status for its kind (NetError 3, ProtocolError 4, std::invalid_argument 2,
// anything else 1).
int ReportCurrentException(const std::string& tool);

}  // namespace pmu::pdc
