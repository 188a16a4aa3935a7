// The Ethernet link: one narrow interface that the TAP backend (hal/linux) and the
// LAN9118 MAC (hal/mps2-an385) implement. The firmware glues it to lwIP once
// (port/link_netif).
//
// Context: every method is called from the main loop only. An interrupt handler may
// note that frames are pending, but only Receive() hands them over: the main loop is
// lwIP's one owner, so no lwIP code ever runs in interrupt context.
#pragma once

#include <cstddef>
#include <cstdint>

#include "pmu/base/bytes.h"
#include "pmu/base/ip_address.h"
#include "pmu/base/result.h"

namespace pmu::hal {

class Link {
 public:
  // Destination, source, EtherType and a 1500-byte payload, plus room for one VLAN
  // tag. Frames carry no FCS in either direction.
  static constexpr std::size_t kMaxFrameSize = 1518;

  virtual ~Link() = default;

  virtual MacAddress mac() const = 0;
  // Whether the link is up (carrier present); polled by the main loop.
  virtual bool IsUp() = 0;

  // Transmits one complete Ethernet frame. The bytes are copied before return.
  // Errors: kResourceExhausted when the transmit queue is full (the frame is dropped,
  // as on a real wire), kUnavailable when the link is down, kInvalidArgument when the
  // frame is shorter than 14 or longer than kMaxFrameSize bytes.
  virtual Status Send(ByteSpan frame) = 0;

  // Copies the next received frame into `buffer` (at least kMaxFrameSize bytes) and
  // returns its length, or 0 when no frame is pending. Never blocks. Frames larger than
  // the buffer are dropped and reported as kDataLoss; the next call continues.
  virtual Result<std::size_t> Receive(MutableByteSpan buffer) = 0;

  // The link's own time stamp of the frame Receive returned last: the platform's
  // monotonic ns when the frame arrived (a receive interrupt, a reader thread), or 0
  // when the link has none and the glue stamps the frame as Receive hands it over.
  virtual std::uint64_t ReceivedAtNs() const { return 0; }
  // The same for the frame Send took last: when it went to the wire, or 0 when the
  // glue stamps it as Send returns.
  virtual std::uint64_t SentAtNs() const { return 0; }

  // How late a frame's time stamp may be: the glue stamps a frame when Receive hands it
  // over (unless the link stamped it on arrival) and when Send takes it, so the stamp
  // trails the wire by as long as the frame waited. The PTP slave adds this to the
  // error bound it claims. A link that has not measured it states 1 ms, the main loop's
  // longest pass.
  virtual std::uint32_t TimestampUncertaintyNs() const { return 1'000'000; }
};

}  // namespace pmu::hal
