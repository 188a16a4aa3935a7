// The device: the firmware's one main loop over lwIP (NO_SYS) and every service,
// written once for every board. A backend constructs its hal::Board, then
//
//   Device device(board, config);
//   if (!device.Start().ok()) ...;
//   for (;;) { device.Poll(); <sleep until a frame arrives or device.MsUntilNextTimer()> }
//
// Only one Device may exist in a process (lwIP is a singleton).
#pragma once

#include <cstdint>

#include "pmu/base/status.h"
#include "pmu/firmware/config.h"
#include "pmu/firmware/device_clock.h"
#include "pmu/firmware/log.h"
#include "pmu/firmware/random.h"
#include "pmu/firmware/services/bulletin_service.h"
#include "pmu/firmware/services/command_service.h"
#include "pmu/firmware/services/reset_service.h"
#include "pmu/firmware/services/tcp_echo.h"
#include "pmu/firmware/services/udp_sink.h"
#include "pmu/firmware/services/websocket_service.h"
#include "pmu/hal/board.h"
#include "pmu/port/link_netif.h"

namespace pmu::firmware {

inline constexpr const char* kFirmwareVersion = "0.1.0";

class Device {
 public:
  Device(hal::Board& board, const DeviceConfig& config);
  Device(const Device&) = delete;
  Device& operator=(const Device&) = delete;

  // Brings up lwIP, the network interface and every service. Logs and returns the
  // first failure.
  Status Start();

  // One pass of the main loop: hands received frames to lwIP, follows the link state,
  // runs lwIP's timers. Returns the number of frames handled.
  std::size_t Poll();

  // Milliseconds until lwIP next has timer work (the main loop may sleep this long
  // when no frame arrives).
  std::uint32_t MsUntilNextTimer() const;

  // Writes a statistics report to the log: memory pools and heap (used, peak,
  // failures), link counters, per-service counters.
  void LogStats();

  // Logs the final statistics; the device stops serving.
  void Shutdown();

  Logger& logger() { return log_; }
  DeviceClock& clock() { return clock_; }
  const DeviceConfig& config() const { return config_; }

 private:
  Status StartFailed(const char* what, Status status);
  // The state line of the periodic bulletin.
  static void DescribeState(void* self, BulletinText& text);
  void UpdateBootRecord();
  void WatchAddresses();

  hal::Board& board_;
  DeviceConfig config_;
  DeviceClock clock_;
  Logger log_;
  port::LinkNetif netif_;
  ServiceContext context_;
  UdpSink sink_;
  EchoService echo_;
  CommandService command_;
  DevicePrng prng_;
  ResetService reset_;
  BulletinService bulletin_;
  WebSocketService websocket_;
  std::uint64_t started_ms_ = 0;
  std::uint8_t ipv6_state_[3] = {};
  std::uint64_t next_link_check_ms_ = 0;
  std::uint32_t boot_count_ = 0;
};

}  // namespace pmu::firmware
