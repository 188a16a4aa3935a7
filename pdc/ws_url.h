// WebSocket URLs for pdc ws: ws://HOST[:PORT][/path], an IPv6 literal in brackets.
#pragma once

#include <string>

namespace pmu::pdc {

struct WsUrl {
  std::string host;          // name or address, without brackets (may hold an IPv6 %zone)
  bool ipv6_literal = false; // the URL had the host in brackets
  unsigned port = 0;
  std::string path = "/";    // the request target: path and query

  // The Host header: the host (in brackets for an IPv6 literal), and ":port" unless
  // the port is 80 (RFC 6455 section 4.1, RFC 7230 section 5.4).
  std::string HostHeader() const;
};

// Parses `text`: "ws://HOST[:PORT][/path][?query]", or a bare "HOST[:PORT][/path]"
// (ws:// is implied). Without a port, `default_port` (the device's 5006, not 80).
// Throws std::invalid_argument saying what is wrong: wss:// (TLS is not spoken
// here), another scheme, a fragment, an empty or unbracketed IPv6 host, a bad port.
WsUrl ParseWsUrl(const std::string& text, unsigned default_port);

}  // namespace pmu::pdc
