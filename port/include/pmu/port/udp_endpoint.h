// A UDP port of the device, both families, with the datagrams as byte spans: the UDP
// services (sink, clock reset, bulletins, C37.118.2 over UDP) see no udp_pcb, pbuf or
// ip_addr_t. Each received datagram is copied into the endpoint's buffer (cut to its
// size; the receiver learns the real size) and the lwIP buffer is freed before the
// receiver runs.
//
// Context: main loop only.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "pmu/base/bytes.h"
#include "pmu/base/ip_address.h"
#include "pmu/base/status.h"
#include "pmu/port/connection.h"

struct udp_pcb;
struct pbuf;

namespace pmu::port {

// A UDP address and port of either family.
struct UdpPeer {
  bool ipv6 = false;
  std::array<std::uint8_t, 16> address{};  // IPv4 in the first four bytes
  std::uint16_t port = 0;

  static UdpPeer V4(const Ipv4Address& a, std::uint16_t port);
  static UdpPeer V6(const Ipv6Address& a, std::uint16_t port);
  PeerText Text() const;
  friend bool operator==(const UdpPeer&, const UdpPeer&) = default;
};

class UdpEndpoint {
 public:
  // `datagram` holds the first bytes of the datagram (as many as the endpoint's
  // buffer takes); `size` is its real size.
  using Receiver = void (*)(void* context, ByteSpan datagram, std::size_t size, const UdpPeer& from);

  UdpEndpoint() = default;
  ~UdpEndpoint();
  UdpEndpoint(const UdpEndpoint&) = delete;
  UdpEndpoint& operator=(const UdpEndpoint&) = delete;

  // Opens `port` on both families. `buffer` (which must outlive the endpoint) receives
  // each datagram before `receiver` is called with it.
  Status Open(std::uint16_t port, MutableByteSpan buffer, Receiver receiver, void* context);
  // Queues `datagram` to `to`. kResourceExhausted when lwIP has no memory for it.
  Status SendTo(ByteSpan datagram, const UdpPeer& to);
  // Link time stamps (the platform's monotonic ns, taken by the link glue as the frame
  // crossed the link; docs/ARCHITECTURE.md "Time stamps"): when the datagram being
  // received was read from the link (valid inside the receiver), and when the last
  // datagram SendTo queued left for the link (0 when it did not leave at once, e.g.
  // waiting for address resolution).
  std::uint64_t received_at_ns() const { return received_at_ns_; }
  std::uint64_t sent_at_ns() const { return sent_at_ns_; }

  // Multicast: the hop limit of what this endpoint sends, and the groups it receives.
  void SetMulticastTtl(std::uint8_t ttl);
  Status JoinGroup(const UdpPeer& group);

 private:
  struct Callbacks;
  udp_pcb* pcb_ = nullptr;
  MutableByteSpan buffer_;
  Receiver receiver_ = nullptr;
  void* context_ = nullptr;
  std::uint64_t received_at_ns_ = 0;
  std::uint64_t sent_at_ns_ = 0;
};

}  // namespace pmu::port
