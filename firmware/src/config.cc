#include "pmu/firmware/config.h"

#include <cinttypes>

#include "config_key.h"
#include "pmu/base/base64.h"
#include "config_measurement.h"
#include "pmu/proto/bulletin.h"

namespace pmu::firmware {
namespace {

// A limit of the target's configuration in a help text ("1 to " PMU_LIMIT(...)).
#define PMU_LIMIT_TEXT(n) #n
#define PMU_LIMIT(n) PMU_LIMIT_TEXT(n)

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}


bool ValidHostname(std::string_view s) {
  if (s.empty() || s.size() > 63 || s.front() == '-' || s.back() == '-') return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok) return false;
  }
  return true;
}

// "0", "1", "0.6", ".25", "1.0": a probability with at most 6 decimals, in ppm.
bool ParseProbabilityPpm(std::string_view s, std::uint32_t* ppm) {
  std::uint64_t whole = 0, frac = 0;
  std::size_t i = 0, int_digits = 0, frac_digits = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
    whole = whole * 10 + static_cast<unsigned>(s[i++] - '0');
    if (++int_digits > 1) return false;
  }
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      if (frac_digits == 6) return false;
      frac = frac * 10 + static_cast<unsigned>(s[i++] - '0');
      ++frac_digits;
    }
  }
  if (i != s.size() || int_digits + frac_digits == 0) return false;
  while (frac_digits < 6) {
    frac *= 10;
    ++frac_digits;
  }
  const std::uint64_t v = whole * 1'000'000 + frac;
  if (v > 1'000'000) return false;
  *ppm = static_cast<std::uint32_t>(v);
  return true;
}

// "random" or a signed whole number within +-limit.
const char* ParseSimClockError(std::string_view v, std::int64_t limit, SimClockError* out) {
  if (v == "random") {
    *out = {true, 0};
    return nullptr;
  }
  const bool negative = !v.empty() && v.front() == '-';
  if (negative) v.remove_prefix(1);
  std::uint64_t n = 0;
  if (ParseConfigRange(v, 0, static_cast<std::uint64_t>(limit), &n) != nullptr) return "out of range";
  *out = {false, negative ? -static_cast<std::int64_t>(n) : static_cast<std::int64_t>(n)};
  return nullptr;
}

void FormatSimClockError(const SimClockError& e, ConfigValueText& o) {
  if (e.random) {
    o.Append("random");
  } else {
    o.Format("%lld", static_cast<long long>(e.value));
  }
}

using Key = config_detail::ConfigKey<DeviceConfig>;
using Setter = Key::Setter;
using Getter = Key::Getter;

// Generates a setter for an unsigned field with an inclusive range.
template <typename T, T DeviceConfig::*Field, std::uint64_t Min, std::uint64_t Max>
const char* SetUnsigned(DeviceConfig& c, std::string_view v) {
  std::uint64_t n = 0;
  if (const char* why = ParseConfigRange(v, Min, Max, &n)) return why;
  c.*Field = static_cast<T>(n);
  return nullptr;
}
template <typename T, T DeviceConfig::*Field>
void GetUnsigned(const DeviceConfig& c, ConfigValueText& out) {
  out.Format("%llu", static_cast<unsigned long long>(c.*Field));
}
template <bool DeviceConfig::*Field>
const char* SetBool(DeviceConfig& c, std::string_view v) {
  return ParseConfigBool(v, &(c.*Field)) ? nullptr : "must be true or false";
}
template <bool DeviceConfig::*Field>
void GetBool(const DeviceConfig& c, ConfigValueText& out) {
  out.Append(c.*Field ? "true" : "false");
}

// IEEE 1588-2008 leaves 128 to 255 reserved, but C37.238-2017 uses 254.
const char* SetPtpDomain(DeviceConfig& c, std::string_view v) {
  std::uint64_t n = 0;
  if (ParseConfigRange(v, 0, 254, &n) != nullptr || (n > 127 && n != 254)) return "must be 0 to 127, or 254";
  c.ptp_domain = static_cast<std::uint8_t>(n);
  return nullptr;
}

