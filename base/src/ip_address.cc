#include "pmu/base/ip_address.h"

#include <algorithm>

namespace pmu {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool Ipv6Address::IsUnspecified() const {
  return std::all_of(octets.begin(), octets.end(), [](std::uint8_t b) { return b == 0; });
}
bool Ipv6Address::IsLoopback() const {
  return std::all_of(octets.begin(), octets.end() - 1, [](std::uint8_t b) { return b == 0; }) &&
         octets[15] == 1;
}
bool Ipv6Address::IsV4Mapped() const {
  return std::all_of(octets.begin(), octets.begin() + 10, [](std::uint8_t b) { return b == 0; }) &&
         octets[10] == 0xFF && octets[11] == 0xFF;
}
bool MacAddress::IsZero() const {
  return std::all_of(octets.begin(), octets.end(), [](std::uint8_t b) { return b == 0; });
}

Result<Ipv4Address> ParseIpv4(std::string_view text) {
  Ipv4Address out;
  std::size_t pos = 0;
  for (int part = 0; part < 4; ++part) {
    if (part > 0) {
      if (pos >= text.size() || text[pos] != '.') return InvalidArgument("expected a dotted quad");
      ++pos;
    }
    const std::size_t start = pos;
    unsigned value = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9' && pos - start < 4) {
      value = value * 10 + static_cast<unsigned>(text[pos] - '0');
      ++pos;
    }
    const std::size_t digits = pos - start;
    if (digits == 0) return InvalidArgument("expected a dotted quad");
    if (digits > 3 || value > 255) return OutOfRange("IPv4 address part above 255");
    if (digits > 1 && text[start] == '0') return InvalidArgument("IPv4 address part with a leading zero");
    out.octets[static_cast<std::size_t>(part)] = static_cast<std::uint8_t>(value);
  }
  if (pos != text.size()) return InvalidArgument("trailing characters after IPv4 address");
  return out;
}

Result<Ipv6Address> ParseIpv6(std::string_view text) {
  // Parse groups before and after "::" separately, then place them.
  std::array<std::uint16_t, 8> head{}, tail{};
  std::size_t nhead = 0, ntail = 0;
  bool compressed = false;
  std::size_t pos = 0;
  if (text.empty()) return InvalidArgument("empty IPv6 address");
  if (text.substr(0, 2) == "::") {
    compressed = true;
    pos = 2;
  } else if (text[0] == ':') {
    return InvalidArgument("IPv6 address starts with a single ':'");
  }
  bool need_group = !compressed;  // after a single ':' a group must follow
  bool ended_with_v4 = false;
  while (pos < text.size()) {
    // An embedded dotted quad may end the address.
    const std::size_t next_colon = text.find(':', pos);
    const std::string_view token = text.substr(pos, next_colon == std::string_view::npos
                                                        ? std::string_view::npos
                                                        : next_colon - pos);
    if (token.find('.') != std::string_view::npos) {
      if (next_colon != std::string_view::npos) return InvalidArgument("IPv4 part must end an IPv6 address");
      auto v4 = ParseIpv4(token);
      if (!v4.ok()) return InvalidArgument("bad IPv4 part in IPv6 address");
      auto& groups = compressed ? tail : head;
      auto& n = compressed ? ntail : nhead;
      if (n + 2 > 8) return InvalidArgument("too many groups in IPv6 address");
      groups[n++] = static_cast<std::uint16_t>((v4->octets[0] << 8) | v4->octets[1]);
      groups[n++] = static_cast<std::uint16_t>((v4->octets[2] << 8) | v4->octets[3]);
      pos = text.size();
      ended_with_v4 = true;
      need_group = false;
      break;
    }
    if (token.empty() || token.size() > 4) return InvalidArgument("bad group in IPv6 address");
    unsigned value = 0;
    for (char c : token) {
      const int h = HexValue(c);
      if (h < 0) return InvalidArgument("bad character in IPv6 address");
      value = value * 16 + static_cast<unsigned>(h);
    }
    auto& groups = compressed ? tail : head;
    auto& n = compressed ? ntail : nhead;
    if (n >= 8) return InvalidArgument("too many groups in IPv6 address");
    groups[n++] = static_cast<std::uint16_t>(value);
    pos += token.size();
    need_group = false;
    if (pos == text.size()) break;
    // pos is at ':'
    if (pos + 1 < text.size() && text[pos + 1] == ':') {
      if (compressed) return InvalidArgument("more than one '::' in IPv6 address");
      compressed = true;
      pos += 2;
    } else {
      ++pos;
      need_group = true;
    }
  }
  (void)ended_with_v4;
  if (need_group) return InvalidArgument("IPv6 address ends with a single ':'");
  const std::size_t total = nhead + ntail;
  if (compressed ? total > 7 : total != 8) return InvalidArgument("wrong number of groups in IPv6 address");
  std::array<std::uint16_t, 8> groups{};
  for (std::size_t i = 0; i < nhead; ++i) groups[i] = head[i];
  for (std::size_t i = 0; i < ntail; ++i) groups[8 - ntail + i] = tail[i];
  Ipv6Address out;
  for (std::size_t i = 0; i < 8; ++i) {
    out.octets[2 * i] = static_cast<std::uint8_t>(groups[i] >> 8);
    out.octets[2 * i + 1] = static_cast<std::uint8_t>(groups[i]);
  }
  return out;
}

