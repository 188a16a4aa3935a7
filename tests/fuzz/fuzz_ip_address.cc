// Fuzzes the address parsers: no crash, and whatever parses formats to a canonical
// text that parses to the same address.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "pmu/base/ip_address.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto a = pmu::ParseIpv4(text); a.ok()) {
    auto b = pmu::ParseIpv4(pmu::FormatIpv4(*a).view());
    if (!b.ok() || !(*b == *a)) std::abort();
  }
  if (auto a = pmu::ParseIpv6(text); a.ok()) {
    auto b = pmu::ParseIpv6(pmu::FormatIpv6(*a).view());
    if (!b.ok() || !(*b == *a)) std::abort();
  }
  if (auto m = pmu::ParseMac(text); m.ok()) {
    auto n = pmu::ParseMac(pmu::FormatMac(*m).view());
    if (!n.ok() || !(*n == *m)) std::abort();
  }
  return 0;
}