const Key kKeys[] = {
    {"hostname", "the device's host name: 1 to 63 letters, digits and '-', not at either end",
     [](DeviceConfig& c, std::string_view v) -> const char* {
       if (!ValidHostname(v)) return "must be 1 to 63 letters, digits and '-' (not at either end)";
       c.hostname.clear();
       c.hostname.Append(v);
       return nullptr;
     },
     [](const DeviceConfig& c, ConfigValueText& o) { o.Append(c.hostname.view()); }},
    {"mac", "Ethernet address, six hex pairs (a unicast address, not all zeros), or 'hardware' for the MAC's own",
     [](DeviceConfig& c, std::string_view v) -> const char* {
       if (v == "hardware") {
         c.mac_from_link = true;
         return nullptr;
       }
       auto m = ParseMac(v);
       if (!m.ok()) return "must be six hex pairs like 02:50:4d:55:00:01";
       if (m->IsMulticast()) return "must be a unicast address (lowest bit of the first octet clear)";
       if (m->IsZero()) return "must not be all zeros";
       c.mac = *m;
       c.mac_from_link = false;
       return nullptr;
     },
     [](const DeviceConfig& c, ConfigValueText& o) {
       o.Append(c.mac_from_link ? std::string_view("hardware") : FormatMac(c.mac).view());
     }},
    {"ipv4.enabled", "true or false: whether the device has an IPv4 address",
     SetBool<&DeviceConfig::ipv4_enabled>, GetBool<&DeviceConfig::ipv4_enabled>},
    {"ipv4.address", "the device's IPv4 address (unicast)",
     [](DeviceConfig& c, std::string_view v) -> const char* {
       auto a = ParseIpv4(v);
       if (!a.ok()) return "must be a dotted-quad IPv4 address";
       if (a->IsUnspecified() || a->IsLoopback() || a->IsMulticast() || a->IsBroadcast() || a->octets[0] == 0 ||
           a->octets[0] >= 240) {
         return "must be a unicast address (not 0.x, 127.x, multicast or reserved)";
       }
       c.ipv4 = *a;
       return nullptr;
     },
     [](const DeviceConfig& c, ConfigValueText& o) { o.Append(FormatIpv4(c.ipv4).view()); }},
    {"ipv4.prefix", "IPv4 prefix length, 1 to 30",
     SetUnsigned<std::uint8_t, &DeviceConfig::ipv4_prefix, 1, 30>,
     GetUnsigned<std::uint8_t, &DeviceConfig::ipv4_prefix>},
    {"ipv4.gateway", "IPv4 default gateway on the device's subnet, or 'none'",
     [](DeviceConfig& c, std::string_view v) -> const char* {
       if (v.empty() || v == "none") {
         c.has_ipv4_gateway = false;
         c.ipv4_gateway = {};
         return nullptr;
       }
       auto a = ParseIpv4(v);
       if (!a.ok()) return "must be a dotted-quad IPv4 address or 'none'";
       c.has_ipv4_gateway = true;
       c.ipv4_gateway = *a;
       return nullptr;
     },
     [](const DeviceConfig& c, ConfigValueText& o) {
       o.Append(c.has_ipv4_gateway ? FormatIpv4(c.ipv4_gateway).view() : std::string_view("none"));
     }},
    {"ipv6.enabled", "true or false: whether the device has IPv6 addresses",
     SetBool<&DeviceConfig::ipv6_enabled>, GetBool<&DeviceConfig::ipv6_enabled>},
    {"ipv6.address", "the device's global IPv6 address (unicast, not link-local)",
     [](DeviceConfig& c, std::string_view v) -> const char* {
       auto a = ParseIpv6(v);
       if (!a.ok()) return "must be an IPv6 address";
       if (a->IsUnspecified() || a->IsLoopback() || a->IsMulticast() || a->IsLinkLocal() || a->IsV4Mapped()) {
         return "must be a global unicast address (the link-local address is derived from the MAC)";
       }
       c.ipv6 = *a;
       return nullptr;
     },
     [](const DeviceConfig& c, ConfigValueText& o) { o.Append(FormatIpv6(c.ipv6).view()); }},
    {"ipv6.prefix", "IPv6 prefix length; 64 (lwIP 2.1 treats interface addresses as /64)",
     SetUnsigned<std::uint8_t, &DeviceConfig::ipv6_prefix, 64, 64>,
     GetUnsigned<std::uint8_t, &DeviceConfig::ipv6_prefix>},
    {"sink.port", "UDP port of the datagram sink, 1 to 65535",
     SetUnsigned<std::uint16_t, &DeviceConfig::sink_port, 1, 65535>,
     GetUnsigned<std::uint16_t, &DeviceConfig::sink_port>},
    {"echo.port", "TCP port of the echo service, 1 to 65535",
     SetUnsigned<std::uint16_t, &DeviceConfig::echo_port, 1, 65535>,
     GetUnsigned<std::uint16_t, &DeviceConfig::echo_port>},
    {"echo.max_clients", "echo connections served at once, 1 to " PMU_LIMIT(PMU_MAX_ECHO_SESSIONS),
     SetUnsigned<std::uint8_t, &DeviceConfig::echo_max_clients, 1, kMaxEchoSessions>,
     GetUnsigned<std::uint8_t, &DeviceConfig::echo_max_clients>},
    {"command.port", "TCP port of the command service, 1 to 65535",
     SetUnsigned<std::uint16_t, &DeviceConfig::command_port, 1, 65535>,
     GetUnsigned<std::uint16_t, &DeviceConfig::command_port>},
    {"command.max_clients", "command connections served at once, 1 to " PMU_LIMIT(PMU_MAX_COMMAND_SESSIONS),
     SetUnsigned<std::uint8_t, &DeviceConfig::command_max_clients, 1, kMaxCommandSessions>,
     GetUnsigned<std::uint8_t, &DeviceConfig::command_max_clients>},
    {"command.short_count", "messages CMD_short sends, 1 to 1000",
     SetUnsigned<std::uint32_t, &DeviceConfig::short_count, 1, 1000>,
     GetUnsigned<std::uint32_t, &DeviceConfig::short_count>},
    {"command.floodme_size", "bytes CMD_floodme sends, 1 to command.floodme_max",
     SetUnsigned<std::uint64_t, &DeviceConfig::floodme_size, 1, 1ull << 32>,
     GetUnsigned<std::uint64_t, &DeviceConfig::floodme_size>},
    {"command.floodme_max", "largest N accepted in CMD_floodme:N, 1 to 4294967296",
     SetUnsigned<std::uint64_t, &DeviceConfig::floodme_max, 1, 1ull << 32>,
     GetUnsigned<std::uint64_t, &DeviceConfig::floodme_max>},
    {"tcp.idle_timeout_s", "seconds a TCP session may wait for its client (a command, a frame) before it is dropped, 1 to 3600",
     SetUnsigned<std::uint32_t, &DeviceConfig::idle_timeout_s, 1, 3600>,
     GetUnsigned<std::uint32_t, &DeviceConfig::idle_timeout_s>},
    {"tcp.stall_timeout_s", "seconds a TCP peer may acknowledge nothing while data waits for it before it is reset, 1 to 3600",
     SetUnsigned<std::uint32_t, &DeviceConfig::stall_timeout_s, 1, 3600>,
     GetUnsigned<std::uint32_t, &DeviceConfig::stall_timeout_s>},
    {"reset.port", "UDP port of the clock reset service, 1 to 65535",
     SetUnsigned<std::uint16_t, &DeviceConfig::reset_port, 1, 65535>,
     GetUnsigned<std::uint16_t, &DeviceConfig::reset_port>},
    {"reset.loss", "probability that a reset request is discarded, 0 to 1 (at most 6 decimals)",
     [](DeviceConfig& c, std::string_view v) -> const char* {
       return ParseProbabilityPpm(v, &c.reset_loss_ppm) ? nullptr : "must be a probability from 0 to 1, like 0.6";
     },
     [](const DeviceConfig& c, ConfigValueText& o) {
       const std::uint32_t p = c.reset_loss_ppm;
       if (p % 1'000'000 == 0) {
         o.Format("%" PRIu32, p / 1'000'000);
       } else {
         ConfigValueText frac;
         frac.Format("%06" PRIu32, p % 1'000'000);
         std::string_view f = frac.view();
         while (f.back() == '0') f.remove_suffix(1);
         o.Format("%" PRIu32 ".%.*s", p / 1'000'000, static_cast<int>(f.size()), f.data());
       }
     }},
    {"reset.families", "families the reset service answers on: both, ipv4, ipv6 or alternate",
     [](DeviceConfig& c, std::string_view v) -> const char* {
       for (ResetFamilies f : {ResetFamilies::kBoth, ResetFamilies::kIpv4, ResetFamilies::kIpv6,
                               ResetFamilies::kAlternate}) {
         if (v == ResetFamiliesName(f)) {
           c.reset_families = f;
           return nullptr;
         }
       }
       return "must be both, ipv4, ipv6 or alternate";
     },
     [](const DeviceConfig& c, ConfigValueText& o) { o.Append(ResetFamiliesName(c.reset_families)); }},
    {"reset.alternate_s", "seconds each family answers in turn in alternate mode, 1 to 3600",
     SetUnsigned<std::uint32_t, &DeviceConfig::reset_alternate_s, 1, 3600>,
     GetUnsigned<std::uint32_t, &DeviceConfig::reset_alternate_s>},
    {"reset.fernet_key", "Fernet key (URL-safe base64 of 32 bytes) the reset service requires, or 'none'",
     [](DeviceConfig& c, std::string_view v) -> const char* {
       if (v.empty() || v == "none") {
         c.reset_fernet_key.clear();
         return nullptr;
       }
       std::byte key[33];
       const auto n = Base64Decode(v, key, Base64Alphabet::kUrlSafe);
       if (!n.ok() || *n != 32) return "must be the URL-safe base64 of 32 bytes (as Fernet.generate_key() prints)";
       c.reset_fernet_key.clear();
       c.reset_fernet_key.Append(v);
       return nullptr;
     },
     [](const DeviceConfig& c, ConfigValueText& o) {
       o.Append(c.reset_fernet_key.empty() ? std::string_view("none") : c.reset_fernet_key.view());
     }},
    {"reset.fernet_ttl_s", "seconds a Fernet token stays valid, 1 to 86400",
     SetUnsigned<std::uint32_t, &DeviceConfig::reset_fernet_ttl_s, 1, 86400>,
     GetUnsigned<std::uint32_t, &DeviceConfig::reset_fernet_ttl_s>},
    {"reset.max_rate", "new reset requests that may move the clock in a second (more are ignored), 1 to 1000",
     SetUnsigned<std::uint16_t, &DeviceConfig::reset_max_rate, 1, 1000>,
     GetUnsigned<std::uint16_t, &DeviceConfig::reset_max_rate>},
    {"reset.max_offset_s", "seconds the resets may move the clock in all since boot (a request that could go past is "
                           "ignored), 0 to 315360000",
     SetUnsigned<std::uint32_t, &DeviceConfig::reset_max_offset_s, 0, 315'360'000>,
     GetUnsigned<std::uint32_t, &DeviceConfig::reset_max_offset_s>},
    {"tls.port", "TCP port of the TLS command service, 1 to 65535",
     SetUnsigned<std::uint16_t, &DeviceConfig::tls_port, 1, 65535>,
     GetUnsigned<std::uint16_t, &DeviceConfig::tls_port>},
    {"tls.client_auth", "client certificates on the TLS command service: none, optional or required",
     [](DeviceConfig& c, std::string_view v) -> const char* {
       for (TlsClientAuth a : {TlsClientAuth::kNone, TlsClientAuth::kOptional, TlsClientAuth::kRequired}) {
         if (v == TlsClientAuthName(a)) {
           c.tls_client_auth = a;
           return nullptr;
         }
       }
       return "must be none, optional or required";
     },
     [](const DeviceConfig& c, ConfigValueText& o) { o.Append(TlsClientAuthName(c.tls_client_auth)); }},
    {"tls.allowed_clients", "client certificate common names let in, separated by commas",
     [](DeviceConfig& c, std::string_view v) -> const char* {
       if (v.size() > decltype(c.tls_allowed_clients)::capacity()) return "too long (at most 200 characters)";
       for (char ch : v) {
         const auto u = static_cast<unsigned char>(ch);
         if (u < 0x20 || u > 0x7E) return "must be printable ASCII names separated by commas";
       }
       c.tls_allowed_clients.clear();
       c.tls_allowed_clients.Append(v);
       return nullptr;
     },
     [](const DeviceConfig& c, ConfigValueText& o) { o.Append(c.tls_allowed_clients.view()); }},
    {"tls.max_sessions", "TLS sessions at once over the TLS services together, one of them kept for the console, 2 to "
     PMU_LIMIT(PMU_MAX_TLS_SESSIONS),
     SetUnsigned<std::uint8_t, &DeviceConfig::tls_max_sessions, 2, kMaxTlsSessions>,
     GetUnsigned<std::uint8_t, &DeviceConfig::tls_max_sessions>},
    {"tls.handshake_timeout_s", "seconds a TLS client has to complete its handshake, 1 to 3600",
     SetUnsigned<std::uint32_t, &DeviceConfig::tls_handshake_timeout_s, 1, 3600>,
     GetUnsigned<std::uint32_t, &DeviceConfig::tls_handshake_timeout_s>},
    {"console.port", "TCP port of the operator console (mutual TLS), 1 to 65535",
     SetUnsigned<std::uint16_t, &DeviceConfig::console_port, 1, 65535>,
     GetUnsigned<std::uint16_t, &DeviceConfig::console_port>},
    {"bulletin.port", "UDP port of the multicast bulletin channel, 1 to 65535",
     SetUnsigned<std::uint16_t, &DeviceConfig::bulletin_port, 1, 65535>,
     GetUnsigned<std::uint16_t, &DeviceConfig::bulletin_port>},
    {"bulletin.id", "the device's bulletin identifier: 1 to 6 printable ASCII characters, no space",
     [](DeviceConfig& c, std::string_view v) -> const char* {
       if (!proto::IsValidBulletinId(v)) return "must be 1 to 6 printable ASCII characters without spaces";
       c.bulletin_id.clear();
       c.bulletin_id.Append(v);
       return nullptr;
     },
     [](const DeviceConfig& c, ConfigValueText& o) { o.Append(c.bulletin_id.view()); }},
    {"bulletin.group4", "IPv4 multicast group of the bulletin channel",
     [](DeviceConfig& c, std::string_view v) -> const char* {
       auto a = ParseIpv4(v);
       if (!a.ok() || !a->IsMulticast()) return "must be an IPv4 multicast address (224.0.0.0/4)";
       c.bulletin_group4 = *a;
       return nullptr;
     },
     [](const DeviceConfig& c, ConfigValueText& o) { o.Append(FormatIpv4(c.bulletin_group4).view()); }},
    {"bulletin.group6", "IPv6 multicast group of the bulletin channel",
     [](DeviceConfig& c, std::string_view v) -> const char* {
       auto a = ParseIpv6(v);
       if (!a.ok() || !a->IsMulticast()) return "must be an IPv6 multicast address (ff00::/8)";
       c.bulletin_group6 = *a;
       return nullptr;
     },
     [](const DeviceConfig& c, ConfigValueText& o) { o.Append(FormatIpv6(c.bulletin_group6).view()); }},
    {"bulletin.period_s", "seconds between the device's bulletins, 1 to 3600",
     SetUnsigned<std::uint32_t, &DeviceConfig::bulletin_period_s, 1, 3600>,
     GetUnsigned<std::uint32_t, &DeviceConfig::bulletin_period_s>},
    {"bulletin.ttl", "multicast TTL and hop limit of the bulletins, 1 to 255 (1: this link only)",
     SetUnsigned<std::uint8_t, &DeviceConfig::bulletin_ttl, 1, 255>,
     GetUnsigned<std::uint8_t, &DeviceConfig::bulletin_ttl>},
    {"ws.port", "TCP port of the WebSocket command service, 1 to 65535",
     SetUnsigned<std::uint16_t, &DeviceConfig::ws_port, 1, 65535>,
     GetUnsigned<std::uint16_t, &DeviceConfig::ws_port>},
    {"ws.max_clients", "WebSocket connections served at once, 1 to " PMU_LIMIT(PMU_MAX_WEBSOCKET_SESSIONS) "; beyond, HTTP 503",
     SetUnsigned<std::uint8_t, &DeviceConfig::ws_max_clients, 1, kMaxWebSocketSessions>,
     GetUnsigned<std::uint8_t, &DeviceConfig::ws_max_clients>},
    {"ws.max_message", "largest message a WebSocket client may send, 16 to 1048576 bytes (beyond: close 1009)",
     SetUnsigned<std::uint32_t, &DeviceConfig::ws_max_message, 16, 1u << 20>,
     GetUnsigned<std::uint32_t, &DeviceConfig::ws_max_message>},
    {"ws.handshake_timeout_s", "seconds a WebSocket client has to finish its opening handshake, 1 to 3600",
     SetUnsigned<std::uint32_t, &DeviceConfig::ws_handshake_timeout_s, 1, 3600>,
     GetUnsigned<std::uint32_t, &DeviceConfig::ws_handshake_timeout_s>},
    {"log.level", "error, warn, info or debug",
     [](DeviceConfig& c, std::string_view v) -> const char* {
       return ParseLogLevel(v, &c.log_level) ? nullptr : "must be error, warn, info or debug";
     },
     [](const DeviceConfig& c, ConfigValueText& o) { o.Append(LogLevelName(c.log_level)); }},
    {"time.source",
     "where the device's time comes from: ptp (the PTP slave), sntp (the SNTP client, from sntp.server) or platform "
     "(the platform clock is trusted)",
     [](DeviceConfig& c, std::string_view v) -> const char* {
       if (v == "sntp" && !InImage(OptionalService::kSntp)) return LeftOutReason(OptionalService::kSntp);
       for (TimeSource t : {TimeSource::kPtp, TimeSource::kPlatform, TimeSource::kSntp}) {
         if (v == TimeSourceName(t)) {
           c.time_source = t;
           return nullptr;
         }
       }
       return "must be ptp, sntp or platform";
     },
     [](const DeviceConfig& c, ConfigValueText& o) { o.Append(TimeSourceName(c.time_source)); }},
    {"time.holdover_ppb", "the oscillator's stated stability: holdover error growth in ns per s, 1 to 100000",
     SetUnsigned<std::uint32_t, &DeviceConfig::time_holdover_ppb, 1, 100000>,
     GetUnsigned<std::uint32_t, &DeviceConfig::time_holdover_ppb>},
    {"ptp.domain", "PTP domain number the slave follows, 0 to 127, or 254 (C37.238-2017)",
     SetPtpDomain,
     GetUnsigned<std::uint8_t, &DeviceConfig::ptp_domain>},
    {"ptp.transport", "how PTP travels: udp4 (the default profile's) or l2 (Ethernet, the power profile's)",
     [](DeviceConfig& c, std::string_view v) -> const char* {
       if (v == "l2" && !InImage(OptionalService::kPtpL2)) return LeftOutReason(OptionalService::kPtpL2);
       if (v != "udp4" && v != "l2") return "must be udp4 or l2";
       c.ptp_ethernet = v == "l2";
       return nullptr;
     },
     [](const DeviceConfig& c, ConfigValueText& o) { o.Append(c.ptp_ethernet ? "l2" : "udp4"); }},
    {"ptp.delay", "PTP path delay: e2e (Delay_Req to the master) or p2p (peer delay to the link neighbour)",
     [](DeviceConfig& c, std::string_view v) -> const char* {
       if (v != "e2e" && v != "p2p") return "must be e2e or p2p";
       c.ptp_peer_delay = v == "p2p";
       return nullptr;
     },
     [](const DeviceConfig& c, ConfigValueText& o) { o.Append(c.ptp_peer_delay ? "p2p" : "e2e"); }},
    {"sntp.server", "the NTP server the SNTP client asks (time.source = sntp): an IPv4 or IPv6 address, or none",
     [](DeviceConfig& c, std::string_view v) -> const char* {
       if (v == "none") {
         c.has_sntp_server = false;
         return nullptr;
       }
       if (auto a4 = ParseIpv4(v); a4.ok() && !a4->IsMulticast() && !a4->IsUnspecified()) {
         c.has_sntp_server = true;
         c.sntp_server_v6 = false;
         c.sntp_server4 = *a4;
         return nullptr;
       }
       if (auto a6 = ParseIpv6(v); a6.ok() && !a6->IsMulticast() && !a6->IsUnspecified()) {
         c.has_sntp_server = true;
         c.sntp_server_v6 = true;
         c.sntp_server6 = *a6;
         return nullptr;
       }
       return "must be a unicast IPv4 or IPv6 address, or none";
     },
     [](const DeviceConfig& c, ConfigValueText& o) {
       if (!c.has_sntp_server) {
         o.Append("none");
       } else if (c.sntp_server_v6) {
         o.Append(FormatIpv6(c.sntp_server6).view());
       } else {
         o.Append(FormatIpv4(c.sntp_server4).view());
       }
     }},
    {"sntp.poll_s", "seconds between the SNTP client's requests, 1 to 1024 (a public server wants 64 or more)",
     SetUnsigned<std::uint32_t, &DeviceConfig::sntp_poll_s, 1, 1024>,
     GetUnsigned<std::uint32_t, &DeviceConfig::sntp_poll_s>},
    {"sim.clock_offset_us", "simulator only: offset of the device's clock at boot in us, -1000000 to 1000000, or random",
     [](DeviceConfig& c, std::string_view v) -> const char* {
       return ParseSimClockError(v, 1'000'000, &c.sim_clock_offset_us)
                  ? "must be a whole number of microseconds from -1000000 to 1000000, or random"
                  : nullptr;
     },
     [](const DeviceConfig& c, ConfigValueText& o) { FormatSimClockError(c.sim_clock_offset_us, o); }},
    {"sim.clock_drift_ppb", "simulator only: frequency error of the device's oscillator in ppb, -100000 to 100000, or random",
     [](DeviceConfig& c, std::string_view v) -> const char* {
       return ParseSimClockError(v, 100'000, &c.sim_clock_drift_ppb)
                  ? "must be a whole number of ppb from -100000 to 100000, or random"
                  : nullptr;
     },
     [](const DeviceConfig& c, ConfigValueText& o) { FormatSimClockError(c.sim_clock_drift_ppb, o); }},
};

const Key* FindKey(std::string_view name) {
  for (const Key& k : kKeys) {
    if (name == k.name) return &k;
  }
  return nullptr;
}

// Every key, in the documented order: the device's, then the measurement's
// (config_measurement.cc, which lists the playback's last), whether this image has
// their service or not ("raw" indices); the public functions count only those it has.
constexpr std::size_t kDeviceKeyCount = sizeof(kKeys) / sizeof(kKeys[0]);
constexpr bool kAllServices = kImageServices == (ServiceBit(OptionalService::kBulletin) |
                                                 ServiceBit(OptionalService::kWebSocket) |
                                                 ServiceBit(OptionalService::kPlayback) |
                                                 ServiceBit(OptionalService::kTls) |
                                                 ServiceBit(OptionalService::kSntp) |
                                                 ServiceBit(OptionalService::kPtpL2));

std::size_t RawKeyCount() { return kDeviceKeyCount + config_detail::MeasurementKeyCount(); }

const char* RawKeyName(std::size_t raw) {
  if (raw < kDeviceKeyCount) return kKeys[raw].name;
  return raw < RawKeyCount() ? config_detail::MeasurementKeyName(raw - kDeviceKeyCount) : nullptr;
}

// The raw index of the key at `index` among those of this image (RawKeyCount() past them).
std::size_t RawIndex(std::size_t index) {
  if constexpr (kAllServices) return index < RawKeyCount() ? index : RawKeyCount();
  for (std::size_t raw = 0; raw < RawKeyCount(); ++raw) {
    if (KeyLeftOut(RawKeyName(raw)) != nullptr) continue;
    if (index-- == 0) return raw;
  }
  return RawKeyCount();
}

// `key`'s own (static) name, if it is a key at all.
const char* KnownKeyName(std::string_view key) {
  for (std::size_t raw = 0; raw < RawKeyCount(); ++raw) {
    if (key == RawKeyName(raw)) return RawKeyName(raw);
  }
  return nullptr;
}

}  // namespace

