// The PTP slave on the link (docs/PROTOCOL.md "Time: PTP slave"): UDP/IPv4 event port
// 319 and general port 320, joined to 224.0.1.129. It reads the masters' messages,
// hands them with their link time stamps (port::UdpEndpoint, taken by the link glue)
// to the state machine (time/ptp_slave.h), and sends its Delay_Req to the group.
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
#include "pmu/port/timer.h"
#include "pmu/port/udp_endpoint.h"
#include "pmu/proto/ptp.h"

namespace pmu::firmware {

class PtpService final : public StatsReporter {
 public:
  explicit PtpService(const ServiceContext& context) : ctx_(context), slave_(context.clock) {}
  // Opens both ports and joins the group; the clock identity is the EUI-64 of `mac`.
  Status Start(std::uint8_t domain, const MacAddress& mac, std::uint32_t stamp_uncertainty_ns);
  const PtpSlave& slave() const { return slave_; }
  bool StatsLine(std::size_t index, ReportLine& line) const override;

 private:
  static void OnDatagram(void* self, ByteSpan datagram, std::size_t size, const port::UdpPeer& from);
  static void OnTick(void* self);
  void Handle(ByteSpan datagram, std::uint64_t rx_ns);
  void SendDelayReq();
  // Logs what changed in the slave (state, master) since the last call.
  void FollowState();

  ServiceContext ctx_;
  PtpSlave slave_;
  port::UdpEndpoint event_;
  port::UdpEndpoint general_;
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
