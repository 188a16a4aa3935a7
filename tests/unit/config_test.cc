#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "pmu/firmware/config.h"

namespace pmu::firmware {
namespace {

std::map<std::string, std::string> Show(const DeviceConfig& c) {
  std::map<std::string, std::string> out;
  ForEachConfigValue(
      c,
      [](void* ctx, const char* key, std::string_view value) {
        (*static_cast<std::map<std::string, std::string>*>(ctx))[key] = std::string(value);
      },
      &out);
  return out;
}

TEST(Config, DefaultsAreValidAndDocumented) {
  DeviceConfig c;
  EXPECT_TRUE(ValidateConfig(c).ok());
  const auto shown = Show(c);
  EXPECT_EQ(shown.at("hostname"), "pmu1");
  EXPECT_EQ(shown.at("ipv4.address"), "192.0.2.2");
  EXPECT_EQ(shown.at("ipv6.address"), "2001:db8::2");
  EXPECT_EQ(shown.at("ipv4.gateway"), "none");
  EXPECT_EQ(shown.at("command.port"), "5003");
  EXPECT_EQ(shown.at("command.short_count"), "10");
  EXPECT_EQ(shown.at("command.floodme_size"), "1048576");
  EXPECT_EQ(shown.at("log.level"), "info");
  for (const auto& [key, value] : shown) EXPECT_NE(ConfigKeyHelp(key), nullptr) << key;
}

TEST(Config, ShowThenParseRoundTrips) {
  DeviceConfig c;
  ASSERT_TRUE(SetConfigValue(c, "hostname", "feeder-7").ok());
  ASSERT_TRUE(SetConfigValue(c, "ipv4.gateway", "192.0.2.254").ok());
  ASSERT_TRUE(SetConfigValue(c, "ipv6.address", "2001:db8:0:1::42").ok());
  ASSERT_TRUE(SetConfigValue(c, "log.level", "debug").ok());
  std::string text;
  for (const auto& [k, v] : Show(c)) text += k + " = " + v + "\n";
  DeviceConfig d;
  ASSERT_TRUE(ParseConfigText(text, d).ok());
  EXPECT_EQ(Show(d), Show(c));
}

TEST(Config, SecretsAreHiddenUnlessAsked) {
  DeviceConfig c;
  ASSERT_TRUE(SetConfigValue(c, "reset.fernet_key", "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=").ok());
  std::size_t index = 0;
  while (std::string_view(ConfigKeyName(index)) != "reset.fernet_key") ++index;
  ConfigValueText shown, saved;
  ConfigValueAt(c, index, shown, false);
  ConfigValueAt(c, index, saved, true);
  EXPECT_EQ(shown.view(), "(set)");
  EXPECT_EQ(saved.view(), "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=");
  EXPECT_TRUE(IsSecretConfigKey("reset.fernet_key"));
  ASSERT_TRUE(SetConfigValue(c, "reset.fernet_key", "none").ok());
  ConfigValueText none;
  ConfigValueAt(c, index, none, false);
  EXPECT_EQ(none.view(), "none");
  EXPECT_EQ(ConfigKeyName(ConfigKeyCount()), nullptr);
}

// The console's "config show" and "config save" walk the keys by index: every key
// ForEachConfigValue gives, in its order, the c37.* and waveform.* ones included.
TEST(Config, KeysByIndexAreEveryKey) {
  DeviceConfig c;
  ASSERT_TRUE(SetConfigValue(c, "c37.station", "indexed").ok());
  std::vector<std::pair<std::string, std::string>> all;
  ForEachConfigValue(
      c,
      [](void* ctx, const char* key, std::string_view value) {
        static_cast<std::vector<std::pair<std::string, std::string>>*>(ctx)->emplace_back(key, value);
      },
      &all);
  ASSERT_EQ(ConfigKeyCount(), all.size());
  for (std::size_t i = 0; i < all.size(); ++i) {
    ASSERT_NE(ConfigKeyName(i), nullptr);
    EXPECT_EQ(ConfigKeyName(i), all[i].first);
    ConfigValueText v;
    ConfigValueAt(c, i, v, /*reveal_secrets=*/true);
    EXPECT_EQ(v.view(), all[i].second) << all[i].first;
  }
  EXPECT_EQ(ConfigKeyName(all.size()), nullptr);
}

// A value as long as the key accepts shows whole (the fuzzer found "config show"
// cutting tls.allowed_clients at 64 characters).
TEST(Config, LongestValueShowsWhole) {
  DeviceConfig c;
  std::string names;
  while (names.size() + 9 <= kMaxConfigValueChars) names += names.empty() ? "operator" : ",operator";
  ASSERT_GT(names.size(), 64u);
  ASSERT_TRUE(SetConfigValue(c, "tls.allowed_clients", names).ok());
  std::size_t index = 0;
  while (std::string_view(ConfigKeyName(index)) != "tls.allowed_clients") ++index;
  ConfigValueText shown;
  ConfigValueAt(c, index, shown, false);
  EXPECT_EQ(shown.view(), names);
  EXPECT_FALSE(SetConfigValue(c, "tls.allowed_clients", std::string(kMaxConfigValueChars + 1, 'a')).ok());
}

TEST(Config, MacFromTheLinkShowsAsHardware) {
  DeviceConfig c;
  ASSERT_TRUE(SetConfigValue(c, "mac", "hardware").ok());
  EXPECT_TRUE(c.mac_from_link);
  EXPECT_EQ(Show(c).at("mac"), "hardware");
  DeviceConfig d;
  ASSERT_TRUE(ParseConfigText("mac = hardware\n", d).ok());
  EXPECT_TRUE(d.mac_from_link);
  ASSERT_TRUE(SetConfigValue(d, "mac", "02:00:00:00:00:07").ok());
  EXPECT_FALSE(d.mac_from_link);
  EXPECT_EQ(Show(d).at("mac"), "02:00:00:00:00:07");
}

TEST(Config, TextWithCommentsAndBlankLines) {
  DeviceConfig c;
  const ConfigError e = ParseConfigText(
      "# a PMU on feeder 7\n\n  hostname = feeder7   # trailing comment\r\ncommand.short_count=3\n", c);
  ASSERT_TRUE(e.ok()) << e.reason;
  EXPECT_EQ(c.hostname.view(), "feeder7");
  EXPECT_EQ(c.short_count, 3u);
}

struct Bad {
  const char* key;
  const char* value;
};

TEST(Config, EveryBadValueNamesItsKey) {
  const Bad cases[] = {
      {"hostname", ""},           {"hostname", "-pmu"},          {"hostname", "pmu_1"},
      {"hostname", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},  // 64
      {"mac", "01:00:5e:00:00:01"}, {"mac", "00:00:00:00:00:00"}, {"mac", "zz"},
      {"ipv4.enabled", "maybe"},  {"ipv4.address", "127.0.0.1"}, {"ipv4.address", "224.1.1.1"},
      {"ipv4.address", "0.1.2.3"}, {"ipv4.address", "1.2.3"},    {"ipv4.prefix", "0"},
      {"ipv4.prefix", "31"},      {"ipv4.prefix", "x"},          {"ipv4.gateway", "1.2.3.4.5"},
      {"ipv6.address", "fe80::1"}, {"ipv6.address", "ff02::1"},  {"ipv6.address", "::1"},
      {"ipv6.address", "::ffff:1.2.3.4"}, {"ipv6.prefix", "48"}, {"sink.port", "0"},
      {"echo.port", "65536"},     {"command.max_clients", "9"},  {"command.max_clients", "0"},
      {"echo.max_clients", "-1"}, {"command.short_count", "0"},  {"command.floodme_size", "0"},
      {"command.floodme_max", "99999999999999999999999"},        {"tcp.idle_timeout_s", "0"},
      {"log.level", "verbose"},
      {"tls.client_auth", "sometimes"}, {"tls.max_sessions", "0"}, {"tls.max_sessions", "4"},
      {"tls.allowed_clients", "caf\xc3\xa9"}, {"reset.fernet_key", "short"},
      {"reset.fernet_key", "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4"},  // unpadded
      {"reset.fernet_ttl_s", "0"}, {"console.port", "0"},
  };
  for (const Bad& b : cases) {
    DeviceConfig c;
    const ConfigError e = SetConfigValue(c, b.key, b.value);
    ASSERT_FALSE(e.ok()) << b.key << " = " << b.value;
    ASSERT_NE(e.key, nullptr);
    EXPECT_STREQ(e.key, b.key);
    EXPECT_NE(e.reason, nullptr);
  }
}

TEST(ConfigProfile, KeysOfServicesLeftOutSayWhichAndNameTheProfile) {
  // This image (the simulator's) has every service.
  for (const char* key : {"ws.port", "bulletin.period_s", "comtrade.file", "scenario.bus", "tls.port",
                          "console.port", "echo.port"}) {
    EXPECT_EQ(KeyLeftOut(key), nullptr) << key;
  }
  // An image without any of them: each key is refused for its own service, naming the
  // profile; the others' are not.
  const struct {
    const char* key;
    const char* service;
  } cases[] = {{"ws.port", "the WebSocket service"},
               {"ws.max_message", "the WebSocket service"},
               {"bulletin.period_s", "the bulletin channel"},
               {"comtrade.file", "COMTRADE and scenario playback"},
               {"scenario.bus", "COMTRADE and scenario playback"},
               {"tls.client_auth", "the TLS services"},
               {"console.port", "the TLS services"}};
  for (const auto& c : cases) {
    const char* why = KeyLeftOut(c.key, 0);
    ASSERT_NE(why, nullptr) << c.key;
    EXPECT_NE(std::string(why).find(c.service), std::string::npos) << why;
    EXPECT_NE(std::string(why).find("profile 'sim'"), std::string::npos) << why;
  }
  for (const char* key : {"echo.port", "c37.rate", "analog.source", "wsx", "tlsx", "consolex.port"}) {
    EXPECT_EQ(KeyLeftOut(key, 0), nullptr) << key;
  }
  // The error says why, without the key's help: no value would do.
  const ConfigError refused{"ws.port", KeyLeftOut("ws.port", 0), 0, "5006"};
  EXPECT_EQ(std::string(DescribeConfigError(refused).c_str()),
            std::string("ws.port = '5006': ") + KeyLeftOut("ws.port", 0));
  // Only the services missing count.
  EXPECT_EQ(KeyLeftOut("ws.port", ServiceBit(OptionalService::kWebSocket)), nullptr);
  EXPECT_NE(KeyLeftOut("bulletin.port", ServiceBit(OptionalService::kWebSocket)), nullptr);
}

TEST(ConfigProfile, LimitsAreTheTargetsInRangesAndHelp) {
  DeviceConfig c;
  EXPECT_EQ(c.echo_max_clients, kMaxEchoSessions);
  EXPECT_EQ(c.ws_max_clients, kMaxWebSocketSessions);
  EXPECT_EQ(c.c37.max_clients, kMaxC37Sessions);
  const std::string over = std::to_string(kMaxCommandSessions + 1);
  EXPECT_FALSE(SetConfigValue(c, "command.max_clients", over).ok());
  EXPECT_TRUE(SetConfigValue(c, "command.max_clients", std::to_string(kMaxCommandSessions)).ok());
  EXPECT_NE(std::string(ConfigKeyHelp("command.max_clients")).find("1 to " + std::to_string(kMaxCommandSessions)),
            std::string::npos);
  EXPECT_NE(std::string(ConfigKeyHelp("c37.max_clients")).find("1 to " + std::to_string(kMaxC37Sessions)),
            std::string::npos);
}

TEST(Config, UnknownKeyAndSyntax) {
  DeviceConfig c;
  ConfigError e = SetConfigValue(c, "ipv4.adress", "1.2.3.4");
  EXPECT_EQ(e.key, nullptr);
  EXPECT_STREQ(e.reason, "unknown key");
  e = ParseConfigText("hostname = a\nnot a setting\n", c);
  EXPECT_EQ(e.line, 2u);
  EXPECT_STREQ(e.reason, "expected 'key = value'");
  e = ParseConfigText("hostname = a\n\nipv4.prefix = 40\n", c);
  EXPECT_EQ(e.line, 3u);
  EXPECT_STREQ(e.key, "ipv4.prefix");
}

TEST(Config, CrossFieldRules) {
  struct Case {
    std::vector<std::pair<const char*, const char*>> sets;
    const char* key;
  } cases[] = {
      {{{"ipv4.enabled", "false"}, {"ipv6.enabled", "no"}}, "ipv4.enabled"},
      {{{"ipv4.address", "192.0.2.0"}}, "ipv4.address"},
      {{{"ipv4.address", "192.0.2.255"}}, "ipv4.address"},
      {{{"ipv4.gateway", "198.51.100.1"}}, "ipv4.gateway"},
      {{{"ipv4.gateway", "192.0.2.2"}}, "ipv4.gateway"},
      {{{"command.port", "5002"}}, "command.port"},
      {{{"tls.port", "5003"}}, "tls.port"},
      {{{"console.port", "5007"}}, "console.port"},
      {{{"command.floodme_max", "1000"}}, "command.floodme_size"},
  };
  for (const Case& c : cases) {
    DeviceConfig d;
    for (const auto& [k, v] : c.sets) ASSERT_TRUE(SetConfigValue(d, k, v).ok()) << k;
    const ConfigError e = ValidateConfig(d);
    ASSERT_FALSE(e.ok()) << c.key;
    EXPECT_STREQ(e.key, c.key);
  }
  // The UDP sink and the TCP echo may share a number: different transports.
  DeviceConfig ok;
  ASSERT_TRUE(SetConfigValue(ok, "sink.port", "5002").ok());
  EXPECT_TRUE(ValidateConfig(ok).ok());
  // IPv4 off: its address rules do not apply.
  DeviceConfig v6only;
  ASSERT_TRUE(SetConfigValue(v6only, "ipv4.enabled", "false").ok());
  ASSERT_TRUE(SetConfigValue(v6only, "ipv4.gateway", "198.51.100.1").ok());
  EXPECT_TRUE(ValidateConfig(v6only).ok());
}

// The ws.* block (the WebSocket service end to end is tests/system/test_websocket*.py).
TEST(WebSocketConfig, DefaultsAndRanges) {
  DeviceConfig c;
  EXPECT_EQ(c.ws_port, 5006);
  EXPECT_EQ(c.ws_max_clients, firmware::kMaxWebSocketSessions);
  EXPECT_EQ(c.ws_max_message, 1024u);
  EXPECT_EQ(c.ws_handshake_timeout_s, 10u);
  EXPECT_TRUE(ValidateConfig(c).ok());
  for (const char* key : {"ws.port", "ws.max_clients", "ws.max_message", "ws.handshake_timeout_s"}) {
    EXPECT_NE(firmware::ConfigKeyHelp(key), nullptr) << key;
  }
  const std::pair<const char*, const char*> bad[] = {
      {"ws.port", "0"},           {"ws.port", "65536"},         {"ws.max_clients", "0"},
      {"ws.max_clients", "9"},    {"ws.max_message", "15"},     {"ws.max_message", "1048577"},
      {"ws.handshake_timeout_s", "0"}, {"ws.handshake_timeout_s", "3601"}, {"ws.max_message", "1k"},
  };
  for (const auto& [key, value] : bad) {
    DeviceConfig d;
    const ConfigError e = SetConfigValue(d, key, value);
    ASSERT_FALSE(e.ok()) << key << " = " << value;
    EXPECT_STREQ(e.key, key);
  }
  DeviceConfig d;
  ASSERT_TRUE(SetConfigValue(d, "ws.max_message", "1048576").ok());
  ASSERT_TRUE(SetConfigValue(d, "ws.max_clients", "1").ok());
  EXPECT_EQ(d.ws_max_message, 1u << 20);
}

TEST(WebSocketConfig, PortMustNotClashWithTheOtherTcpServices) {
  for (const char* port : {"5002", "5003"}) {
    DeviceConfig c;
    ASSERT_TRUE(SetConfigValue(c, "ws.port", port).ok());
    const ConfigError e = ValidateConfig(c);
    ASSERT_FALSE(e.ok()) << port;
    EXPECT_STREQ(e.key, "ws.port");
  }
  // UDP ports are another space.
  DeviceConfig c;
  ASSERT_TRUE(SetConfigValue(c, "ws.port", "5001").ok());
  EXPECT_TRUE(ValidateConfig(c).ok());
}

}  // namespace
}  // namespace pmu::firmware

