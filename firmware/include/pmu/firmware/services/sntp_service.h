// The SNTP client on the link (docs/PROTOCOL.md "Time: SNTP client"): asks sntp.server
// on UDP 123 every sntp.poll_s from a port of its own, hands the replies with their
// link receive stamps (port::UdpEndpoint, taken by the link glue) to the state machine
// (time/sntp_client.h), and logs what changed. The simple alternative to PTP where a
// lab has an NTP server and no grandmaster; its time quality is coarser and says so.
//
// Context: main loop only.
#pragma once

#include <cstddef>
#include <cstdint>

#include "pmu/base/report.h"
#include "pmu/base/status.h"
#include "pmu/firmware/services/service_context.h"
#include "pmu/firmware/time/sntp_client.h"
#include "pmu/port/timer.h"
#include "pmu/port/udp_endpoint.h"
#include "pmu/proto/ntp.h"

namespace pmu::firmware {

class SntpService final : public StatsReporter {
 public:
  explicit SntpService(const ServiceContext& context) : ctx_(context), client_(context.clock) {}
  // Opens a local UDP port (the configuration's sntp.server and sntp.poll_s).
  Status Start(std::uint32_t stamp_uncertainty_ns);
  const SntpClient& client() const { return client_; }
  bool StatsLine(std::size_t index, ReportLine& line) const override;

 private:
  // A port of the client's own, outside the services' range (lwIP's ephemeral ports
  // would do, but a fixed one is easier to follow in a capture).
  static constexpr std::uint16_t kLocalPort = 50123;
  static void OnDatagram(void* self, ByteSpan datagram, std::size_t size, const port::UdpPeer& from);
  static void OnTick(void* self);
  void SendRequest();
  void FollowState();

  ServiceContext ctx_;
  SntpClient client_;
  port::UdpEndpoint endpoint_;
  port::Timer tick_;
  port::UdpPeer server_;
  std::byte buffer_[proto::ntp::kPacketSize];
  SntpState logged_state_ = SntpState::kWaiting;
  bool logged_stop_ = false;
  std::uint32_t send_failures_ = 0;
  std::uint32_t strangers_ = 0;  // datagrams from anyone but the server
  bool started_ = false;         // the statistics report has no SNTP lines otherwise
};

}  // namespace pmu::firmware
