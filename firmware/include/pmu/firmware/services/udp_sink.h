// UDP datagram sink (docs/PROTOCOL.md port 5001): logs every datagram (its text and the
// sender's address) and sends nothing back. Non-printable bytes are shown as \xNN and
// long texts are cut in the log (the length is always the datagram's real length).
#pragma once

#include <cstdint>

#include "lwip/udp.h"
#include "pmu/base/status.h"
#include "pmu/firmware/services/service_context.h"

namespace pmu::firmware {

struct SinkCounters {
  std::uint32_t datagrams = 0;
  std::uint64_t bytes = 0;
};

class UdpSink {
 public:
  // Characters of a datagram's text that the log line shows.
  static constexpr std::size_t kShownBytes = 96;

  explicit UdpSink(const ServiceContext& context) : ctx_(context) {}
  Status Start(std::uint16_t port);
  const SinkCounters& counters() const { return counters_; }

 private:
  static void OnRecv(void* arg, udp_pcb* pcb, pbuf* p, const ip_addr_t* addr, u16_t port);

  ServiceContext ctx_;
  udp_pcb* pcb_ = nullptr;
  SinkCounters counters_;
};

}  // namespace pmu::firmware