Result<MacAddress> ParseMac(std::string_view text) {
  if (text.size() != 17) return InvalidArgument("MAC address must be six hex pairs like 02:00:00:00:00:01");
  const char sep = text[2];
  if (sep != ':' && sep != '-') return InvalidArgument("MAC address must be six hex pairs like 02:00:00:00:00:01");
  MacAddress out;
  for (std::size_t i = 0; i < 6; ++i) {
    const std::size_t p = i * 3;
    if (i > 0 && text[p - 1] != sep) return InvalidArgument("MAC address must be six hex pairs like 02:00:00:00:00:01");
    const int hi = HexValue(text[p]), lo = HexValue(text[p + 1]);
    if (hi < 0 || lo < 0) return InvalidArgument("MAC address must be six hex pairs like 02:00:00:00:00:01");
    out.octets[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  return out;
}

AddressText FormatIpv4(const Ipv4Address& a) {
  AddressText t;
  t.Format("%u.%u.%u.%u", a.octets[0], a.octets[1], a.octets[2], a.octets[3]);
  return t;
}

AddressText FormatIpv6(const Ipv6Address& a) {
  std::array<unsigned, 8> g{};
  for (std::size_t i = 0; i < 8; ++i) g[i] = (unsigned{a.octets[2 * i]} << 8) | a.octets[2 * i + 1];
  // RFC 5952: compress the longest run (the first if tied) of two or more zero groups.
  int best_start = -1, best_len = 0;
  for (int i = 0; i < 8;) {
    if (g[static_cast<std::size_t>(i)] != 0) { ++i; continue; }
    int j = i;
    while (j < 8 && g[static_cast<std::size_t>(j)] == 0) ++j;
    if (j - i > best_len && j - i >= 2) { best_start = i; best_len = j - i; }
    i = j;
  }
  AddressText t;
  if (a.IsV4Mapped()) {
    t.Format("::ffff:%u.%u.%u.%u", a.octets[12], a.octets[13], a.octets[14], a.octets[15]);
    return t;
  }
  for (int i = 0; i < 8; ++i) {
    if (i == best_start) {
      t.Append("::");
      i += best_len - 1;
      continue;
    }
    if (i > 0 && i != best_start + best_len) t.Append(':');
    t.Format("%x", g[static_cast<std::size_t>(i)]);
  }
  return t;
}

FixedString<17> FormatMac(const MacAddress& m) {
  FixedString<17> t;
  t.Format("%02x:%02x:%02x:%02x:%02x:%02x", m.octets[0], m.octets[1], m.octets[2], m.octets[3],
           m.octets[4], m.octets[5]);
  return t;
}

Ipv4Address Ipv4Netmask(unsigned prefix_length) {
  if (prefix_length == 0) return {};
  if (prefix_length >= 32) return Ipv4Address::FromHostOrder(0xFFFFFFFFu);
  return Ipv4Address::FromHostOrder(~((1u << (32 - prefix_length)) - 1));
}

bool SameIpv4Subnet(const Ipv4Address& a, const Ipv4Address& b, unsigned prefix_length) {
  const std::uint32_t mask = Ipv4Netmask(prefix_length).ToHostOrder();
  return (a.ToHostOrder() & mask) == (b.ToHostOrder() & mask);
}

}  // namespace pmu
