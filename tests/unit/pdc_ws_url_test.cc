// pdc's ws:// URL parser (pdc ws; the codec is websocket_test.cc, the service end to end
// tests/system/test_websocket*.py).
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "ws_url.h"

namespace pmu {
namespace {

TEST(PdcWsUrl, Forms) {
  using pdc::ParseWsUrl;
  pdc::WsUrl u = ParseWsUrl("ws://pmu1:5006/", 5006);
  EXPECT_EQ(u.host, "pmu1");
  EXPECT_EQ(u.port, 5006u);
  EXPECT_EQ(u.path, "/");
  EXPECT_EQ(u.HostHeader(), "pmu1:5006");

  u = ParseWsUrl("pmu1", 5006);  // a bare host: ws:// and the device's port implied
  EXPECT_EQ(u.host, "pmu1");
  EXPECT_EQ(u.port, 5006u);
  EXPECT_EQ(u.path, "/");

  u = ParseWsUrl("WS://[2001:db8::2]:8080/cmd?x=1", 5006);
  EXPECT_EQ(u.host, "2001:db8::2");
  EXPECT_TRUE(u.ipv6_literal);
  EXPECT_EQ(u.port, 8080u);
  EXPECT_EQ(u.path, "/cmd?x=1");
  EXPECT_EQ(u.HostHeader(), "[2001:db8::2]:8080");

  u = ParseWsUrl("ws://[::1]", 5006);
  EXPECT_EQ(u.host, "::1");
  EXPECT_EQ(u.HostHeader(), "[::1]:5006");

  u = ParseWsUrl("ws://192.0.2.2:80?q", 5006);
  EXPECT_EQ(u.host, "192.0.2.2");
  EXPECT_EQ(u.path, "/?q");
  EXPECT_EQ(u.HostHeader(), "192.0.2.2");  // port 80 is the scheme's default: not shown
}

TEST(PdcWsUrl, RefusalsSayWhy) {
  const std::pair<const char*, const char*> bad[] = {
      {"", "empty"},
      {"wss://pmu1/", "wss://"},
      {"http://pmu1/", "scheme"},
      {"ws://pmu1/#frag", "fragment"},
      {"ws://2001:db8::2/", "brackets"},
      {"ws://[2001:db8::2/", "']'"},
      {"ws://[pmu1]/", "IPv6"},
      {"ws://pmu1:0/", "port"},
      {"ws://pmu1:65536/", "port"},
      {"ws://pmu1:http/", "port"},
      {"ws://pmu1:/", "empty port"},
      {"ws://:5006/", "no host"},
      {"ws://user@pmu1/", "@"},
      {"ws://pmu1/a b", "white space"},
  };
  for (const auto& [url, why] : bad) {
    try {
      (void)pdc::ParseWsUrl(url, 5006);
      ADD_FAILURE() << url << " accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(why), std::string::npos) << url << ": " << e.what();
    }
  }
}

}  // namespace
}  // namespace pmu