namespace pmu::firmware {
namespace {

TEST(Config, TimeKeys) {
  DeviceConfig c;
  EXPECT_EQ(c.time_source, TimeSource::kPtp);
  ASSERT_TRUE(ParseConfigText("time.source = platform\nptp.domain = 24\ntime.holdover_ppb = 50\n"
                              "sim.clock_offset_us = -1000000\nsim.clock_drift_ppb = random\n",
                              c)
                  .ok());
  EXPECT_EQ(c.time_source, TimeSource::kPlatform);
  EXPECT_EQ(c.ptp_domain, 24);
  EXPECT_EQ(c.time_holdover_ppb, 50u);
  EXPECT_EQ(c.sim_clock_offset_us.value, -1'000'000);
  EXPECT_FALSE(c.sim_clock_offset_us.random);
  EXPECT_TRUE(c.sim_clock_drift_ppb.random);
  const ConfigError bad = ParseConfigText("sim.clock_drift_ppb = 100001\n", c);
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(std::string(DescribeConfigError(bad).c_str()).find("sim.clock_drift_ppb"), 0u);
  EXPECT_FALSE(ParseConfigText("time.source = gps\n", c).ok());
  EXPECT_FALSE(ParseConfigText("sim.clock_offset_us = -\n", c).ok());
  // The default profile's domains, and C37.238-2017's; not the rest 1588 reserves.
  ASSERT_TRUE(ParseConfigText("ptp.domain = 254\n", c).ok());
  EXPECT_EQ(c.ptp_domain, 254);
  EXPECT_FALSE(ParseConfigText("ptp.domain = 128\n", c).ok());
  EXPECT_FALSE(ParseConfigText("ptp.domain = 253\n", c).ok());
  EXPECT_FALSE(ParseConfigText("ptp.domain = 255\n", c).ok());
  // The PTP slave holds 319 and 320.
  DeviceConfig p;
  p.sink_port = 319;
  EXPECT_FALSE(ValidateConfig(p).ok());
  p.time_source = TimeSource::kPlatform;
  EXPECT_TRUE(ValidateConfig(p).ok());
}

}  // namespace
}  // namespace pmu::firmware
