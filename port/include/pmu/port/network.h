// The device's network stack as the firmware sees it: lwIP (NO_SYS, owned by the main
// loop), its one interface on a hal::Link, the TCP guard, its timers, and what it can
// report. Everything lwIP-shaped stays in port/: the firmware starts it, polls it and
// reads its report lines, and includes no lwIP header to do so.
//
// Context: main loop only. One Network per process (lwIP is a singleton).
#pragma once

#include <cstddef>
#include <cstdint>

#include "pmu/base/ip_address.h"
#include "pmu/base/report.h"
#include "pmu/base/status.h"
#include "pmu/hal/clock.h"
#include "pmu/hal/entropy.h"
#include "pmu/hal/link.h"

namespace pmu::port {

// "lwIP 2.1.3, mbed TLS 2.28.3".
const char* StackVersions();

struct NetifAddresses {
  bool ipv4_enabled = true;
  Ipv4Address ipv4;
  unsigned ipv4_prefix = 24;
  bool has_ipv4_gateway = false;
  Ipv4Address ipv4_gateway;
  bool ipv6_enabled = true;
  Ipv6Address ipv6;  // global address; the link-local one is derived from the MAC
};

struct LinkCounters {
  std::uint64_t rx_frames = 0;
  std::uint64_t rx_bytes = 0;
  std::uint64_t rx_dropped = 0;  // no pbuf, or oversized
  std::uint64_t tx_frames = 0;
  std::uint64_t tx_bytes = 0;
  std::uint64_t tx_dropped = 0;  // link queue full or down
};

struct NetworkSettings {
  NetifAddresses addresses;
  const char* hostname = "pmu";     // must outlive the Network
  std::uint32_t stall_ms = 10'000;  // the TCP guard's stall time
};

// What happened to an IPv6 address (duplicate address detection).
struct AddressEvent {
  enum class Kind : std::uint8_t { kValid, kDuplicate } kind = Kind::kValid;
  Ipv6Address address;
};

// Its statistics lines: the heap, every pool, the link, the TCP guard.
class Network final : public StatsReporter {
 public:
  // Receives lwIP's assertion texts (source "lwip") and the TCP guard's lines ("tcp").
  using LogFn = void (*)(void* context, const char* source, const char* line);

  Network() = default;
  Network(const Network&) = delete;
  Network& operator=(const Network&) = delete;

  // Binds lwIP's porting functions to the clock and entropy, initialises lwIP and the
  // TCP guard, and brings the interface up on `link` (addresses assigned, duplicate
  // address detection started).
  Status Start(const hal::Clock& clock, hal::Entropy& entropy, hal::Link& link, const NetworkSettings& settings,
               LogFn log, void* log_context);
  // One pass of the main loop: at most 64 received frames to lwIP (so timers run even
  // under a flood), the link state every 500 ms, lwIP's timers. Returns the frames.
  std::size_t Poll(std::uint64_t now_ms);
  // Milliseconds until lwIP next has timer work (at most 1000).
  std::uint32_t MsUntilNextTimer() const;
  // The next change of an IPv6 address's state since the last call, if any.
  bool NextAddressEvent(AddressEvent& event);
  bool link_up() const;
  // The link-local IPv6 address (derived from the MAC).
  Ipv6Address LinkLocalAddress() const;
  // Takes the interface down (the device stops serving).
  void Stop();

  // Marks the heap in use now as what the device holds for its lifetime (once ready).
  void MarkRestingHeap();

  bool StatsLine(std::size_t index, ReportLine& line) const override;
  // The interface summary (console `ifconfig`), one line per index; false past the end.
  bool InterfaceLine(std::size_t index, ReportLine& line) const;

 private:
  bool ipv6_ = false;
  std::uint8_t ipv6_state_[3] = {};
  std::size_t resting_heap_ = 0;
  std::uint64_t next_link_check_ms_ = 0;
};

}  // namespace pmu::port
