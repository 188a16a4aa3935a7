// The device configuration: one validated structure, so every key is checked in one
// place whatever its source. The simulator
// reads it from a text file and --set flags; the board from its storage; the console
// (later) shows and sets it. The text form is one "key = value" per line, '#' starts
// a comment. Every key is listed in docs/CONFIGURATION.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "pmu/base/fixed_string.h"
#include "pmu/base/ip_address.h"
#include "pmu/firmware/config_value.h"
#include "pmu/firmware/log.h"
#include "pmu/firmware/measurement/measurement_config.h"
#include "pmu/firmware/profile.h"

namespace pmu::firmware {

// Compile-time capacities: the target's, in its pmu_target_config.h (a board's profile;
// the lwIP pools and the TLS arena are sized for them there); the run-time limits in
// DeviceConfig may only lower them.
inline constexpr std::uint8_t kMaxEchoSessions = PMU_MAX_ECHO_SESSIONS;
inline constexpr std::uint8_t kMaxCommandSessions = PMU_MAX_COMMAND_SESSIONS;
inline constexpr std::uint8_t kMaxWebSocketSessions = PMU_MAX_WEBSOCKET_SESSIONS;

inline constexpr std::uint8_t kMaxTlsSessions = PMU_MAX_TLS_SESSIONS;
static_assert(kMaxTlsSessions >= 2, "one TLS session for the console and at least one for the command service");

// Client authentication of the TLS command service (the console always requires it).
enum class TlsClientAuth : std::uint8_t { kNone, kOptional, kRequired };
const char* TlsClientAuthName(TlsClientAuth a);  // "none", "optional", "required"

// Which families the clock reset service answers on (docs/PROTOCOL.md).
enum class ResetFamilies : std::uint8_t { kBoth, kIpv4, kIpv6, kAlternate };
const char* ResetFamiliesName(ResetFamilies f);  // "both", "ipv4", "ipv6", "alternate"

// Where the device's time comes from (docs/PROTOCOL.md "Time: PTP slave").
enum class TimeSource : std::uint8_t {
  kPtp,       // the PTP slave disciplines the clock; unsynchronised until it locks
  kPlatform,  // the platform's clock is trusted as the reference (the simulator without a clock error)
  kSntp,      // the SNTP client disciplines the clock from sntp.server; unsynchronised until it locks
};
const char* TimeSourceName(TimeSource s);  // "ptp", "platform", "sntp"

// A simulated clock error (the simulator's oscillator; a board ignores it): a fixed
// value or one drawn at start from the random source (--seed makes it reproducible).
struct SimClockError {
  bool random = false;
  std::int64_t value = 0;
};

// The device's keys, and (inherited) the synchrophasor stream and the measurement
// (c37.*), the simulated power system (waveform.*) and what a front end plays
// (analog.source, comtrade.*, scenario.*): measurement_config.h.
struct DeviceConfig : MeasurementConfig {
  FixedString<63> hostname{std::string_view("pmu1")};
  MacAddress mac{{0x02, 0x50, 0x4D, 0x55, 0x00, 0x01}};
  // "mac = hardware": use the link's own address (a board's MAC EEPROM) instead of
  // `mac`; a link that has none keeps `mac`.
  bool mac_from_link = false;

  bool ipv4_enabled = true;
  Ipv4Address ipv4{{192, 0, 2, 2}};
  std::uint8_t ipv4_prefix = 24;
  bool has_ipv4_gateway = false;
  Ipv4Address ipv4_gateway;

  bool ipv6_enabled = true;
  Ipv6Address ipv6{{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02}};
  std::uint8_t ipv6_prefix = 64;

  std::uint16_t sink_port = 5001;
  std::uint16_t echo_port = 5002;
  std::uint16_t command_port = 5003;

  std::uint8_t echo_max_clients = kMaxEchoSessions;
  std::uint8_t command_max_clients = kMaxCommandSessions;
  std::uint32_t short_count = 10;
  std::uint64_t floodme_size = 1u << 20;
  std::uint64_t floodme_max = 1ull << 30;
  std::uint32_t idle_timeout_s = 30;   // a session waiting for its client
  std::uint32_t stall_timeout_s = 10;  // a peer acknowledging nothing while data waits

