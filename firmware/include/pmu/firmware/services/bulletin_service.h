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

#include "lwip/netif.h"
#include "lwip/udp.h"
#include "pmu/base/fixed_string.h"
#include "pmu/base/status.h"
#include "pmu/firmware/services/service_context.h"

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

class BulletinService {
 public:
  static constexpr std::uint32_t kAnswersPerSecond = 10;

  explicit BulletinService(const ServiceContext& context) : ctx_(context) {}
  ~BulletinService();
  Status Start(netif* nif, DescribeState describe, void* describe_context);
  const BulletinCounters& counters() const { return counters_; }

 private:
  static void OnRecv(void* arg, udp_pcb* pcb, pbuf* p, const ip_addr_t* addr, u16_t port);
  static void OnTimer(void* arg);
  void SendToGroups(std::string_view text, bool ipv4, bool ipv6);
  void Send(std::string_view text, const ip_addr_t& group);

  ServiceContext ctx_;
  netif* netif_ = nullptr;
  udp_pcb* pcb_ = nullptr;
  ip_addr_t group4_{};
  ip_addr_t group6_{};
  DescribeState describe_ = nullptr;
  void* describe_context_ = nullptr;
  bool timer_armed_ = false;
  std::uint64_t answer_window_ms_ = 0;
  std::uint32_t answers_in_window_ = 0;
  BulletinCounters counters_;
};

}  // namespace pmu::firmware
