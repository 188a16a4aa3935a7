#include "target.h"

namespace pmu::pdc {

void AddTargetOptions(CLI::App* sub, Target& t, unsigned default_port) {
  sub->add_option("host", t.host, "the device: host name or IPv4/IPv6 address")->required();
  AddPortOption(sub, t.port, default_port);
  AddFamilyOptions(sub, t.only);
  AddTimeoutOption(sub, t.timeout, kProgressTimeoutHelp);
}

CLI::Option* AddPortOption(CLI::App* sub, unsigned& port, unsigned default_port) {
  port = default_port;
  return AddPortOption(sub, port, "port (default " + std::to_string(default_port) + ")");
}

CLI::Option* AddPortOption(CLI::App* sub, unsigned& port, const std::string& help) {
  return sub->add_option("-p,--port", port, help)->check(CLI::Range(1, 65535));
}

void AddFamilyOptions(CLI::App* sub, FamilyChoice& only, const std::string& ipv4_help,
                      const std::string& ipv6_help) {
  auto* v4 = sub->add_flag("-4,--ipv4", only.ipv4, ipv4_help);
  auto* v6 = sub->add_flag("-6,--ipv6", only.ipv6, ipv6_help);
  v4->excludes(v6);
}

CLI::Option* AddTimeoutOption(CLI::App* sub, std::string& timeout, const std::string& help) {
  return sub->add_option("-t,--timeout", timeout, help);
}

Socket ConnectTcp(const Target& t, Endpoint* peer) {
  return ConnectTcp(Resolve(t.host, t.port, t.family(), SOCK_STREAM), t.timeout_ms(), peer);
}

}  // namespace pmu::pdc
