// The one glue between any hal::Link and lwIP (written once, so every link, the TAP
// device and each board's MAC, behaves the same to the stack). Owns the lwIP netif;
// port::Network calls PollInput() and PollLinkState() from the main loop.
#pragma once

#include <cstddef>
#include <cstdint>

#include "lwip/netif.h"
#include "pmu/base/status.h"
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
  Status Start(hal::Link& link, const NetifAddresses& addresses, const char* hostname);

  // Hands up to `max_frames` pending frames to lwIP. Returns how many were handled.
  std::size_t PollInput(std::size_t max_frames);
  // Follows the link's carrier into lwIP's link-up state.
  void PollLinkState();

  netif* raw() { return &netif_; }
  const LinkCounters& counters() const { return counters_; }
  // Whether address slot `i` is valid (DAD passed). Slot 0 is the link-local address.
  bool Ipv6AddressValid(int slot) const;

 private:
  static err_t InitThunk(netif* nif);
  static err_t LinkOutputThunk(netif* nif, pbuf* p);
  err_t LinkOutput(pbuf* p);

  netif netif_ = {};
  hal::Link* link_ = nullptr;
  LinkCounters counters_;
  alignas(8) std::byte tx_frame_[hal::Link::kMaxFrameSize] = {};
};

}  // namespace pmu::port
