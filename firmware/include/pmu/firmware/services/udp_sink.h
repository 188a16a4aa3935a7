// UDP datagram sink (docs/PROTOCOL.md port 5001): logs every datagram (its text and the
// sender's address) and sends nothing back. Non-printable bytes are shown as \xNN and
// long texts are cut in the log (the length is always the datagram's real length).
#pragma once

#include <cstdint>

#include "pmu/base/report.h"
#include "pmu/base/status.h"
#include "pmu/firmware/services/service_context.h"
#include "pmu/port/udp_endpoint.h"

namespace pmu::firmware {

struct SinkCounters {
  std::uint32_t datagrams = 0;
  std::uint64_t bytes = 0;
};

class UdpSink final : public StatsReporter {
 public:
  // Characters of a datagram's text that the log line shows.
  static constexpr std::size_t kShownBytes = 96;

  explicit UdpSink(const ServiceContext& context) : ctx_(context) {}
  Status Start(std::uint16_t port);
  const SinkCounters& counters() const { return counters_; }
  bool StatsLine(std::size_t index, ReportLine& line) const override;

 private:
  static void OnDatagram(void* self, ByteSpan head, std::size_t size, const port::UdpPeer& from);

  ServiceContext ctx_;
  port::UdpEndpoint endpoint_;
  std::byte head_[kShownBytes];  // what the log shows of each datagram
  SinkCounters counters_;
};

}  // namespace pmu::firmware