  std::uint16_t reset_port = 5004;
  std::uint32_t reset_loss_ppm = 600'000;  // probability of discarding a request, in 1e-6
  ResetFamilies reset_families = ResetFamilies::kBoth;
  std::uint32_t reset_alternate_s = 10;    // period of the alternate mode

  FixedString<44> reset_fernet_key;        // URL-safe base64 of 32 bytes; empty: no Fernet
  std::uint32_t reset_fernet_ttl_s = 60;
  std::uint16_t reset_max_rate = 20;            // new requests that may move the clock, a second
  std::uint32_t reset_max_offset_s = 2'592'000;  // the most the resets may move the clock since boot: 30 days

  std::uint16_t tls_port = 5007;
  std::uint16_t console_port = 5008;
  TlsClientAuth tls_client_auth = TlsClientAuth::kNone;
  FixedString<kMaxConfigValueChars> tls_allowed_clients{std::string_view("operator1")};  // certificate common names
  std::uint8_t tls_max_sessions = kMaxTlsSessions;  // all TLS services together; one kept for the console
  std::uint32_t tls_handshake_timeout_s = 10;

  std::uint16_t bulletin_port = 5005;
  FixedString<6> bulletin_id{std::string_view("PMU001")};
  Ipv4Address bulletin_group4{{224, 1, 1, 1}};
  Ipv6Address bulletin_group6{{0xff, 0x15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x50, 0x05}};
  std::uint32_t bulletin_period_s = 5;
  std::uint8_t bulletin_ttl = 1;           // multicast TTL / hop limit: stays on the link

  // WebSocket command service (TCP 5006).
  std::uint16_t ws_port = 5006;
  std::uint8_t ws_max_clients = kMaxWebSocketSessions;
  std::uint32_t ws_max_message = 1024;        // larger client messages: close 1009
  std::uint32_t ws_handshake_timeout_s = 10;  // to finish the HTTP upgrade

  LogLevel log_level = LogLevel::kInfo;

  TimeSource time_source = TimeSource::kPtp;
  std::uint32_t time_holdover_ppb = 1000;  // the oscillator's stated stability in holdover
  std::uint8_t ptp_domain = 0;
  bool ptp_ethernet = false;    // ptp.transport: udp4 or l2
  bool ptp_peer_delay = false;  // ptp.delay: e2e or p2p
  // The SNTP client's server (time.source = sntp): an IPv4 or IPv6 address, and how
  // often it is asked.
  bool has_sntp_server = false;
  bool sntp_server_v6 = false;
  Ipv4Address sntp_server4;
  Ipv6Address sntp_server6;
  std::uint32_t sntp_poll_s = 16;
  // The simulator's oscillator: offset of its UTC at boot (us, at most 1 s) and its
  // frequency error (ppb, at most 100 ppm).
  SimClockError sim_clock_offset_us;
  SimClockError sim_clock_drift_ppb;
};

// "ipv4.prefix = '40': out of range (expected 1 to 30)", "unknown key: 'colour'",
// "ipv4.enabled: IPv4 and IPv6 are both disabled": the error without its origin.
FixedString<240> DescribeConfigError(const ConfigError& error);

// Sets one key from its text value.
ConfigError SetConfigValue(DeviceConfig& config, std::string_view key, std::string_view value);

// Applies every "key = value" line of `text` in order; stops at the first error.
ConfigError ParseConfigText(std::string_view text, DeviceConfig& config);

// Checks the rules between fields (distinct ports, gateway on-link, at least one
// address family ...). Every single value was already range-checked when it was set.
ConfigError ValidateConfig(const DeviceConfig& config);

// Keys by index, in the documented order (for "config show" and for saving the
// configuration as text): name, and the value's text. Secret values (the Fernet key)
// show as "(set)" unless `reveal_secrets`.
std::size_t ConfigKeyCount();
const char* ConfigKeyName(std::size_t index);
void ConfigValueAt(const DeviceConfig& config, std::size_t index, ConfigValueText& out, bool reveal_secrets);
bool IsSecretConfigKey(std::string_view key);

// Calls fn(key, value_text) for every key, in the documented order (for "config show"
// and for saving the configuration as text). Secrets are included as they are.
void ForEachConfigValue(const DeviceConfig& config,
                        void (*fn)(void* context, const char* key, std::string_view value),
                        void* context);

// A one-line description of each key's allowed values, or nullptr for an unknown key.
const char* ConfigKeyHelp(std::string_view key);

}  // namespace pmu::firmware