ConfigError SetConfigValue(DeviceConfig& config, std::string_view key, std::string_view value) {
  // A key of a service this image leaves out is known, and refused as such.
  if (const char* why = KeyLeftOut(key)) {
    if (const char* name = KnownKeyName(key)) return {name, why, 0, value};
  }
  const Key* k = FindKey(key);
  if (k == nullptr) {
    const char* why = nullptr;
    const char* name = nullptr;
    if (config_detail::SetMeasurementValue(config, key, value, &why, &name)) return {name, why, 0, value};
    return {nullptr, "unknown key", 0, key};
  }
  if (const char* why = k->set(config, value)) return {k->name, why, 0, value};
  return {};
}

FixedString<240> DescribeConfigError(const ConfigError& e) {
  FixedString<240> text;
  const int n = static_cast<int>(e.input.size());
  if (e.key == nullptr) {  // an unknown key, a line that is not "key = value"
    text.Format("%s: '%.*s'", e.reason, n, e.input.data());
  } else if (e.input.data() == nullptr) {  // a rule between keys
    text.Format("%s: %s", e.key, e.reason);
  } else {
    text.Format("%s = '%.*s': %s", e.key, n, e.input.data(), e.reason);
    const char* help = IsLeftOutReason(e.reason) ? nullptr : ConfigKeyHelp(e.key);
    if (help != nullptr && std::string_view(e.reason).find(help) == std::string_view::npos) {
      text.Format(" (expected %s)", help);
    }
  }
  return text;
}

