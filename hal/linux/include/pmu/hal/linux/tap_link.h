// The simulator's Ethernet link: a Linux TAP device (/dev/net/tun, IFF_TAP|IFF_NO_PI).
// The device's frames are written to the TAP file descriptor and appear on the host's
// side of the interface; frames the host sends to the interface are read back here.
#pragma once

#include <string_view>

#include "pmu/hal/link.h"

namespace pmu::hal::linux_host {

class TapLink final : public Link {
 public:
  TapLink() = default;
  ~TapLink() override;
  TapLink(const TapLink&) = delete;
  TapLink& operator=(const TapLink&) = delete;

  // Attaches to the TAP interface `ifname` (created by the launcher, or created here
  // when it does not exist and the process may do so). Non-blocking.
  Status Open(std::string_view ifname, const MacAddress& mac);

  // For the simulator's main loop to wait on (readable when a frame is pending).
  int fd() const { return fd_; }

  MacAddress mac() const override { return mac_; }
  bool IsUp() override;
  Status Send(ByteSpan frame) override;
  Result<std::size_t> Receive(MutableByteSpan buffer) override;
  // The main loop reads the TAP descriptor when poll(2) wakes it or after its current
  // pass. On a shared 2-core host the device's true error after lock reached 188 us
  // (p99 97 to 165 us; docs/BENCHMARKS.md, "Time error after lock"), almost all of it
  // this lateness; 500 us leaves room for a busier host and keeps the bound under 1 ms.
  std::uint32_t TimestampUncertaintyNs() const override { return 500'000; }

 private:
  int fd_ = -1;
  int ctl_fd_ = -1;  // socket for interface-flag queries
  char ifname_[16] = {};
  MacAddress mac_;
};

}  // namespace pmu::hal::linux_host
