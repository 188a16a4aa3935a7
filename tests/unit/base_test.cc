#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "pmu/base/civil_time.h"
#include "pmu/base/fixed_string.h"
#include "pmu/base/ip_address.h"
#include "pmu/base/report.h"
#include "pmu/base/result.h"
#include "pmu/base/xoshiro.h"

namespace pmu {
namespace {

// The reference implementation's first outputs from the state {1, 2, 3, 4}.
TEST(Xoshiro256, MatchesTheReferenceSequence) {
  Xoshiro256 g;
  const std::uint64_t state[4] = {1, 2, 3, 4};
  g.SetState(state);
  EXPECT_EQ(g.Next(), 11520u);
  EXPECT_EQ(g.Next(), 0u);
  EXPECT_EQ(g.Next(), 1509978240u);
  EXPECT_EQ(g.Next(), 1215971899390074240u);
}

TEST(Xoshiro256, AnAllZeroStateIsMadeUsable) {
  Xoshiro256 g;
  const std::uint64_t zero[4] = {};
  g.SetState(zero);
  std::uint64_t any = 0;
  for (int i = 0; i < 8; ++i) any |= g.Next();
  EXPECT_NE(any, 0u);
}

TEST(Ipv4, ParsesDottedQuad) {
  auto a = ParseIpv4("192.0.2.254");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->octets, (std::array<std::uint8_t, 4>{192, 0, 2, 254}));
  EXPECT_EQ(FormatIpv4(*a).view(), "192.0.2.254");
}

TEST(Ipv4, RejectsMalformed) {
  for (const char* bad : {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.04", "1..2.3", "a.b.c.d", "1.2.3.4 ",
                          " 1.2.3.4", "1.2.3.-4", "1234.1.1.1"}) {
    EXPECT_FALSE(ParseIpv4(bad).ok()) << bad;
  }
  EXPECT_EQ(ParseIpv4("300.1.1.1").status().code(), StatusCode::kOutOfRange);
}

TEST(Ipv6, ParsesTextFormsOfRfc4291) {
  struct Case {
    const char* text;
    const char* canonical;
  } cases[] = {
      {"2001:db8::2", "2001:db8::2"},
      {"2001:0DB8:0000:0000:0000:0000:0000:0002", "2001:db8::2"},
      {"::", "::"},
      {"::1", "::1"},
      {"fe80::50:4dff:fe55:1", "fe80::50:4dff:fe55:1"},
      {"1:0:0:2:0:0:0:3", "1:0:0:2::3"},        // the longer zero run is compressed
      {"1:0:0:2:0:0:3:4", "1::2:0:0:3:4"},      // a tie: the first run
      {"2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"},  // a single zero group is not compressed
      {"::ffff:192.0.2.1", "::ffff:192.0.2.1"},
      {"64:ff9b::192.0.2.33", "64:ff9b::c000:221"},
      {"1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"},
      {"ff15::1:5005", "ff15::1:5005"},
  };
  for (const Case& c : cases) {
    auto a = ParseIpv6(c.text);
    ASSERT_TRUE(a.ok()) << c.text;
    EXPECT_EQ(FormatIpv6(*a).view(), c.canonical) << c.text;
    auto again = ParseIpv6(FormatIpv6(*a).view());
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(*again, *a);
  }
}

TEST(Ipv6, RejectsMalformed) {
  for (const char* bad : {"", ":", ":::", "1::2::3", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "12345::", "g::1",
                          ":1::", "1::2:", "1:2:3:4:5:6:7:8::", "::1.2.3", "1.2.3.4::", "2001:db8::%eth0",
                          "1:2:3:4:5:6:7:1.2.3.4"}) {
    EXPECT_FALSE(ParseIpv6(bad).ok()) << bad;
  }
}

TEST(Ipv6, Classifies) {
  EXPECT_TRUE(ParseIpv6("fe80::1")->IsLinkLocal());
  EXPECT_TRUE(ParseIpv6("ff02::1")->IsMulticast());
  EXPECT_TRUE(ParseIpv6("::1")->IsLoopback());
  EXPECT_TRUE(ParseIpv6("::")->IsUnspecified());
  EXPECT_TRUE(ParseIpv6("::ffff:1.2.3.4")->IsV4Mapped());
  EXPECT_FALSE(ParseIpv6("2001:db8::2")->IsLinkLocal());
}

TEST(Mac, ParsesAndFormats) {
  auto m = ParseMac("02:50:4D:55:00:01");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(FormatMac(*m).view(), "02:50:4d:55:00:01");
  EXPECT_TRUE(ParseMac("02-50-4d-55-00-01").ok());
  EXPECT_FALSE(ParseMac("02:50:4d:55:00").ok());
  EXPECT_FALSE(ParseMac("02:50-4d:55:00:01").ok());
  EXPECT_FALSE(ParseMac("02:50:4d:55:00:0g").ok());
  EXPECT_TRUE(ParseMac("01:00:5e:00:00:01")->IsMulticast());
}

TEST(Ipv4, SubnetHelpers) {
  EXPECT_EQ(FormatIpv4(Ipv4Netmask(24)).view(), "255.255.255.0");
  EXPECT_EQ(FormatIpv4(Ipv4Netmask(0)).view(), "0.0.0.0");
  EXPECT_EQ(FormatIpv4(Ipv4Netmask(32)).view(), "255.255.255.255");
  EXPECT_TRUE(SameIpv4Subnet(*ParseIpv4("192.0.2.1"), *ParseIpv4("192.0.2.200"), 24));
  EXPECT_FALSE(SameIpv4Subnet(*ParseIpv4("192.0.2.1"), *ParseIpv4("192.0.3.1"), 24));
}

TEST(CivilTime, KnownDates) {
  EXPECT_EQ(FormatIso8601(0, 0).view(), "1970-01-01T00:00:00Z");
  // 2000-02-29 (leap day of a century leap year) 12:34:56.789
  const std::int64_t leap = UnixSecondsFromCivil(2000, 2, 29, 12, 34, 56);
  EXPECT_EQ(leap, 951827696);
  EXPECT_EQ(FormatIso8601(leap * 1'000'000'000 + 789'000'000, 3).view(), "2000-02-29T12:34:56.789Z");
  EXPECT_EQ(FormatIso8601(-1'000'000'000, 0).view(), "1969-12-31T23:59:59Z");
  EXPECT_EQ(FormatIso8601(4102444800LL * 1'000'000'000 + 5, 9).view(), "2100-01-01T00:00:00.000000005Z");
}

TEST(CivilTime, RoundTripsEveryDayFrom1805To2260) {  // more than a 400-year cycle
  for (std::int64_t day = -60000; day < 106000; ++day) {
    const CivilTime t = CivilFromUnixNs(day * 86400 * 1'000'000'000);
    ASSERT_EQ(UnixSecondsFromCivil(t.year, t.month, t.day, 0, 0, 0), day * 86400);
  }
}

TEST(FixedString, TruncatesInsteadOfOverflowing) {
  FixedString<5> s;
  s.Append("abc").Append("defg");
  EXPECT_EQ(s.view(), "abcde");
  EXPECT_TRUE(s.truncated());
  FixedString<8> f;
  f.Format("%d-%s", 42, "long text");
  EXPECT_EQ(f.view(), "42-long ");
  EXPECT_TRUE(f.truncated());
}

TEST(Result, CarriesValueOrStatus) {
  Result<int> good(7);
  EXPECT_TRUE(good.ok());
  EXPECT_EQ(*good, 7);
  Result<int> bad(OutOfRange("too big"));
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kOutOfRange);
  EXPECT_STREQ(bad.status().message(), "too big");
  EXPECT_EQ(bad.value_or(3), 3);
  Result<int> from_ok(Status::Ok());  // a bug: becomes an internal error, never a value
  EXPECT_EQ(from_ok.status().code(), StatusCode::kInternal);
}

// A part of a report with `lines` lines, counting how often it is asked.
class Part final : public StatsReporter {
 public:
  Part(const char* name, std::size_t lines) : name_(name), lines_(lines) {}
  bool StatsLine(std::size_t index, ReportLine& line) const override {
    ++asked_;
    if (index >= lines_) return false;
    line.Format("%s %zu", name_, index);
    return true;
  }
  mutable std::size_t asked_ = 0;

 private:
  const char* name_;
  std::size_t lines_;
};

std::vector<std::string> ReadAll(ReportReader& reader, std::size_t from = 0) {
  std::vector<std::string> out;
  ReportLine line;
  for (std::size_t i = from; reader.Line(i, line); ++i) out.emplace_back(line.view());
  return out;
}

TEST(ReportReader, ReadsThePartsInOrderThenTheEnd) {
  Part a("a", 2), empty("e", 0), b("b", 1);
  const StatsReporter* parts[] = {&a, &empty, &b};
  ReportReader reader(parts);
  EXPECT_EQ(ReadAll(reader), (std::vector<std::string>{"a 0", "a 1", "b 0", "end of report"}));
  // In order, each line is produced once and each part asked once past its end.
  EXPECT_EQ(a.asked_, 3u);
  EXPECT_EQ(empty.asked_, 1u);
  EXPECT_EQ(b.asked_, 2u);
  ReportLine line;
  EXPECT_FALSE(reader.Line(4, line));
  EXPECT_FALSE(reader.Line(9, line));
}

TEST(ReportReader, GoingBackStartsOver) {
  Part a("a", 3);
  const StatsReporter* parts[] = {&a};
  ReportReader reader(parts);
  ReportLine line;
  ASSERT_TRUE(reader.Line(2, line));
  EXPECT_EQ(line.view(), "a 2");
  ASSERT_TRUE(reader.Line(1, line));  // a console batch that did not fit is produced again
  EXPECT_EQ(line.view(), "a 1");
  EXPECT_EQ(ReadAll(reader, 2), (std::vector<std::string>{"a 2", "end of report"}));
}

TEST(ReportReader, AnEmptyReportIsItsEnd) {
  ReportReader reader;
  EXPECT_EQ(ReadAll(reader), (std::vector<std::string>{"end of report"}));
}

}  // namespace
}  // namespace pmu
