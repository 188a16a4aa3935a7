// pdc's live view (pdc/view): what a phasor is for the diagram, the page's messages,
// its one command, and the feed between the reader's thread and the web thread.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "test_json.h"
#include "view/feed.h"
#include "view/messages.h"

namespace pmu::pdc::view {
namespace {

using test::Json;
using test::JsonReader;

Json Parse(const std::string& text) {
  Json j;
  std::string error;
  EXPECT_TRUE(JsonReader(text).Read(j, error)) << error << ": " << text;
  return j;
}

SourceConfig MakeConfig(p::FrameType type, std::vector<const char*> names, std::uint16_t idcode = 3) {
  SourceConfig out;
  out.frame = std::make_unique<p::ConfigFrame>();
  p::ConfigFrame& c = *out.frame;
  c.type = type;
  c.idcode = idcode;
  c.pmu_count = 1;
  c.data_rate = 60;
  p::PmuConfig& m = c.pmus[0];
  m.station_name = "bay 3";
  m.idcode = idcode;
  m.format = {true, true, true, true};
  m.phasor_count = static_cast<std::uint16_t>(names.size());
  for (std::size_t k = 0; k < names.size(); ++k) {
    m.phasor_names[k] = names[k];
    const bool current = names[k][0] == 'I';
    m.phasor_units[k] = {current ? p::PhasorKind::kCurrent : p::PhasorKind::kVoltage, 0};
    m.phasor_scales[k].type = static_cast<std::uint8_t>((current ? 0x08 : 0) | (k == 0 ? 1 : 4));
  }
  m.config_count = 5;
  out.bytes.resize(4096);
  const auto n = p::EncodeConfig(c, out.bytes);
  EXPECT_TRUE(n.ok()) << n.status().message();
  out.bytes.resize(n.value_or(0));
  EXPECT_TRUE(p::DecodeConfig(ByteSpan(out.bytes), c).ok());
  return out;
}

TEST(ViewRoles, FromNamesInCfg2AndFromPhscaleInCfg3) {
  const SourceConfig c2 = MakeConfig(p::FrameType::kConfig2, {"VA", "V_B", "VCN", "V1", "IA", "I+", "VPOS", "VX"});
  const char* want[][2] = {{"V", "a"}, {"V", "b"}, {"V", "c"}, {"V", "pos"}, {"I", "a"}, {"I", "pos"}, {"V", "pos"}, {"V", ""}};
  for (std::size_t k = 0; k < 8; ++k) {
    const PhasorRole r = RolePhasor(*c2.frame, 0, k);
    EXPECT_EQ(std::string(1, r.quantity), want[k][0]) << k;
    EXPECT_EQ(r.component, want[k][1]) << k;
  }
  // CFG-3 says it itself: phasor 0 is the positive sequence, the others phase A.
  const SourceConfig c3 = MakeConfig(p::FrameType::kConfig3, {"BUS", "LINE"});
  EXPECT_EQ(RolePhasor(*c3.frame, 0, 0).component, "pos");
  EXPECT_EQ(RolePhasor(*c3.frame, 0, 1).component, "a");
}

TEST(ViewMessages, ConfigNamesEverySourceKnownOrNot) {
  std::vector<SourceConfig> configs;
  configs.push_back(MakeConfig(p::FrameType::kConfig2, {"VA", "I1"}));
  configs.emplace_back();
  const std::vector<observe::Source> sources = {{"pmu1:4712", 3}, {"pmu2:4712", 9}};
  const Json j = Parse(ConfigMessage(sources, configs, 60));
  EXPECT_EQ(j["type"].text, "config");
  EXPECT_EQ(j["rate"].number, 60);
  ASSERT_EQ(j["pmus"].items.size(), 2u);
  const Json& a = j["pmus"].items[0];
  EXPECT_EQ(a["known"].number, 1);
  EXPECT_EQ(a["station"].text, "bay 3");
  EXPECT_EQ(a["cfgcnt"].number, 5);
  EXPECT_EQ(a["phasors"].items[1]["name"].text, "I1");
  EXPECT_EQ(a["phasors"].items[1]["unit"].text, "A");
  EXPECT_EQ(a["phasors"].items[1]["role"].text, "pos");
  const Json& b = j["pmus"].items[1];
  EXPECT_EQ(b["known"].number, 0);
  EXPECT_EQ(b["idcode"].number, 9);
  EXPECT_EQ(b["label"].text, "pmu2:4712");
}

TEST(ViewMessages, StatusStates) {
  std::vector<SourceConfig> configs;
  for (int i = 0; i < 4; ++i) configs.push_back(MakeConfig(p::FrameType::kConfig2, {"VA"}));
  configs.emplace_back();
  std::vector<SourceStatus> s(5);
  s[0].age_ms = 20;
  s[1].age_ms = StaleAfterMs(60) + 1;
  s[2].age_ms = 20;
  s[2].link_down = true;
  s[2].error = "the PMU closed the connection";
  s[3].age_ms = -1;
  s[0].counters.missing = 7;
  const Json j = Parse(StatusMessage(s, configs, 60, 123, 456));
  const char* want[] = {"streaming", "stale", "down", "waiting", "connecting"};
  for (std::size_t i = 0; i < 5; ++i) EXPECT_EQ(j["pmus"].items[i]["state"].text, want[i]) << i;
  EXPECT_EQ(j["pmus"].items[0]["missing"].number, 7);
  EXPECT_EQ(j["pmus"].items[2]["error"].text, "the PMU closed the connection");
  EXPECT_EQ(j["sets"].number, 123);
  EXPECT_EQ(StaleAfterMs(60), 500);
  EXPECT_EQ(StaleAfterMs(1), 3000);  // three reports at 1 frame/s
}

TEST(ViewMessages, SetsDecodedAndDecimatedByKey) {
  const SourceConfig c = MakeConfig(p::FrameType::kConfig2, {"VA", "V1"});
  p::DataFrame d;
  d.idcode = 3;
  d.pmu_count = 1;
  d.pmus[0].stat = 0x2000;
  d.pmus[0].phasors[0] = {100.0f, 0.5f};
  d.pmus[0].phasors[1] = {NAN, NAN};
  d.pmus[0].frequency = 59.987654f;
  d.pmus[0].rocof = -0.125f;
  std::vector<std::byte> bytes(256);
  bytes.resize(*p::EncodeData(d, *c.frame, bytes));
  p::DataFrame scratch;
  SetValues::Pmu m;
  ASSERT_TRUE(DecodeForView(0, bytes, c, scratch, m));
  EXPECT_NEAR(m.phasors[1], 28.6478897, 1e-4);  // degrees
  std::vector<SetValues> sets(4);
  for (int k = 0; k < 4; ++k) {
    sets[k].key = 60 * 1000 + k;
    sets[k].time_us = 1000LL * 1'000'000 + k * 16667;
    sets[k].pmus.push_back(m);
  }
  const Json all = Parse(SetsMessage(sets, 1));
  ASSERT_EQ(all["sets"].items.size(), 4u);
  const Json& e = all["sets"].items[1]["p"].items[0];
  EXPECT_EQ(all["sets"].items[1]["t"].number, 1000.0 * 1e6 + 16667);
  EXPECT_EQ(e.items[1].number, 0x2000);
  EXPECT_EQ(e.items[2].number, 59.987656);  // the float as pdc c37 stream prints it (%.6f)
  EXPECT_EQ(e.items[4].items[2].kind, Json::Kind::kNull);  // missing phasor
  const Json half = Parse(SetsMessage(sets, 2));
  ASSERT_EQ(half["sets"].items.size(), 2u);
  EXPECT_EQ(half["sets"].items[1]["t"].number, 1000.0 * 1e6 + 2 * 16667);
  // A frame of another layout does not decode.
  EXPECT_FALSE(DecodeForView(0, std::span<const std::byte>(bytes).first(bytes.size() - 4), c, scratch, m));
}

TEST(ViewCommand, DecimateOnly) {
  EXPECT_EQ(ParseClientCommand("decimate 1").decimate, 1u);
  EXPECT_EQ(ParseClientCommand("decimate 600").decimate, 600u);
  const std::pair<const char*, const char*> bad[] = {
      {"decimate 0", "1 to 600"}, {"decimate 601", "1 to 600"}, {"decimate x", "whole number"},
      {"decimate 5 ", "whole number"}, {"decimate 05", "whole number"}, {"decimate ", "whole number"}, {"zoom 2", "unknown command"}, {"", "unknown"}};
  for (const auto& [text, why] : bad) {
    try {
      ParseClientCommand(text);
      FAIL() << text;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(why), std::string::npos) << text << ": " << e.what();
    }
  }
}

TEST(ViewFeed, CopiesSetsOnlyWhileAPageIsOpen) {
  Feed feed(2);
  const std::byte frame[20] = {};
  const std::span<const std::byte> frames[2] = {std::span<const std::byte>(frame), {}};
  const c37::AlignedSet set{77, false, 1, frames};
  feed.Set(set, 30);
  Feed::Taken t;
  feed.Take(0, t);
  EXPECT_TRUE(t.sets.empty());
  EXPECT_EQ(t.sets_total, 0u);
  feed.SetViewers(1);
  feed.Set(set, 30);
  feed.Take(0, t);
  ASSERT_EQ(t.sets.size(), sizeof(Feed::SetHeader) + sizeof(Feed::SourceHeader) + 24);
  Feed::SetHeader h;
  std::memcpy(&h, t.sets.data(), sizeof(h));
  EXPECT_EQ(h.key, 77);
  EXPECT_EQ(h.present, 1u);
  feed.Take(0, t);
  EXPECT_TRUE(t.sets.empty());  // taken once
}

TEST(ViewFeed, AConfigurationReadAgainIsNoNews) {
  Feed feed(1);
  SourceConfig c = MakeConfig(p::FrameType::kConfig2, {"VA"});
  feed.Config(0, c.bytes);
  Feed::Taken t;
  feed.Take(0, t);
  EXPECT_EQ(t.config_version, 1u);
  ASSERT_EQ(t.configs.size(), 1u);
  EXPECT_EQ(t.configs[0], c.bytes);
  // The same configuration with another SOC (and so CHK): no new version.
  std::vector<std::byte> again = c.bytes;
  again[9] = std::byte{0x42};
  feed.Config(0, again);
  feed.Take(1, t);
  EXPECT_EQ(t.config_version, 1u);
  SourceConfig changed = MakeConfig(p::FrameType::kConfig2, {"VB"});
  feed.Config(0, changed.bytes);
  feed.Take(1, t);
  EXPECT_EQ(t.config_version, 2u);
}

TEST(ViewFeed, AgesAndLinkFailures) {
  Feed feed(1);
  Feed::Taken t;
  feed.Take(0, t);
  EXPECT_EQ(t.last_data_ns[0], -1);
  feed.Data(0, 5'000);
  feed.LinkDown(0, "connect: refused", 9'000);
  feed.Take(0, t);
  EXPECT_EQ(t.last_data_ns[0], 5'000);
  EXPECT_EQ(t.link_down_ns[0], 9'000);
  EXPECT_EQ(t.errors[0], "connect: refused");
}

}  // namespace
}  // namespace pmu::pdc::view
