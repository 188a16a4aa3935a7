// The multicast bulletin channel (docs/PROTOCOL.md "Bulletin channel", UDP 5005, groups
// 224.1.1.1 and ff15::1:5005 by default).
//
// The device joins the groups (IGMP, MLD) of its enabled families, multicasts a
// human-readable bulletin of its state under its identifier every bulletin.period_s,
// and listens: each subscriber datagram is logged; one whose text is longer than
// 300 characters draws an answer in the group of the family it came on, under the
// device's identifier, naming the subscriber, the length and the limit. At most
// kAnswersPerSecond answers leave per second, so a flood of long texts cannot turn
// the device into a flood. Datagrams shorter than 6 bytes, with invalid UTF-8 or
// larger than 2048 bytes are dropped and logged.
#pragma once

#include <cstdint>

#include "pmu/base/report.h"
#include "pmu/base/fixed_string.h"
#include "pmu/base/status.h"
#include "pmu/firmware/services/service_context.h"
#include "pmu/port/timer.h"
#include "pmu/port/udp_endpoint.h"
#include "pmu/proto/bulletin.h"

namespace pmu::firmware {

struct BulletinCounters {
  std::uint32_t sent = 0;        // bulletins multicast (one per family per period)
  std::uint32_t received = 0;    // subscriber datagrams accepted
  std::uint32_t dropped = 0;     // short, bad identifier, bad UTF-8, oversized
  std::uint32_t answers = 0;     // answers to over-long texts
  std::uint32_t suppressed = 0;  // answers not sent because of the rate limit
};

using BulletinText = FixedString<400>;
// Writes the device's state (one line of text) for a bulletin.
using DescribeState = void (*)(void* context, BulletinText& text);

class BulletinService final : public StatsReporter {
 public:
  static constexpr std::uint32_t kAnswersPerSecond = 10;

  explicit BulletinService(const ServiceContext& context) : ctx_(context) {}
  Status Start(DescribeState describe, void* describe_context);
  const BulletinCounters& counters() const { return counters_; }
  bool StatsLine(std::size_t index, ReportLine& line) const override;

 private:
  static void OnDatagram(void* self, ByteSpan datagram, std::size_t size, const port::UdpPeer& from);
  static void OnTimer(void* self);
  void Handle(ByteSpan datagram, std::size_t size, const port::UdpPeer& from);
  void SendToGroups(std::string_view text, bool ipv4, bool ipv6);
  void Send(std::string_view text, const port::UdpPeer& group);

  ServiceContext ctx_;
  port::UdpEndpoint endpoint_;
  port::Timer timer_;
  std::byte datagram_[proto::kMaxBulletinDatagram + 1];
  port::UdpPeer group4_;
  port::UdpPeer group6_;
  DescribeState describe_ = nullptr;
  void* describe_context_ = nullptr;
  std::uint64_t answer_window_ms_ = 0;
  std::uint32_t answers_in_window_ = 0;
  BulletinCounters counters_;
};

}  // namespace pmu::firmware
