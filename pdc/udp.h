// UDP helpers for the PDC tools: random request identifiers, interfaces for multicast.
#pragma once

#include <string>

namespace pmu::pdc {

// Hex text of `bytes` random bytes (getrandom).
std::string RandomHex(std::size_t bytes);

// The interface index of `name`; throws NetError if there is none.
unsigned InterfaceIndex(const std::string& name);

// The only non-loopback interface that is up and multicast-capable; throws NetError
// naming the candidates when there are none or several (choose with -i).
std::string DefaultMulticastInterface();

// The first IPv4 address of the interface, for IP_MULTICAST_IF / IP_ADD_MEMBERSHIP.
std::string InterfaceIpv4(const std::string& name);

// "2026-11-22T10:00:00.123Z" for the current system time.
std::string NowIso8601();

}  // namespace pmu::pdc
