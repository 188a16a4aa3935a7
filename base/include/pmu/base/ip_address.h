// Addresses as plain values, with strict text parsers and canonical formatters.
// Shared by the device configuration, the simulator and the PDC; no OS headers.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "pmu/base/fixed_string.h"
#include "pmu/base/result.h"

namespace pmu {

struct Ipv4Address {
  std::array<std::uint8_t, 4> octets{};
  friend bool operator==(const Ipv4Address&, const Ipv4Address&) = default;
  std::uint32_t ToHostOrder() const {
    return (std::uint32_t{octets[0]} << 24) | (std::uint32_t{octets[1]} << 16) |
           (std::uint32_t{octets[2]} << 8) | octets[3];
  }
  static Ipv4Address FromHostOrder(std::uint32_t v) {
    return {{static_cast<std::uint8_t>(v >> 24), static_cast<std::uint8_t>(v >> 16),
             static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)}};
  }
  bool IsUnspecified() const { return ToHostOrder() == 0; }
  bool IsLoopback() const { return octets[0] == 127; }
  bool IsMulticast() const { return (octets[0] & 0xF0) == 0xE0; }
  bool IsBroadcast() const { return ToHostOrder() == 0xFFFFFFFFu; }
};

struct Ipv6Address {
  std::array<std::uint8_t, 16> octets{};
  friend bool operator==(const Ipv6Address&, const Ipv6Address&) = default;
  bool IsUnspecified() const;
  bool IsLoopback() const;
  bool IsMulticast() const { return octets[0] == 0xFF; }
  bool IsLinkLocal() const { return octets[0] == 0xFE && (octets[1] & 0xC0) == 0x80; }
  bool IsV4Mapped() const;
};

struct MacAddress {
  std::array<std::uint8_t, 6> octets{};
  friend bool operator==(const MacAddress&, const MacAddress&) = default;
  bool IsMulticast() const { return (octets[0] & 0x01) != 0; }
  bool IsZero() const;
};

// Dotted quad, four decimal parts 0..255; a part may not have a leading zero (it
// would be read as octal elsewhere).
Result<Ipv4Address> ParseIpv4(std::string_view text);
// RFC 4291 section 2.2 text forms (with "::" and a trailing dotted quad); no zone.
Result<Ipv6Address> ParseIpv6(std::string_view text);
// Six hex pairs separated by ':' or '-'.
Result<MacAddress> ParseMac(std::string_view text);

using AddressText = FixedString<45>;  // longest IPv6 text form
AddressText FormatIpv4(const Ipv4Address& a);
AddressText FormatIpv6(const Ipv6Address& a);  // RFC 5952 canonical form
FixedString<17> FormatMac(const MacAddress& m);

// The netmask of an IPv4 prefix length (0..32).
Ipv4Address Ipv4Netmask(unsigned prefix_length);
// Whether a and b share the first prefix_length bits.
bool SameIpv4Subnet(const Ipv4Address& a, const Ipv4Address& b, unsigned prefix_length);

}  // namespace pmu
