#include "ws_url.h"

#include <stdexcept>

namespace pmu::pdc {
namespace {

bool IsDigits(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

bool HasSpaceOrControl(const std::string& s) {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7F) return true;
  }
  return false;
}

}  // namespace

std::string WsUrl::HostHeader() const {
  std::string h = ipv6_literal ? "[" + host + "]" : host;
  if (port != 80) h += ":" + std::to_string(port);
  return h;
}

WsUrl ParseWsUrl(const std::string& text, unsigned default_port) {
  auto bad = [&](const std::string& why) { return std::invalid_argument("bad URL '" + text + "': " + why); };
  if (text.empty()) throw bad("empty");
  if (HasSpaceOrControl(text)) throw bad("white space or control characters");
  std::string rest = text;
  const std::size_t scheme_end = rest.find("://");
  if (scheme_end != std::string::npos) {
    std::string scheme = rest.substr(0, scheme_end);
    for (char& c : scheme) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    if (scheme == "wss") throw bad("wss:// (WebSocket over TLS) is not supported; use ws://");
    if (scheme != "ws") throw bad("the scheme must be ws://");
    rest = rest.substr(scheme_end + 3);
  }
  if (rest.find('#') != std::string::npos) throw bad("a WebSocket URL has no fragment (#)");

  WsUrl url;
  const std::size_t path_at = rest.find_first_of("/?");
  std::string authority = rest.substr(0, path_at);
  if (path_at != std::string::npos) {
    url.path = rest.substr(path_at);
    if (url.path.front() == '?') url.path = "/" + url.path;
  }
  if (authority.find('@') != std::string::npos) throw bad("user information (@) is not supported");

  std::string port_text;
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string::npos) throw bad("'[' without ']'");
    url.host = authority.substr(1, close - 1);
    url.ipv6_literal = true;
    const std::string after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') throw bad("unexpected text after ']'");
      port_text = after.substr(1);
      if (port_text.empty()) throw bad("empty port");
    }
    if (url.host.find(':') == std::string::npos) throw bad("brackets are for IPv6 addresses");
  } else {
    const std::size_t colon = authority.find(':');
    if (colon != std::string::npos && authority.find(':', colon + 1) != std::string::npos) {
      throw bad("an IPv6 address must be in brackets, e.g. ws://[2001:db8::2]:5006/");
    }
    url.host = authority.substr(0, colon);
    if (colon != std::string::npos) {
      port_text = authority.substr(colon + 1);
      if (port_text.empty()) throw bad("empty port");
    }
  }
  if (url.host.empty()) throw bad("no host");
  url.port = default_port;
  if (!port_text.empty()) {
    if (!IsDigits(port_text) || port_text.size() > 5 || std::stoul(port_text) < 1 || std::stoul(port_text) > 65535) {
      throw bad("the port must be a number from 1 to 65535");
    }
    url.port = static_cast<unsigned>(std::stoul(port_text));
  }
  return url;
}

}  // namespace pmu::pdc
