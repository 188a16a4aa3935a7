// The PTP slave on the link (docs/PROTOCOL.md "Time: PTP slave"): UDP/IPv4 event port
// 319 and general port 320, joined to 224.0.1.129 (and 224.0.0.107 for peer delay), or
// Ethernet frames of EtherType 0x88F7 to 01-1B-19-00-00-00 (and 01-80-C2-00-00-0E for
// peer delay), as the power profile (IEEE C37.238) carries them. It reads the masters'
// messages, hands them with their link time stamps (port::UdpEndpoint or
// port::EthernetEndpoint, taken by the link glue) to the state machine
// (time/ptp_slave.h), and sends what that asks for: its Delay_Req or Pdelay_Req, and
// its answers to a neighbour's Pdelay_Req.
//
// Context: main loop only.
#pragma once

#include <cstddef>
#include <cstdint>

#include "pmu/base/ip_address.h"
#include "pmu/base/report.h"
#include "pmu/base/status.h"
#include "pmu/firmware/services/service_context.h"
#include "pmu/firmware/time/ptp_slave.h"
#if PMU_WITH_PTP_L2
#include "pmu/port/ethernet_endpoint.h"
#endif
#include "pmu/port/timer.h"
#include "pmu/port/udp_endpoint.h"
#include "pmu/proto/ptp.h"
#include "pmu/firmware/profile.h"

namespace pmu::firmware {

struct PtpSettings {
  std::uint8_t domain = 0;
  bool ethernet = false;  // layer 2 instead of UDP/IPv4 (only where PMU_WITH_PTP_L2)
  DelayMechanism delay = DelayMechanism::kEndToEnd;
};

class PtpService final : public StatsReporter {
 public:
  explicit PtpService(const ServiceContext& context) : ctx_(context), slave_(context.clock) {}
  // Opens both ports and joins the groups (or the Ethernet endpoint); the clock
  // identity is the EUI-64 of `mac`.
  Status Start(const PtpSettings& settings, const MacAddress& mac, std::uint32_t stamp_uncertainty_ns);
  const PtpSlave& slave() const { return slave_; }
  bool StatsLine(std::size_t index, ReportLine& line) const override;

 private:
  static void OnDatagram(void* self, ByteSpan datagram, std::size_t size, const port::UdpPeer& from);
  static void OnFrame(void* self, ByteSpan payload, std::size_t size, const MacAddress& from);
  static void OnTick(void* self);
  void Handle(ByteSpan datagram, std::size_t size, std::uint64_t rx_ns);
  void SendDelayReq();
  void AnswerPeerDelay();
  // Sends a message on the event or general port (UDP) to the masters' group or the
  // peer delay one; returns its link time stamp, 0 when it was not sent at once.
  std::uint64_t Send(ByteSpan message, bool event, bool peer);
  // Logs what changed in the slave (state, master) since the last call.
  void FollowState();

  ServiceContext ctx_;
  PtpSlave slave_;
  port::UdpEndpoint event_;
  port::UdpEndpoint general_;
#if PMU_WITH_PTP_L2
  port::EthernetEndpoint ethernet_;
#endif
  bool l2_ = false;
  port::Timer tick_;
  // Both endpoints receive into one buffer: each datagram is handled before the next
  // one is copied (main loop only).
  std::byte buffer_[proto::ptp::kMaxMessage];
  PtpState logged_state_ = PtpState::kListening;
  proto::ptp::PortIdentity logged_master_;
  std::uint32_t send_failures_ = 0;
  bool started_ = false;  // the statistics report has no PTP lines when another source keeps the time
};

}  // namespace pmu::firmware
