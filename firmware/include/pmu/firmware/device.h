// The device: the firmware's one main loop over the network stack (port::Network),
// every service and the PMU, written once for every board. A target builds its
// hal::Board, then
//
//   Device device(board, config);
//   if (!device.Start().ok()) ...;
//   for (;;) { device.Poll(); <sleep until a frame arrives or device.MsUntilNextTimer()> }
//
// Only one Device may exist in a process (lwIP is a singleton).
#pragma once

#include <cstdint>
#include <span>

#include "pmu/base/report.h"
#include "pmu/base/status.h"
#include "pmu/firmware/config.h"
#include "pmu/firmware/config_store.h"
#include "pmu/firmware/device_clock.h"
#include "pmu/firmware/identity.h"
#include "pmu/firmware/log.h"
#include "pmu/firmware/measurement/pmu_unit.h"
#include "pmu/firmware/random.h"
#include "pmu/firmware/profile.h"
#if PMU_WITH_BULLETIN
#include "pmu/firmware/services/bulletin_service.h"
#endif
#include "pmu/firmware/services/c37118_service.h"
#include "pmu/firmware/services/command_service.h"
#if PMU_WITH_TLS
#include "pmu/firmware/services/console_service.h"
#endif
#include "pmu/firmware/services/echo_service.h"
#include "pmu/firmware/services/ptp_service.h"
#include "pmu/firmware/services/reset_service.h"
#if PMU_WITH_SNTP
#include "pmu/firmware/services/sntp_service.h"
#endif
#include "pmu/firmware/services/udp_sink.h"
#if PMU_WITH_WEBSOCKET
#include "pmu/firmware/services/websocket_service.h"
#endif
#include "pmu/firmware/version.h"
#include "pmu/hal/board.h"
#include "pmu/port/network.h"

namespace pmu::firmware {

class Device final {
 public:
  Device(hal::Board& board, const DeviceConfig& config);
  Device(const Device&) = delete;
  Device& operator=(const Device&) = delete;

  // Brings up the network stack, the interface, every service and the PMU. Logs and
  // returns the first failure.
  Status Start();

  // One pass of the main loop: received frames to the stack, its timers, the
  // measurement's due reports, address events. Returns the number of frames handled.
  std::size_t Poll();

  // Microseconds until the stack or the measurement next has work (the main loop may
  // sleep this long when no frame arrives): a report is due at its sample's instant,
  // and a loop that wakes only to the millisecond delays it by up to one. The same,
  // rounded up to milliseconds, for a loop whose timer counts those.
  std::uint32_t UsUntilNextTimer() const;
  std::uint32_t MsUntilNextTimer() const;

  // Writes the statistics report to the log: memory pools and heap (used, peak,
  // failures), link counters, every service's counters, the measurement, TLS.
  void LogStats();

  // Logs the final statistics; the device stops serving.
  void Shutdown();

  bool reboot_requested() const { return reboot_requested_; }

  // Applies a new measurement configuration (the c37.* and waveform.* keys) while
  // running: the waveform restarts, the estimator follows the new class and rate, and
  // a changed PMU description bumps CFGCNT (STAT bit 10 until each PDC re-reads it).
  // The ports of the C37.118.2 service are not changed (FailedPrecondition). Returns
  // CFGCNT.
  Result<std::uint16_t> ApplyMeasurementConfig(const MeasurementConfig& next);

  Logger& logger() { return log_; }
  DeviceClock& clock() { return clock_; }
  const DeviceConfig& config() const { return config_; }

  const char* board_name() const { return board_.name; }
  std::uint64_t UptimeMs() const { return clock_.MonotonicMs() - started_ms_; }
  std::uint32_t boot_count() const { return boot_count_; }
  // The statistics report's parts, in order.
  std::span<const StatsReporter* const> stats_parts() const { return stats_parts_; }
  // The interface summary, one line per index; false past the end.
  bool InterfaceLine(std::size_t index, ReportLine& line) const { return network_.InterfaceLine(index, line); }
  // The main loop restarts the device once the current answers are out.
  void RequestReboot() { reboot_requested_ = true; }

 private:
#if PMU_WITH_TLS
  // The device as the operator console sees and changes it: its configuration through
  // the editor (candidate, save, apply) and the rest read through the Device.
  class ConsoleView final : public ConsoleHost {
   public:
    explicit ConsoleView(Device& device) : device_(device) {}
    const char* board_name() const override { return device_.board_name(); }
    std::uint64_t UptimeMs() const override { return device_.UptimeMs(); }
    std::uint32_t boot_count() const override { return device_.boot_count(); }
    std::span<const StatsReporter* const> stats_parts() const override { return device_.stats_parts(); }
    bool InterfaceLine(std::size_t index, ReportLine& line) const override {
      return device_.InterfaceLine(index, line);
    }
    ConfigEditor& config_editor() override { return device_.editor_; }
    Result<std::uint16_t> ApplyMeasurementKeys() override {
      return device_.ApplyMeasurementConfig(device_.editor_.candidate());
    }
    void RequestReboot() override { device_.RequestReboot(); }

   private:
    Device& device_;
  };
#endif

  Status StartFailed(const char* what, Status status);
#if PMU_WITH_TLS
  Status StartTls();
  static void TlsDiagnostic(void* self, const char* line);
#endif
  static std::int64_t UtcSeconds(void* self);
  static void Diagnostic(void* self, const char* source, const char* line);
#if PMU_WITH_BULLETIN
  // The state line of the periodic bulletin.
  static void DescribeState(void* self, BulletinText& text);
#endif
  static void Publish(void* self, const Estimate& estimate);
  void UpdateBootRecord();
  // Says which services the profile left out of the image.
  void LogLeftOut();
  void FollowAddresses();
  Status StartTimeSource();

  hal::Board& board_;
  DeviceConfig config_;
  DeviceClock clock_;
  Logger log_;
  port::Network network_;
  ServiceContext context_;
  UdpSink sink_;
  EchoService echo_;
  TcpCommandService command_;
  DevicePrng prng_;
  ResetService reset_;
  PtpService ptp_;
#if PMU_WITH_SNTP
  SntpService sntp_;
#endif
#if PMU_WITH_BULLETIN
  BulletinService bulletin_;
#endif
#if PMU_WITH_WEBSOCKET
  WebSocketService websocket_;
#endif
#if PMU_WITH_TLS
  DeviceIdentity identity_;
  TlsCommandService tls_command_;
  ConfigEditor editor_;
  ConsoleView console_view_;
  ConsoleService console_;
#endif
  PmuUnit pmu_;
  C37Service c37_;
  // The statistics report's parts: the stack, every service in the image, the measurement.
  static constexpr std::size_t kStatsParts =
      10 + 2 * PMU_WITH_TLS + PMU_WITH_BULLETIN + PMU_WITH_WEBSOCKET + PMU_WITH_SNTP;
  const StatsReporter* stats_parts_[kStatsParts];
  std::uint64_t started_ms_ = 0;
  std::uint32_t boot_count_ = 0;
  bool reboot_requested_ = false;
};

}  // namespace pmu::firmware