ConfigError ParseConfigText(std::string_view text, DeviceConfig& config) {
  unsigned line_no = 0;
  while (!text.empty()) {
    ++line_no;
    const std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (const std::size_t hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    line = Trim(line);
    if (line.empty()) continue;
    const std::size_t eq = line.find('=');
    if (eq == std::string_view::npos) return {nullptr, "expected 'key = value'", line_no, line};
    const std::string_view key = Trim(line.substr(0, eq));
    const std::string_view value = Trim(line.substr(eq + 1));
    ConfigError e = SetConfigValue(config, key, value);
    if (!e.ok()) {
      e.line = line_no;
      return e;
    }
  }
  return {};
}

ConfigError ValidateConfig(const DeviceConfig& c) {
  if (!c.ipv4_enabled && !c.ipv6_enabled) return {"ipv4.enabled", "IPv4 and IPv6 are both disabled", 0};
  if (c.ipv4_enabled) {
    const std::uint32_t host_bits = ~Ipv4Netmask(c.ipv4_prefix).ToHostOrder();
    const std::uint32_t a = c.ipv4.ToHostOrder();
    if ((a & host_bits) == 0) return {"ipv4.address", "is the network address of its prefix", 0};
    if ((a & host_bits) == host_bits) return {"ipv4.address", "is the broadcast address of its prefix", 0};
    if (c.has_ipv4_gateway) {
      if (!SameIpv4Subnet(c.ipv4, c.ipv4_gateway, c.ipv4_prefix)) {
        return {"ipv4.gateway", "is not on the device's subnet", 0};
      }
      if (c.ipv4_gateway == c.ipv4) return {"ipv4.gateway", "is the device's own address", 0};
    }
  }
  // TCP and UDP ports are separate spaces; only a clash within one transport matters.
  const std::uint16_t tcp_ports[] = {c.echo_port, c.command_port, c.ws_port, c.tls_port, c.console_port};
  static const char* const kTcpKeys[] = {"echo.port", "command.port", "ws.port", "tls.port", "console.port"};
  static const char* const kSameAs[] = {"is the same TCP port as echo.port", "is the same TCP port as command.port",
                                        "is the same TCP port as ws.port", "is the same TCP port as tls.port"};
  for (std::size_t i = 0; i < 5; ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (tcp_ports[i] == tcp_ports[j]) return {kTcpKeys[i], kSameAs[j], 0};
    }
  }
  if (c.reset_port == c.sink_port) return {"reset.port", "is the same UDP port as sink.port", 0};
  if (c.bulletin_port == c.sink_port) return {"bulletin.port", "is the same UDP port as sink.port", 0};
  if (c.bulletin_port == c.reset_port) return {"bulletin.port", "is the same UDP port as reset.port", 0};
  if (c.reset_families == ResetFamilies::kIpv4 && !c.ipv4_enabled) {
    return {"reset.families", "is ipv4 but IPv4 is disabled", 0};
  }
  if (c.reset_families == ResetFamilies::kIpv6 && !c.ipv6_enabled) {
    return {"reset.families", "is ipv6 but IPv6 is disabled", 0};
  }
  if (c.reset_families == ResetFamilies::kAlternate && !(c.ipv4_enabled && c.ipv6_enabled)) {
    return {"reset.families", "is alternate but only one family is enabled", 0};
  }
  if (c.floodme_size > c.floodme_max) return {"command.floodme_size", "is larger than command.floodme_max", 0};
  if (c.time_source == TimeSource::kSntp) {
    if (!c.has_sntp_server) return {"time.source", "is sntp but sntp.server is none", 0};
    if (c.sntp_server_v6 ? !c.ipv6_enabled : !c.ipv4_enabled) {
      return {"sntp.server", c.sntp_server_v6 ? "is an IPv6 address but IPv6 is disabled"
                                              : "is an IPv4 address but IPv4 is disabled", 0};
    }
  }
  // The PTP slave holds UDP 319 and 320 (fixed by IEEE 1588).
  if (c.time_source == TimeSource::kPtp) {
    const std::uint16_t udp_ports[] = {c.sink_port, c.reset_port, c.bulletin_port, c.c37.udp_port};
    static const char* const kUdpKeys[] = {"sink.port", "reset.port", "bulletin.port", "c37.udp_port"};
    for (std::size_t i = 0; i < 4; ++i) {
      if (udp_ports[i] == 319 || udp_ports[i] == 320) return {kUdpKeys[i], "is a PTP port (319, 320) and time.source is ptp", 0};
    }
  }
  // The stream's ports and multicast against the device's others (the measurement's
  // own rules are config_measurement.cc's).
  if (c.c37.port == c.echo_port || c.c37.port == c.command_port) {
    return {"c37.port", "is the same TCP port as another service", 0};
  }
  if (c.c37.udp_port == c.sink_port || c.c37.udp_port == c.reset_port || c.c37.udp_port == c.bulletin_port) {
    return {"c37.udp_port", "is the same UDP port as another service", 0};
  }
  if (c.c37.multicast && !c.ipv4_enabled) return {"c37.multicast", "needs IPv4", 0};
  if (ConfigError e = config_detail::ValidateMeasurementConfig(c); !e.ok()) return e;
  return {};
}

