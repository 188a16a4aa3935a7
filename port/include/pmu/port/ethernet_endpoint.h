// Frames of one EtherType straight from and to the link, beside lwIP (PTP over
// Ethernet, IEEE 1588 Annex F, as the power profile carries it): the link glue hands
// such a frame here instead of to the stack, with its link time stamp, and sends this
// endpoint's frames as they are. One endpoint is open at a time (the device has one
// such protocol); its payloads are copied into the endpoint's buffer (cut to its size)
// before the receiver runs.
//
// Context: main loop only.
#pragma once

#include <cstddef>
#include <cstdint>

#include "pmu/base/bytes.h"
#include "pmu/base/ip_address.h"
#include "pmu/base/status.h"
#include "pmu/hal/link.h"

namespace pmu::port {

class EthernetEndpoint {
 public:
  // `payload`: the frame after its header (and VLAN tag); `size` its real size.
  using Receiver = void (*)(void* context, ByteSpan payload, std::size_t size, const MacAddress& source);

  EthernetEndpoint() = default;
  ~EthernetEndpoint();
  EthernetEndpoint(const EthernetEndpoint&) = delete;
  EthernetEndpoint& operator=(const EthernetEndpoint&) = delete;

  // Receives the frames of `ethertype` into `buffer` (which must outlive the endpoint).
  Status Open(std::uint16_t ethertype, MutableByteSpan buffer, Receiver receiver, void* context);
  // Sends `payload` (up to kMaxPayload bytes: the frame is built on the stack) to
  // `destination` from the device's MAC, untagged, padded to the 60-byte minimum.
  // kInvalidArgument beyond kMaxPayload; the link's errors otherwise.
  static constexpr std::size_t kMaxPayload = 128;
  Status SendTo(const MacAddress& destination, ByteSpan payload);
  // Link time stamps (the platform's monotonic ns, as port::UdpEndpoint's): when the
  // frame being received was read from the link (valid inside the receiver), and
  // when the last frame SendTo sent was handed to it (0 when it was not).
  std::uint64_t received_at_ns() const { return received_at_ns_; }
  std::uint64_t sent_at_ns() const { return sent_at_ns_; }

 private:
  static void OnFrame(void* context, ByteSpan frame);

  std::uint16_t ethertype_ = 0;
  MutableByteSpan buffer_;
  Receiver receiver_ = nullptr;
  void* context_ = nullptr;
  std::uint64_t received_at_ns_ = 0;
  std::uint64_t sent_at_ns_ = 0;
  bool open_ = false;
};

}  // namespace pmu::port
