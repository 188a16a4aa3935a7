#include "pmu/firmware/device.h"

#include <cinttypes>
#include <cmath>

#include "pmu/base/civil_time.h"
#include "pmu/port/crypto_heap.h"
#if PMU_WITH_TLS
#include "pmu/port/tls.h"
#endif

namespace pmu::firmware {
namespace {

constexpr const char* kTag = "boot";
constexpr const char* kNetTag = "net";
#if PMU_WITH_TLS
constexpr const char* kTlsTag = "tls";
#endif
constexpr const char* kStatsTag = "stats";
// The bound time.source = platform claims (docs/PROTOCOL.md "STAT and time quality").
constexpr std::uint64_t kPlatformErrorNs = 1000;

// The persistent boot record at the start of storage: a boot counter.
struct BootRecord {
  static constexpr std::uint32_t kMagic = 0x424D5550;  // "PUMB"
  std::uint32_t magic;
  std::uint32_t boots;
  std::uint32_t check;  // ~boots: tells a torn or erased record from a real one
};

port::NetworkSettings NetworkSettingsFrom(const DeviceConfig& c) {
  port::NetworkSettings n;
  n.addresses.ipv4_enabled = c.ipv4_enabled;
  n.addresses.ipv4 = c.ipv4;
  n.addresses.ipv4_prefix = c.ipv4_prefix;
  n.addresses.has_ipv4_gateway = c.has_ipv4_gateway;
  n.addresses.ipv4_gateway = c.ipv4_gateway;
  n.addresses.ipv6_enabled = c.ipv6_enabled;
  n.addresses.ipv6 = c.ipv6;
  n.hostname = c.hostname.c_str();
  n.stall_ms = c.stall_timeout_s * 1000;
  return n;
}

}  // namespace

Device::Device(hal::Board& board, const DeviceConfig& config)
    : board_(board),
      config_(config),
      clock_(board.clock),
      log_(clock_, &board.log_sink),
      context_{log_, clock_, config_},
      sink_(context_),
      echo_(context_),
      command_(context_),
      reset_(context_, prng_),
      ptp_(context_),
#if PMU_WITH_SNTP
      sntp_(context_),
#endif
#if PMU_WITH_BULLETIN
      bulletin_(context_),
#endif
#if PMU_WITH_WEBSOCKET
      websocket_(context_),
#endif
#if PMU_WITH_TLS
      identity_(board.storage),
      tls_command_(context_),
      editor_(config_, board.storage),
      console_view_(*this),
      console_(context_, console_view_, identity_),
#endif
      pmu_(config_, clock_, board.storage, log_),
      c37_(context_, pmu_.model()) {
  const StatsReporter* parts[] = {&network_, &sink_, &echo_, &reset_, &ptp_,
#if PMU_WITH_SNTP
                                  &sntp_,
#endif
#if PMU_WITH_BULLETIN
                                  &bulletin_,
#endif
#if PMU_WITH_TLS
                                  &port::TlsReport(), &tls_command_, &console_,
#else
                                  &port::CryptoArenaReport(),
#endif
                                  &command_,
#if PMU_WITH_WEBSOCKET
                                  &websocket_,
#endif
                                  &c37_, &pmu_.measurement(), &log_};
  static_assert(sizeof(parts) / sizeof(parts[0]) == kStatsParts);
  for (std::size_t i = 0; i < kStatsParts; ++i) stats_parts_[i] = parts[i];
  log_.set_level(config_.log_level);
}

Status Device::Start() {
  PMU_LOG_INFO(log_, kTag, "PMU firmware %s on %s (%s), profile %s", kFirmwareVersion, board_.name,
               port::StackVersions(), kProfileName);
  LogLeftOut();
  UpdateBootRecord();

  if (Status s = prng_.Seed(board_.entropy); !s.ok()) return StartFailed("entropy source", s);
  // mbedTLS's only heap, for TLS and for Fernet's HMAC and AES alike.
  port::InitCryptoHeap(&Device::UtcSeconds, this);
  started_ms_ = clock_.MonotonicMs();

  if (Status s = network_.Start(board_.clock, board_.entropy, board_.link, NetworkSettingsFrom(config_),
                                &Device::Diagnostic, this);
      !s.ok()) {
    return StartFailed("network interface", s);
  }
  // The interface as the console's `interfaces` shows it (IPv6 addresses are tentative
  // until duplicate address detection passes; FollowAddresses logs the outcome).
  PMU_LOG_INFO(log_, kNetTag, "host %s", config_.hostname.c_str());
  ReportLine line;
  for (std::size_t i = 0; network_.InterfaceLine(i, line); ++i) {
    PMU_LOG_INFO(log_, kNetTag, "%s", line.c_str());
    line.clear();
  }

  const CommandLimits limits{config_.short_count, config_.floodme_size, config_.floodme_max,
                             /*allow_time=*/false, /*error_line_feed=*/true};
  Status s;
  if (s = sink_.Start(config_.sink_port); !s.ok()) return StartFailed("UDP sink", s);
  if (s = echo_.Start(config_.echo_port, config_.echo_max_clients); !s.ok()) return StartFailed("TCP echo", s);
  if (s = command_.Start(config_.command_port, limits, config_.command_max_clients, "cmd"); !s.ok()) {
    return StartFailed("command service", s);
  }
  if (s = reset_.Start(config_.reset_port); !s.ok()) return StartFailed("clock reset service", s);
  if (s = StartTimeSource(); !s.ok()) return StartFailed("time source", s);
#if PMU_WITH_BULLETIN
  if (s = bulletin_.Start(&Device::DescribeState, this); !s.ok()) return StartFailed("bulletin channel", s);
#endif
#if PMU_WITH_WEBSOCKET
  if (s = websocket_.Start(config_.ws_port, limits, config_.ws_max_clients, config_.ws_max_message,
                           config_.ws_handshake_timeout_s * 1000);
      !s.ok()) {
    return StartFailed("WebSocket service", s);
  }
#endif
#if PMU_WITH_TLS
  if (s = StartTls(); !s.ok()) return StartFailed("TLS services", s);
#endif
  pmu_.set_grid_clock(board_.grid_clock);
  pmu_.model().set_time_source(
      config_.time_source == TimeSource::kPtp
          ? "Time: PTP slave (IEEE 1588-2008 default profile, UDP/IPv4); lock and quality in STAT."
      : config_.time_source == TimeSource::kSntp
          ? "Time: SNTP client (NTP version 4); lock and its coarser quality in STAT."
          : "Time: the platform's clock, trusted as the reference.");
  if (s = pmu_.Start(board_.analog, board_.playback, board_.name, &Device::Publish, this); !s.ok()) {
    return StartFailed("measurement", s);
  }
  if (s = c37_.Start(); !s.ok()) return StartFailed("C37.118.2 service", s);
  network_.MarkRestingHeap();
  PMU_LOG_INFO(log_, kTag, "ready");
  return Status::Ok();
}

Status Device::StartTimeSource() {
  clock_.set_holdover_drift_ppb(config_.time_holdover_ppb);
  if (config_.time_source == TimeSource::kPlatform) {
    // Trusted as the reference: the bound is the platform's reading of it (two clock
    // reads at boot in the simulator), not a measurement.
    clock_.Locked(kPlatformErrorNs);
    PMU_LOG_INFO(log_, kTag, "time source: the platform's clock, trusted within %llu ns",
                 static_cast<unsigned long long>(kPlatformErrorNs));
    return Status::Ok();
  }
#if PMU_WITH_SNTP
  if (config_.time_source == TimeSource::kSntp) return sntp_.Start(board_.link.TimestampUncertaintyNs());
#endif
  PtpSettings ptp;
  ptp.domain = config_.ptp_domain;
  ptp.ethernet = config_.ptp_ethernet;
  ptp.delay = config_.ptp_peer_delay ? DelayMechanism::kPeer : DelayMechanism::kEndToEnd;
  return ptp_.Start(ptp, board_.link.mac(), board_.link.TimestampUncertaintyNs());
}

// mbedTLS's time (certificate validity): the real time, never the lab offset, so that
// a reset pushed from the network cannot make the operator's certificate expire.
std::int64_t Device::UtcSeconds(void* self) {
  return static_cast<Device*>(self)->clock_.RealUtcNs() / 1'000'000'000;
}

void Device::Diagnostic(void* self, const char* source, const char* line) {
  PMU_LOG_WARN(static_cast<Device*>(self)->log_, source, "%s", line);
}

#if PMU_WITH_TLS
void Device::TlsDiagnostic(void* self, const char* line) {
  PMU_LOG_WARN(static_cast<Device*>(self)->log_, kTlsTag, "%s", line);
}

Status Device::StartTls() {
  PMU_TRY(port::InitTls(board_.entropy, &Device::TlsDiagnostic, this));
  static_assert(kMaxTlsSessions <= port::TlsSessionGate::kCapacity);
  port::TlsSessionGate::SetLimit(config_.tls_max_sessions);
  const Status loaded = identity_.Load(config_);
  if (loaded.code() == StatusCode::kNotFound) {
    PMU_LOG_WARN(log_, kTlsTag, "%s: the TLS command service (%u) and the console (%u) are off", loaded.message(),
                 config_.tls_port, config_.console_port);
    return Status::Ok();
  }
  if (!loaded.ok()) {
    PMU_LOG_ERROR(log_, kTlsTag, "TLS identity in storage unusable (%s): TLS services off", loaded.message());
    return Status::Ok();
  }
  const CommandLimits limits{config_.short_count, config_.floodme_size, config_.floodme_max,
                             /*allow_time=*/true, /*error_line_feed=*/true};
  const std::uint32_t handshake_ms = config_.tls_handshake_timeout_s * 1000;
  // The console keeps one TLS slot of its own; the command service has the others.
  PMU_TRY(tls_command_.Start(config_.tls_port, limits, config_.tls_max_sessions - 1u, "tls-cmd",
                             &identity_.command_tls(), handshake_ms));
  PMU_TRY(console_.Start(config_.console_port, identity_.console_tls(), handshake_ms));
  const port::CryptoArenaStats a = port::GetCryptoArenaStats();
  PMU_LOG_INFO(log_, kTlsTag, "identity %s; client certificates on %u: %s; allowed: %s; arena %u of %u bytes in use",
               identity_.CommonName().c_str(), config_.tls_port, TlsClientAuthName(config_.tls_client_auth),
               config_.tls_allowed_clients.c_str(), static_cast<unsigned>(a.used), static_cast<unsigned>(a.size));
  return Status::Ok();
}
#endif

Result<std::uint16_t> Device::ApplyMeasurementConfig(const MeasurementConfig& next) {
  if (next.c37.port != config_.c37.port || next.c37.udp_port != config_.c37.udp_port) {
    return FailedPrecondition("the C37.118.2 ports change only at a restart");
  }
  const Result<bool> changed = pmu_.Apply(next);
  if (!changed.ok()) return changed.status();
  config_.c37 = next.c37;
  config_.waveform = next.waveform;
  if (*changed) c37_.ConfigurationChanged();
  return pmu_.model().config_count();
}


Status Device::StartFailed(const char* what, Status status) {
  PMU_LOG_ERROR(log_, kTag, "%s failed to start: %s", what, status.message());
  return status;
}

void Device::UpdateBootRecord() {
  BootRecord r{};
  hal::Storage& storage = board_.storage;
  if (storage.size() < sizeof(r)) return;
  if (!storage.Read(0, AsWritableBytes(&r, sizeof(r))).ok()) {
    PMU_LOG_WARN(log_, kTag, "storage unreadable; boot count not kept");
    return;
  }
  const bool valid = r.magic == BootRecord::kMagic && r.check == ~r.boots;
  boot_count_ = valid ? r.boots + 1 : 1;
  r = {BootRecord::kMagic, boot_count_, ~boot_count_};
  if (!storage.Write(0, AsBytes(&r, sizeof(r))).ok()) {
    PMU_LOG_WARN(log_, kTag, "storage write failed; boot count not kept");
    return;
  }
  PMU_LOG_INFO(log_, kTag, "boot number %" PRIu32, boot_count_);
}

void Device::LogLeftOut() {
  for (OptionalService service :
       {OptionalService::kBulletin, OptionalService::kWebSocket, OptionalService::kPlayback, OptionalService::kTls,
        OptionalService::kSntp, OptionalService::kPtpL2}) {
    if (!InImage(service)) {
      PMU_LOG_INFO(log_, kTag, "profile %s leaves %s out of this image", kProfileName, OptionalServiceName(service));
    }
  }
}

#if PMU_WITH_BULLETIN
void Device::DescribeState(void* context, BulletinText& text) {
  auto* self = static_cast<Device*>(context);
  text.Format("%s up %llu s, boot %" PRIu32 ", UTC %s, clock offset %+lld s; sessions: command %u/%u, "
              "echo %u/%u; resets answered %" PRIu32,
              self->config_.hostname.c_str(), static_cast<unsigned long long>(self->UptimeMs() / 1000),
              self->boot_count_, FormatIso8601(self->clock_.UtcNs(), 0).c_str(),
              static_cast<long long>(self->clock_.offset_ns() / 1'000'000'000),
              static_cast<unsigned>(self->command_.listener().sessions()), self->config_.command_max_clients,
              static_cast<unsigned>(self->echo_.listener().sessions()), self->config_.echo_max_clients,
              self->reset_.counters().answered);
  const Estimate& e = self->pmu_.last_estimate();
  const float v1 = std::sqrt(e.v1.re * e.v1.re + e.v1.im * e.v1.im);
  text.Format("; IDCODE %u: f %.3f Hz, ROCOF %+.3f Hz/s, V1 %.2f kV, %llu reports, PDCs %u+%u udp",
              self->config_.c37.idcode, static_cast<double>(e.frequency), static_cast<double>(e.rocof),
              static_cast<double>(v1) / 1000.0,
              static_cast<unsigned long long>(self->pmu_.measurement().counters().reports),
              static_cast<unsigned>(self->c37_.listener().sessions()),
              static_cast<unsigned>(self->c37_.udp_subscribers()));
}

#endif

void Device::Publish(void* context, const Estimate& estimate) {
  static_cast<Device*>(context)->c37_.Publish(estimate);
}

std::size_t Device::Poll() {
  const std::size_t frames = network_.Poll(clock_.MonotonicMs());
  pmu_.Tick();
  FollowAddresses();
  log_.Poll();
  return frames;
}

std::uint32_t Device::UsUntilNextTimer() const {
  const std::uint64_t stack = std::uint64_t{network_.MsUntilNextTimer()} * 1000;
  const std::uint32_t report = pmu_.UsUntilNextReport();
  return report < stack ? report : static_cast<std::uint32_t>(stack);
}

std::uint32_t Device::MsUntilNextTimer() const { return (UsUntilNextTimer() + 999) / 1000; }

void Device::FollowAddresses() {
  port::AddressEvent event;
  while (network_.NextAddressEvent(event)) {
    const AddressText text = FormatIpv6(event.address);
    if (event.kind == port::AddressEvent::Kind::kValid) {
      PMU_LOG_INFO(log_, kNetTag, "IPv6 address %s is valid", text.c_str());
    } else {
      PMU_LOG_ERROR(log_, kNetTag, "IPv6 address %s is a duplicate on the link; not used", text.c_str());
    }
  }
}

void Device::LogStats() {
  ReportReader report(stats_parts_);
  ReportLine line;
  for (std::size_t i = 0; report.Line(i, line); ++i) log_.LogRequested(LogLevel::kInfo, kStatsTag, "%s", line.c_str());
}

void Device::Shutdown() {
  LogStats();
  PMU_LOG_INFO(log_, kTag, "shutting down");
  network_.Stop();
}

}  // namespace pmu::firmware