std::size_t ConfigKeyCount() {
  if constexpr (kAllServices) return RawKeyCount();
  std::size_t n = 0;
  for (std::size_t raw = 0; raw < RawKeyCount(); ++raw) n += KeyLeftOut(RawKeyName(raw)) == nullptr ? 1 : 0;
  return n;
}

const char* ConfigKeyName(std::size_t index) { return RawKeyName(RawIndex(index)); }

bool IsSecretConfigKey(std::string_view key) { return key == "reset.fernet_key"; }

namespace {

void RawValueAt(const DeviceConfig& config, std::size_t raw, ConfigValueText& out, bool reveal_secrets) {
  if (raw >= RawKeyCount()) return;
  if (raw >= kDeviceKeyCount) {
    config_detail::MeasurementValueAt(config, raw - kDeviceKeyCount, out);
    return;
  }
  kKeys[raw].get(config, out);
  if (!reveal_secrets && IsSecretConfigKey(kKeys[raw].name) && out.view() != "none") {
    out.clear();
    out.Append("(set)");
  }
}

}  // namespace

void ConfigValueAt(const DeviceConfig& config, std::size_t index, ConfigValueText& out, bool reveal_secrets) {
  RawValueAt(config, RawIndex(index), out, reveal_secrets);
}

void ForEachConfigValue(const DeviceConfig& config,
                        void (*fn)(void* context, const char* key, std::string_view value), void* context) {
  for (std::size_t raw = 0; raw < RawKeyCount(); ++raw) {
    const char* name = RawKeyName(raw);
    if (KeyLeftOut(name) != nullptr) continue;
    ConfigValueText text;
    RawValueAt(config, raw, text, /*reveal_secrets=*/true);
    fn(context, name, text.view());
  }
}

const char* TlsClientAuthName(TlsClientAuth a) {
  switch (a) {
    case TlsClientAuth::kNone: return "none";
    case TlsClientAuth::kOptional: return "optional";
    case TlsClientAuth::kRequired: return "required";
  }
  return "?";
}

const char* ResetFamiliesName(ResetFamilies f) {
  switch (f) {
    case ResetFamilies::kBoth: return "both";
    case ResetFamilies::kIpv4: return "ipv4";
    case ResetFamilies::kIpv6: return "ipv6";
    case ResetFamilies::kAlternate: return "alternate";
  }
  return "?";
}

const char* TimeSourceName(TimeSource s) {
  return s == TimeSource::kPtp ? "ptp" : s == TimeSource::kSntp ? "sntp" : "platform";
}

const char* ConfigKeyHelp(std::string_view key) {
  if (KeyLeftOut(key) != nullptr) return nullptr;
  const Key* k = FindKey(key);
  return k ? k->help : config_detail::MeasurementKeyHelp(key);
}

}  // namespace pmu::firmware
