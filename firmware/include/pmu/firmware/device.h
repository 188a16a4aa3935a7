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
#include "pmu/firmware/measurement/comtrade_front_end.h"
#include "pmu/firmware/measurement/measurement.h"
#include "pmu/firmware/measurement/scenario_front_end.h"
#include "pmu/firmware/measurement/synthetic_front_end.h"
#include "pmu/firmware/random.h"
#include "pmu/firmware/services/bulletin_service.h"
#include "pmu/firmware/services/c37118_pmu.h"
#include "pmu/firmware/services/c37118_service.h"
#include "pmu/firmware/services/command_service.h"
#include "pmu/firmware/services/console_service.h"
#include "pmu/firmware/services/reset_service.h"
#include "pmu/firmware/services/tcp_echo.h"
#include "pmu/firmware/services/udp_sink.h"
#include "pmu/firmware/services/websocket_service.h"
#include "pmu/hal/board.h"
#include "pmu/port/link_netif.h"
#include "pmu/port/tls.h"

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

  // The console asked for a reboot; the board's main loop restarts the device.
  void RequestReboot() { reboot_requested_ = true; }
  bool reboot_requested() const { return reboot_requested_; }

  // The statistics report and the interface summary, one line per index (false past
  // the end): shared by LogStats() and the console.
  using ReportLine = FixedString<220>;
  bool StatsLine(std::size_t index, ReportLine& line);
  bool InterfaceLine(std::size_t index, ReportLine& line);

  std::uint64_t UptimeMs() const { return clock_.MonotonicMs() - started_ms_; }
  std::uint32_t boot_count() const { return boot_count_; }
  hal::Storage& storage() { return board_.storage; }
  const char* board_name() const { return board_.name; }

  // The configuration the console edits: starts as the running one; `config save`
  // writes it to storage; a reboot applies it.
  DeviceConfig& candidate_config() { return candidate_; }
  Status SaveCandidateConfig(std::size_t* bytes);

  // TLS identity (console `cert ...`). Not available when the device has no TLS
  // material in storage.
  bool tls_ready() const { return tls_ready_; }
  const port::TlsServer& console_tls() const { return console_tls_; }
  // Makes a new key pair (kept as the pending key in storage) and writes its CSR into
  // `csr_pem`.
  Status MakeCsr(FixedString<1536>& csr_pem);
  // Checks `cert_pem` against the CA and the pending key, stores both as the device's
  // identity and makes every TLS service present it to new connections.
  Status InstallCertificate(std::string_view cert_pem, FixedString<160>* why);
  // Applies a new measurement configuration (the c37.* and waveform.* keys) while
  // running: the waveform restarts, the estimator follows the new class and rate, and
  // a changed PMU description bumps CFGCNT (STAT bit 10 until each PDC re-reads it).
  // The ports of the C37.118.2 service are not changed (FailedPrecondition).
  Status ApplyMeasurementConfig(const C37Config& c37, const WaveformConfig& waveform);
  // CFGCNT of the PMU's current configuration.
  std::uint16_t c37_config_count() const;

  Logger& logger() { return log_; }
  DeviceClock& clock() { return clock_; }
  const DeviceConfig& config() const { return config_; }

 private:
  Status StartFailed(const char* what, Status status);
  Status StartTls();
  static std::int64_t UtcSeconds(void* self);
  static void TlsDiagnostic(void* self, const char* line);
  static void TcpGuardLog(void* self, const char* line);
  // The state line of the periodic bulletin.
  static void DescribeState(void* self, BulletinText& text);
  void UpdateBootRecord();
  void WatchAddresses();
  Status StartMeasurement(std::uint16_t config_count);
  // The front end of analog.source comtrade or scenario (device_playback.cc).
  Status StartPlayback(std::int64_t second_start);
  std::uint16_t KeepConfigCount();
  static void OnEstimate(void* self, const Estimate& estimate);

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
  port::TlsServer command_tls_;
  port::TlsServer console_tls_;
  CommandService tls_command_;
  ConsoleService console_;
  DeviceConfig candidate_;
  bool tls_ready_ = false;
  bool reboot_requested_ = false;
  SyntheticFrontEnd synthetic_;
  ComtradeFrontEnd comtrade_{PlaybackSamplePool()};
  ScenarioFrontEnd scenario_;
  hal::AnalogFrontEnd* front_end_ = nullptr;
  Measurement measurement_;
  C37Pmu c37_pmu_;
  C37Service c37_;
  Estimate last_estimate_;
  std::uint64_t started_ms_ = 0;
  std::size_t resting_heap_ = 0;  // lwIP heap in use when the device became ready
  std::uint8_t ipv6_state_[3] = {};
  std::uint64_t next_link_check_ms_ = 0;
  std::uint32_t boot_count_ = 0;
};

}  // namespace pmu::firmware
