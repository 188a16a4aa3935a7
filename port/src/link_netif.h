// The one glue between any hal::Link and lwIP (written once, so every link, the TAP
// device and each board's MAC, behaves the same to the stack). Owns the lwIP netif;
// port::Network calls PollInput() and PollLinkState() from the main loop.
#pragma once

#include <cstddef>
#include <cstdint>

#include "lwip/netif.h"
#include "pmu/base/status.h"
#include "pmu/hal/clock.h"
#include "pmu/hal/link.h"
#include "pmu/port/network.h"

namespace pmu::port {

class LinkNetif {
 public:
  LinkNetif() = default;
  LinkNetif(const LinkNetif&) = delete;
  LinkNetif& operator=(const LinkNetif&) = delete;

  // Adds the netif to lwIP (after lwip_init()), assigns the addresses, creates the
  // IPv6 link-local address and starts duplicate address detection, and makes it the
  // default netif. `hostname` must outlive the netif.
  // `clock` time-stamps every frame as it crosses the link (PTP's event messages).
  Status Start(hal::Link& link, const hal::Clock& clock, const NetifAddresses& addresses, const char* hostname);

  // Hands up to `max_frames` pending frames to lwIP. Returns how many were handled.
  std::size_t PollInput(std::size_t max_frames);
  // Follows the link's carrier into lwIP's link-up state.
  void PollLinkState();

  netif* raw() { return &netif_; }
  // The platform's monotonic time when the frame now being handed to lwIP was read
  // from the link, and when the last frame was handed to the link, with a count of
  // frames sent (a sender tells whether its frame left at once, or waits for ARP).
  std::uint64_t rx_stamp_ns() const { return rx_stamp_ns_; }
  std::uint64_t tx_stamp_ns() const { return tx_stamp_ns_; }
  std::uint64_t tx_count() const { return counters_.tx_frames; }
  const LinkCounters& counters() const { return counters_; }
  // Whether address slot `i` is valid (DAD passed). Slot 0 is the link-local address.
  bool Ipv6AddressValid(int slot) const;

  // Frames of `ethertype` (after one VLAN tag, if any) go to `receiver` instead of
  // lwIP, with rx_stamp_ns() set; nullptr stops that. One EtherType at a time.
  using RawReceiver = void (*)(void* context, ByteSpan frame);
  void SetRawReceiver(std::uint16_t ethertype, RawReceiver receiver, void* context);
  // Sends a whole frame beside lwIP (and stamps it as LinkOutput does).
  Status SendRaw(ByteSpan frame);
  MacAddress mac() const { return link_ != nullptr ? link_->mac() : MacAddress{}; }

 private:
  static err_t InitThunk(netif* nif);
  static err_t LinkOutputThunk(netif* nif, pbuf* p);
  err_t LinkOutput(pbuf* p);
  Status Transmit(ByteSpan frame);

  netif netif_ = {};
  hal::Link* link_ = nullptr;
  const hal::Clock* clock_ = nullptr;
  std::uint64_t rx_stamp_ns_ = 0;
  std::uint64_t tx_stamp_ns_ = 0;
  std::uint16_t raw_ethertype_ = 0;
  RawReceiver raw_receiver_ = nullptr;
  void* raw_context_ = nullptr;
  LinkCounters counters_;
  alignas(8) std::byte tx_frame_[hal::Link::kMaxFrameSize] = {};
};

// The device's one netif's stamps (network.cc owns it), for port::UdpEndpoint.
std::uint64_t LinkRxStampNs();
std::uint64_t LinkTxStampNs();
std::uint64_t LinkTxCount();
// Its raw frames beside lwIP, for port::EthernetEndpoint.
void LinkSetRawReceiver(std::uint16_t ethertype, LinkNetif::RawReceiver receiver, void* context);
Status LinkSendRaw(ByteSpan frame);
MacAddress LinkMac();

}  // namespace pmu::port
