#include "pmu/firmware/device.h"

#include <cinttypes>
#include <cmath>
#include <cstring>

#include "lwip/init.h"
#include "lwip/memp.h"
#include "lwip/netif.h"
#include "lwip/stats.h"
#include "lwip/timeouts.h"
#include "mbedtls/version.h"
#include "pmu/firmware/storage_records.h"
#include "pmu/port/tls_identity.h"
#include "pmu/base/civil_time.h"
#include "pmu/port/lwip_port.h"

namespace pmu::firmware {
namespace {

Logger* g_diag_log = nullptr;  // lwIP diagnostics go to the device log
void LwipDiagnostic(const char* line) {
  if (g_diag_log != nullptr) PMU_LOG_ERROR(*g_diag_log, "lwip", "%s", line);
}

// The C37.118.2 configuration record after the boot record: CFGCNT and a hash of the
// configuration it counted, so CFGCNT goes up when a restart changed the configuration.
struct C37Record {
  static constexpr std::uint32_t kMagic = 0x43333743;  // "C73C"
  static constexpr std::size_t kOffset = 64;
  std::uint32_t magic;
  std::uint32_t config_count;
  std::uint32_t hash;
  std::uint32_t check;  // ~(config_count ^ hash)
};

// The persistent boot record at the start of storage: a boot counter.
struct BootRecord {
  static constexpr std::uint32_t kMagic = 0x424D5550;  // "PUMB"
  std::uint32_t magic;
  std::uint32_t boots;
  std::uint32_t check;  // ~boots: tells a torn or erased record from a real one
};

port::NetifAddresses AddressesFrom(const DeviceConfig& c) {
  port::NetifAddresses a;
  a.ipv4_enabled = c.ipv4_enabled;
  a.ipv4 = c.ipv4;
  a.ipv4_prefix = c.ipv4_prefix;
  a.has_ipv4_gateway = c.has_ipv4_gateway;
  a.ipv4_gateway = c.ipv4_gateway;
  a.ipv6_enabled = c.ipv6_enabled;
  a.ipv6 = c.ipv6;
  return a;
}

// lwIP keeps pool names only in debug builds; take them from its pool list.
const char* const kPoolNames[] = {
#define LWIP_MEMPOOL(name, num, size, desc) #name,
#include "lwip/priv/memp_std.h"
};
static_assert(sizeof(kPoolNames) / sizeof(kPoolNames[0]) == MEMP_MAX);

// A TCP service's sessions as the statistics report shows them.
void ListenerSummary(Device::ReportLine& t, const port::TcpListenerBase& l) {
  const port::ListenerCounters& c = l.counters();
  t.Format("%s accepted=%u refused=%u active=%u peak=%u", l.options().tag, static_cast<unsigned>(c.accepted),
           static_cast<unsigned>(c.refused), static_cast<unsigned>(l.sessions()),
           static_cast<unsigned>(l.peak_sessions()));
}

Ipv6Address FromLwip(const ip6_addr_t* a) {
  Ipv6Address out;
  std::memcpy(out.octets.data(), a->addr, 16);
  return out;
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
      bulletin_(context_),
      websocket_(context_),
      tls_command_(context_),
      console_(context_, *this),
      candidate_(config),
      measurement_(clock_),
      c37_(context_, c37_pmu_) {
  log_.set_level(config_.log_level);
}

Status Device::Start() {
  PMU_LOG_INFO(log_, "boot", "PMU firmware %s on %s (lwIP %s, %s)", kFirmwareVersion, board_.name,
               LWIP_VERSION_STRING, MBEDTLS_VERSION_STRING_FULL);
  UpdateBootRecord();

  g_diag_log = &log_;
  Status s = port::BindLwip(board_.clock, board_.entropy, &LwipDiagnostic);
  if (!s.ok()) {
    PMU_LOG_ERROR(log_, "boot", "entropy source failed: %s", s.message());
    return s;
  }
  s = prng_.Seed(board_.entropy);
  if (!s.ok()) {
    PMU_LOG_ERROR(log_, "boot", "entropy source failed: %s", s.message());
    return s;
  }
  // mbedTLS's only heap, for TLS and for Fernet's HMAC alike.
  port::InitCryptoHeap(&Device::UtcSeconds, this);
  lwip_init();
  port::StartTcpGuard(config_.stall_timeout_s * 1000, &Device::TcpGuardLog, this);
  started_ms_ = clock_.MonotonicMs();

  s = netif_.Start(board_.link, AddressesFrom(config_), config_.hostname.c_str());
  if (!s.ok()) {
    PMU_LOG_ERROR(log_, "net", "network interface failed: %s", s.message());
    return s;
  }
  PMU_LOG_INFO(log_, "net", "host %s, MAC %s, link %s", config_.hostname.c_str(), FormatMac(board_.link.mac()).c_str(),
               netif_is_link_up(netif_.raw()) ? "up" : "down");
  if (config_.ipv4_enabled) {
    PMU_LOG_INFO(log_, "net", "IPv4 %s/%u%s%s", FormatIpv4(config_.ipv4).c_str(), config_.ipv4_prefix,
                 config_.has_ipv4_gateway ? " via " : "",
                 config_.has_ipv4_gateway ? FormatIpv4(config_.ipv4_gateway).c_str() : "");
  }
  if (config_.ipv6_enabled) {
    PMU_LOG_INFO(log_, "net", "IPv6 %s/%u and %s/64 (duplicate address detection running)",
                 FormatIpv6(config_.ipv6).c_str(), config_.ipv6_prefix,
                 FormatIpv6(FromLwip(netif_ip6_addr(netif_.raw(), 0))).c_str());
  }

  const CommandLimits limits{config_.short_count, config_.floodme_size, config_.floodme_max,
                             /*allow_time=*/false, /*error_line_feed=*/true};
  if (s = sink_.Start(config_.sink_port); !s.ok()) return StartFailed("UDP sink", s);
  if (s = echo_.Start(config_.echo_port, config_.echo_max_clients); !s.ok()) return StartFailed("TCP echo", s);
  if (s = command_.Start(config_.command_port, limits, config_.command_max_clients, "cmd"); !s.ok()) {
    return StartFailed("command service", s);
  }
  if (s = reset_.Start(config_.reset_port); !s.ok()) return StartFailed("clock reset service", s);
  if (s = bulletin_.Start(netif_.raw(), &Device::DescribeState, this); !s.ok()) {
    return StartFailed("bulletin channel", s);
  }
  if (s = websocket_.Start(config_.ws_port, limits, config_.ws_max_clients, config_.ws_max_message,
                           config_.ws_handshake_timeout_s * 1000);
      !s.ok()) {
    return StartFailed("WebSocket service", s);
  }
  if (s = StartTls(); !s.ok()) return StartFailed("TLS services", s);
  if (s = StartMeasurement(0); !s.ok()) return StartFailed("measurement", s);
  if (s = c37_.Start(); !s.ok()) return StartFailed("C37.118.2 service", s);
#if MEM_STATS
  resting_heap_ = lwip_stats.mem.used;
#endif
  PMU_LOG_INFO(log_, "boot", "ready");
  return Status::Ok();
}

namespace {
// PEM texts read from storage at boot and for `cert install` (main loop only).
char g_ca_pem[2048];
char g_cert_pem[2048];
char g_key_pem[1024];

Result<std::string_view> ReadPem(hal::Storage& storage, StorageRecord record, std::span<char> buffer) {
  const Result<std::size_t> n = ReadRecord(storage, record, AsWritableBytes(buffer.data(), buffer.size()));
  if (!n.ok()) return n.status();
  return std::string_view(buffer.data(), *n);
}
}  // namespace

std::int64_t Device::UtcSeconds(void* self) {
  return static_cast<Device*>(self)->clock_.UtcNs() / 1'000'000'000;
}

void Device::TcpGuardLog(void* self, const char* line) {
  PMU_LOG_WARN(static_cast<Device*>(self)->log_, "tcp", "%s", line);
}

void Device::TlsDiagnostic(void* self, const char* line) {
  PMU_LOG_WARN(static_cast<Device*>(self)->log_, "tls", "%s", line);
}

Status Device::StartTls() {
  const auto ca = ReadPem(board_.storage, StorageRecord::kTrustAnchor, g_ca_pem);
  const auto cert = ReadPem(board_.storage, StorageRecord::kDeviceCert, g_cert_pem);
  const auto key = ReadPem(board_.storage, StorageRecord::kDeviceKey, g_key_pem);
  if (!ca.ok() || !cert.ok() || !key.ok()) {
    PMU_LOG_WARN(log_, "tls", "no %s in storage: the TLS command service (%u) and the console (%u) are off",
                 !ca.ok() ? "trust anchor" : !cert.ok() ? "device certificate" : "device key", config_.tls_port,
                 config_.console_port);
    return Status::Ok();
  }
  PMU_TRY(port::InitTls(board_.entropy, &Device::TlsDiagnostic, this));
  port::TlsSessionGate::SetLimit(config_.tls_max_sessions);
  const auto auth = static_cast<port::ClientAuth>(config_.tls_client_auth);
  Status s = command_tls_.Init(*ca, *cert, *key, auth, config_.tls_allowed_clients.view(), "tls-cmd");
  if (s.ok()) {
    s = console_tls_.Init(*ca, *cert, *key, port::ClientAuth::kRequired, config_.tls_allowed_clients.view(),
                          "console");
  }
  std::memset(g_key_pem, 0, sizeof(g_key_pem));
  if (!s.ok()) {
    PMU_LOG_ERROR(log_, "tls", "TLS identity in storage unusable (%s): TLS services off", s.message());
    return Status::Ok();
  }
  const CommandLimits limits{config_.short_count, config_.floodme_size, config_.floodme_max,
                             /*allow_time=*/true, /*error_line_feed=*/true};
  const std::uint32_t handshake_ms = config_.tls_handshake_timeout_s * 1000;
  // The console keeps one TLS slot of its own; the command service has the others.
  PMU_TRY(tls_command_.Start(config_.tls_port, limits, config_.tls_max_sessions - 1u, "tls-cmd", &command_tls_,
                             handshake_ms));
  PMU_TRY(console_.Start(config_.console_port, console_tls_, handshake_ms));
  tls_ready_ = true;
  const port::TlsArenaStats a = port::GetTlsArenaStats();
  PMU_LOG_INFO(log_, "tls", "identity %s; client certificates on %u: %s; allowed: %s; arena %u of %u bytes in use",
               port::CommonName(command_tls_.certificate()).c_str(), config_.tls_port,
               TlsClientAuthName(config_.tls_client_auth), config_.tls_allowed_clients.c_str(),
               static_cast<unsigned>(a.used), static_cast<unsigned>(a.size));
  return Status::Ok();
}

Status Device::MakeCsr(FixedString<1536>& csr_pem) {
  if (!tls_ready_) return FailedPrecondition("no TLS identity");
  char csr[1024];
  std::size_t key_len = 0, csr_len = 0;
  PMU_TRY(port::MakeKeyAndCsr(config_.hostname.view(), g_key_pem, &key_len, csr, &csr_len));
  const Status s = WriteRecord(board_.storage, StorageRecord::kPendingKey, AsBytes(g_key_pem, key_len));
  std::memset(g_key_pem, 0, sizeof(g_key_pem));
  PMU_TRY(s);
  csr_pem.clear();
  csr_pem.Append(std::string_view(csr, csr_len));
  return Status::Ok();
}

Status Device::InstallCertificate(std::string_view cert_pem, FixedString<160>* why) {
  if (!tls_ready_) return FailedPrecondition("no TLS identity");
  const auto key = ReadPem(board_.storage, StorageRecord::kPendingKey, g_key_pem);
  if (!key.ok()) {
    why->Append("no pending key: run 'cert csr' first");
    return FailedPrecondition("no pending key");
  }
  Status s = port::CheckCertificateForKey(cert_pem, *key, console_tls_.trust_anchor(), why);
  if (s.ok()) s = WriteRecord(board_.storage, StorageRecord::kDeviceCert, AsBytes(cert_pem));
  if (s.ok()) s = WriteRecord(board_.storage, StorageRecord::kDeviceKey, AsBytes(*key));
  if (s.ok()) s = EraseRecord(board_.storage, StorageRecord::kPendingKey);
  if (s.ok()) s = command_tls_.ReplaceIdentity(cert_pem, *key);
  if (s.ok()) s = console_tls_.ReplaceIdentity(cert_pem, *key);
  std::memset(g_key_pem, 0, sizeof(g_key_pem));
  if (!s.ok() && why->empty()) why->Append(s.message());
  return s;
}

Status Device::SaveCandidateConfig(std::size_t* bytes) {
  if (const ConfigError e = ValidateConfig(candidate_); !e.ok()) return InvalidArgument(e.reason);
  // Static, not on the stack: the console calls this under the TLS stack, and the
  // board's main stack is 8 KiB (main loop only, so never re-entered).
  static FixedString<4000> text;
  text.clear();
  for (std::size_t i = 0; i < ConfigKeyCount(); ++i) {
    ConfigValueText v;
    ConfigValueAt(candidate_, i, v, /*reveal_secrets=*/true);
    text.Format("%s = %s\n", ConfigKeyName(i), v.c_str());
  }
  if (text.truncated()) return ResourceExhausted("configuration text too long for its storage slot");
  *bytes = text.size();
  return WriteRecord(board_.storage, StorageRecord::kConfig, AsBytes(text.view()));
}

Status Device::StartMeasurement(std::uint16_t config_count) {
  const C37Config& c = config_.c37;
  front_end_ = board_.analog;
  if (front_end_ == nullptr) {
    // The waveform's time zero is the current UTC second on the sample grid.
    const std::int64_t start = (clock_.UtcNs() / 1'000'000'000) * kSampleRate;
    if (config_.playback.source == AnalogSource::kSynthetic) {
      PMU_TRY(synthetic_.Configure(config_.waveform, c.nominal_hz, start));
      front_end_ = &synthetic_;
    } else {
      PMU_TRY(StartPlayback(start));
    }
  }
  const EstimatorSettings settings{c.nominal_hz, c.rate, c.measurement_class};
  PMU_TRY(measurement_.Configure(*front_end_, settings, c.emulated_delay_ms, &Device::OnEstimate, this));
  PMU_TRY(c37_pmu_.Configure(c, measurement_.estimator(), config_.waveform.voltage_rms, config_.waveform.current_rms,
                             config_count, board_.name, kFirmwareVersion));
  if (config_count == 0) {
    const std::uint16_t kept = KeepConfigCount();
    if (kept != 0) PMU_TRY(c37_pmu_.Configure(c, measurement_.estimator(), config_.waveform.voltage_rms,
                                              config_.waveform.current_rms, kept, board_.name, kFirmwareVersion));
  }
  const PhasorEstimator& e = measurement_.estimator();
  PMU_LOG_INFO(log_, "pmu", "%s front end, %u samples/s; %c class estimator, %u-sample window (%u cycles), "
               "latency %.1f ms; %u reports/s at %u Hz nominal",
               front_end_ == &synthetic_ ? "synthetic" : front_end_ == board_.analog ? "board"
                                                                       : AnalogSourceName(config_.playback.source),
               static_cast<unsigned>(front_end_->sample_rate()),
               c.measurement_class == MeasurementClass::kP ? 'P' : 'M', static_cast<unsigned>(e.window_size()),
               static_cast<unsigned>(e.cycles() * 2), e.half_span() * 1000.0 / front_end_->sample_rate(),
               static_cast<unsigned>(c.rate), static_cast<unsigned>(c.nominal_hz));
  return Status::Ok();
}

std::uint16_t Device::KeepConfigCount() {
  const std::uint32_t hash = c37_pmu_.DescriptionHash();
  C37Record r{};
  hal::Storage& storage = board_.storage;
  if (storage.size() < C37Record::kOffset + sizeof(r)) return 0;
  if (!storage.Read(C37Record::kOffset, AsWritableBytes(&r, sizeof(r))).ok()) return 0;
  const bool valid = r.magic == C37Record::kMagic && r.check == ~(r.config_count ^ r.hash);
  std::uint32_t count = valid ? r.config_count : 0;
  if (valid && r.hash == hash) return static_cast<std::uint16_t>(count);
  if (valid) ++count;
  count &= 0xFFFF;
  r = {C37Record::kMagic, count, hash, ~(count ^ hash)};
  if (!storage.Write(C37Record::kOffset, AsBytes(&r, sizeof(r))).ok()) {
    PMU_LOG_WARN(log_, "pmu", "storage write failed; CFGCNT not kept");
  }
  return static_cast<std::uint16_t>(count);
}

void Device::OnEstimate(void* context, const Estimate& estimate) {
  auto* self = static_cast<Device*>(context);
  self->last_estimate_ = estimate;
  self->c37_.Publish(estimate);
}

std::uint16_t Device::c37_config_count() const { return c37_pmu_.config_count(); }

Status Device::ApplyMeasurementConfig(const C37Config& c37, const WaveformConfig& waveform) {
  if (c37.port != config_.c37.port || c37.udp_port != config_.c37.udp_port) {
    return FailedPrecondition("the C37.118.2 ports change only at a restart");
  }
  const bool description_changed = !(c37 == config_.c37);
  const C37Config old_c37 = config_.c37;
  const WaveformConfig old_waveform = config_.waveform;
  config_.c37 = c37;
  config_.waveform = waveform;
  const auto count = static_cast<std::uint16_t>(c37_pmu_.config_count() + (description_changed ? 1 : 0));
  if (Status s = StartMeasurement(count); !s.ok()) {
    config_.c37 = old_c37;
    config_.waveform = old_waveform;
    (void)StartMeasurement(c37_pmu_.config_count());
    PMU_LOG_ERROR(log_, "pmu", "new measurement configuration refused: %s", s.message());
    return s;
  }
  if (description_changed) {
    (void)KeepConfigCount();
    c37_.ConfigurationChanged();
  } else {
    PMU_LOG_INFO(log_, "pmu", "waveform changed; the PMU's configuration (CFGCNT %u) did not",
                 c37_pmu_.config_count());
  }
  return Status::Ok();
}

Status Device::StartFailed(const char* what, Status status) {
  PMU_LOG_ERROR(log_, "boot", "%s failed to start: %s", what, status.message());
  return status;
}

void Device::UpdateBootRecord() {
  BootRecord r{};
  hal::Storage& storage = board_.storage;
  if (storage.size() < sizeof(r)) return;
  if (!storage.Read(0, AsWritableBytes(&r, sizeof(r))).ok()) {
    PMU_LOG_WARN(log_, "boot", "storage unreadable; boot count not kept");
    return;
  }
  const bool valid = r.magic == BootRecord::kMagic && r.check == ~r.boots;
  boot_count_ = valid ? r.boots + 1 : 1;
  r = {BootRecord::kMagic, boot_count_, ~boot_count_};
  if (!storage.Write(0, AsBytes(&r, sizeof(r))).ok()) {
    PMU_LOG_WARN(log_, "boot", "storage write failed; boot count not kept");
    return;
  }
  PMU_LOG_INFO(log_, "boot", "boot number %" PRIu32, boot_count_);
}

void Device::DescribeState(void* context, BulletinText& text) {
  auto* self = static_cast<Device*>(context);
  const std::uint64_t up_s = (self->clock_.MonotonicMs() - self->started_ms_) / 1000;
  text.Format("%s up %llu s, boot %" PRIu32 ", UTC %s, clock offset %+lld s; sessions: command %u/%u, "
              "echo %u/%u; resets answered %" PRIu32,
              self->config_.hostname.c_str(), static_cast<unsigned long long>(up_s), self->boot_count_,
              FormatIso8601(self->clock_.UtcNs(), 0).c_str(),
              static_cast<long long>(self->clock_.offset_ns() / 1'000'000'000),
              static_cast<unsigned>(self->command_.listener().sessions()), self->config_.command_max_clients,
              static_cast<unsigned>(self->echo_.listener().sessions()), self->config_.echo_max_clients,
              self->reset_.counters().answered);
  const Estimate& e = self->last_estimate_;
  const float v1 = std::sqrt(e.v1.re * e.v1.re + e.v1.im * e.v1.im);
  text.Format("; IDCODE %u: f %.3f Hz, ROCOF %+.3f Hz/s, V1 %.2f kV, %llu reports, PDCs %u+%u udp",
              self->config_.c37.idcode, static_cast<double>(e.frequency), static_cast<double>(e.rocof),
              static_cast<double>(v1) / 1000.0, static_cast<unsigned long long>(self->measurement_.counters().reports),
              static_cast<unsigned>(self->c37_.listener().sessions()), static_cast<unsigned>(self->c37_.udp_subscribers()));
}

std::size_t Device::Poll() {
  // Bounded per pass so timers run even under a flood of frames.
  const std::size_t frames = netif_.PollInput(64);
  const std::uint64_t now = clock_.MonotonicMs();
  if (now >= next_link_check_ms_) {
    netif_.PollLinkState();
    next_link_check_ms_ = now + 500;
  }
  sys_check_timeouts();
  measurement_.Tick();
  WatchAddresses();
  return frames;
}

std::uint32_t Device::MsUntilNextTimer() const {
  const u32_t t = sys_timeouts_sleeptime();
  const std::uint32_t lwip = t == SYS_TIMEOUTS_SLEEPTIME_INFINITE ? 1000u : static_cast<std::uint32_t>(t);
  const std::uint32_t report = measurement_.MsUntilNextReport();
  return report < lwip ? report : lwip;
}

void Device::WatchAddresses() {
  if (!config_.ipv6_enabled) return;
  netif* nif = netif_.raw();
  for (int i = 0; i < 3 && i < LWIP_IPV6_NUM_ADDRESSES; ++i) {
    const std::uint8_t state = netif_ip6_addr_state(nif, i);
    if (state == ipv6_state_[i]) continue;
    ipv6_state_[i] = state;
    const AddressText text = FormatIpv6(FromLwip(netif_ip6_addr(nif, i)));
    if (ip6_addr_isvalid(state)) {
      PMU_LOG_INFO(log_, "net", "IPv6 address %s is valid", text.c_str());
    } else if (ip6_addr_isduplicated(state)) {
      PMU_LOG_ERROR(log_, "net", "IPv6 address %s is a duplicate on the link; not used", text.c_str());
    }
  }
}

namespace {
// Counters are std::uint32_t, which is unsigned long on the Cortex-M3 toolchain and
// unsigned int on the host: printed as unsigned either way.
unsigned U(std::uint32_t v) { return static_cast<unsigned>(v); }
}  // namespace

bool Device::StatsLine(std::size_t index, ReportLine& t) {
  std::size_t k = index;
#if MEM_STATS
  if (k == 0) {
    // resting: what was in use when the device became ready and stays for its lifetime
    // (lwIP's altcp_tls takes the TLS servers' configurations from its heap).
    t.Format("heap used=%u peak=%u size=%u failures=%u resting=%u", static_cast<unsigned>(lwip_stats.mem.used),
             static_cast<unsigned>(lwip_stats.mem.max), static_cast<unsigned>(lwip_stats.mem.avail),
             static_cast<unsigned>(lwip_stats.mem.err), static_cast<unsigned>(resting_heap_));
    return true;
  }
  --k;
#endif
#if MEMP_STATS
  if (k < MEMP_MAX) {
    const stats_mem* m = lwip_stats.memp[k];
    t.Format("pool %s used=%u peak=%u size=%u failures=%u", kPoolNames[k], static_cast<unsigned>(m->used),
             static_cast<unsigned>(m->max), static_cast<unsigned>(m->avail), static_cast<unsigned>(m->err));
    return true;
  }
  k -= MEMP_MAX;
#endif
  switch (k) {
    case 0: {
      const port::LinkCounters& l = netif_.counters();
      t.Format("link rx=%llu frames/%llu bytes (dropped %llu) tx=%llu frames/%llu bytes (dropped %llu)",
               static_cast<unsigned long long>(l.rx_frames), static_cast<unsigned long long>(l.rx_bytes),
               static_cast<unsigned long long>(l.rx_dropped), static_cast<unsigned long long>(l.tx_frames),
               static_cast<unsigned long long>(l.tx_bytes), static_cast<unsigned long long>(l.tx_dropped));
      return true;
    }
    case 1: {
      const SinkCounters& c = sink_.counters();
      t.Format("sink datagrams=%u bytes=%llu", U(c.datagrams), static_cast<unsigned long long>(c.bytes));
      return true;
    }
    case 2: {
      const EchoCounters& e = echo_.counters();
      ListenerSummary(t, echo_.listener());
      t.Format(" timeouts=%u bytes=%llu", U(e.timeouts), static_cast<unsigned long long>(e.bytes_echoed));
      return true;
    }
    case 3: {
      const ResetCounters& r = reset_.counters();
      t.Format("reset received=%u inactive_family=%u lost=%u malformed=%u answered=%u duplicates=%u "
               "advanced_s=%llu fernet_rejected=%u",
               U(r.received), U(r.inactive_family), U(r.lost), U(r.malformed), U(r.answered), U(r.duplicates),
               static_cast<unsigned long long>(r.advanced_s), U(r.fernet_rejected));
      return true;
    }
    case 4: {
      const BulletinCounters& b = bulletin_.counters();
      t.Format("mcast sent=%u received=%u dropped=%u answers=%u suppressed=%u", U(b.sent), U(b.received), U(b.dropped),
               U(b.answers), U(b.suppressed));
      return true;
    }
    case 5: {
      const port::TlsArenaStats a = port::GetTlsArenaStats();
      t.Format("tls arena size=%u used=%u peak=%u blocks=%u sessions=%u/%u", static_cast<unsigned>(a.size),
               static_cast<unsigned>(a.used), static_cast<unsigned>(a.peak), static_cast<unsigned>(a.blocks),
               static_cast<unsigned>(port::TlsSessionGate::active()),
               static_cast<unsigned>(port::TlsSessionGate::limit()));
      return true;
    }
    case 6:
    case 7: {
      const CommandService& svc = k == 6 ? tls_command_ : command_;
      const CommandServiceCounters& c = svc.counters();
      ListenerSummary(t, svc.listener());
      t.Format(" completed=%u errors=%u timeouts=%u bytes=%llu", U(c.completed), U(c.errors), U(c.timeouts),
               static_cast<unsigned long long>(c.bytes_sent));
      return true;
    }
    case 8: {
      const ConsoleCounters& c = console_.counters();
      ListenerSummary(t, console_.listener());
      t.Format(" commands=%u errors=%u", U(c.commands), U(c.errors));
      return true;
    }
    case 9: {
      const WebSocketCounters& w = websocket_.counters();
      ListenerSummary(t, websocket_.listener());
      t.Format(" upgraded=%u rejected=%u completed=%u errors=%u protocol_errors=%u peer_closes=%u timeouts=%u "
               "resets=%u pings=%u frames=%llu bytes=%llu",
               U(w.upgraded), U(w.rejected), U(w.completed), U(w.errors), U(w.protocol_errors), U(w.peer_closes),
               U(w.timeouts), U(w.resets), U(w.pings), static_cast<unsigned long long>(w.frames_sent),
               static_cast<unsigned long long>(w.bytes_sent));
      return true;
    }
    case 10: {
      const C37Counters& c = c37_.counters();
      ListenerSummary(t, c37_.listener());
      t.Format(" commands=%u ignored=%u rejected=%u udp_commands=%u udp_subscribers=%u udp_expired=%u data=%llu "
               "dropped=%llu config=%u header=%u cfgcnt=%u",
               U(c.commands), U(c.ignored_frames), U(c.rejected_frames), U(c.udp_commands),
               static_cast<unsigned>(c37_.udp_subscribers()), U(c.udp_expired),
               static_cast<unsigned long long>(c.data_frames), static_cast<unsigned long long>(c.data_dropped),
               U(c.config_frames), U(c.header_frames), static_cast<unsigned>(c37_pmu_.config_count()));
      return true;
    }
    case 11: {
      const MeasurementCounters& m = measurement_.counters();
      t.Format("measurement reports=%llu skipped=%llu read_errors=%llu estimator_mean_ns=%llu estimator_max_ns=%llu "
               "acquisition_mean_ns=%llu invalid=%llu",
               static_cast<unsigned long long>(m.reports), static_cast<unsigned long long>(m.skipped),
               static_cast<unsigned long long>(m.read_errors),
               static_cast<unsigned long long>(m.reports ? m.estimator_ns / m.reports : 0),
               static_cast<unsigned long long>(m.estimator_max_ns),
               static_cast<unsigned long long>(m.reports ? m.acquisition_ns / m.reports : 0),
               static_cast<unsigned long long>(m.invalid));
      return true;
    }
    case 12: {
      const C37Counters& c = c37_.counters();
      t.Format("c37 drops queue=%llu room=%llu memory=%llu", static_cast<unsigned long long>(c.dropped_queue),
               static_cast<unsigned long long>(c.dropped_room), static_cast<unsigned long long>(c.dropped_memory));
      return true;
    }
    case 13: {
      const port::TcpGuardStats g = port::GetTcpGuardStats();
      t.Format("tcp tracked=%u peak=%u accept_without_pcb=%u time_wait_reused=%u pinned_peers=%u",
               static_cast<unsigned>(g.tracked), static_cast<unsigned>(g.tracked_peak), U(g.accept_without_pcb),
               U(g.time_wait_reused), static_cast<unsigned>(g.pinned_peers));
      return true;
    }
    default:
      break;
  }
  // One line per TCP service from the connection layer, and one per TLS service.
  const port::TcpListenerBase* listeners[] = {&echo_.listener(), &command_.listener(), &websocket_.listener(),
                                              &tls_command_.listener(), &console_.listener(), &c37_.listener()};
  constexpr std::size_t kListeners = sizeof(listeners) / sizeof(listeners[0]);
  k -= 14;
  if (k < kListeners) {
    const port::TcpListenerBase& l = *listeners[k];
    const port::TcpBudget& b = l.budget();
    const port::ListenerCounters& c = l.counters();
    t.Format("tcp %s pcbs<=%u syn_dropped=%u evicted=%u expired=%u stalled=%u lingered=%u reset_by_peer=%u "
             "input_overflows=%u queued=%u",
             l.options().tag, static_cast<unsigned>(b.max_pcbs), U(b.syn_dropped), U(b.half_open_evicted),
             U(b.half_open_expired), U(b.stalled), U(b.lingered), U(c.ended_by_peer), U(c.input_overflows),
             static_cast<unsigned>(l.queued_bytes()));
    return true;
  }
  k -= kListeners;
  if (k < 2) {
    const port::TcpListenerBase& l = k == 0 ? tls_command_.listener() : console_.listener();
    const port::ListenerCounters& c = l.counters();
    t.Format("tls %s handshake_timeouts=%u evicted_in_handshake=%u oversized_records=%u", l.options().tag,
             U(c.tls_handshake_timeouts), U(c.tls_evicted), U(c.tls_oversized_records));
    return true;
  }
  if (k == 2) {
    t.Append("end of report");
    return true;
  }
  return false;
}

bool Device::InterfaceLine(std::size_t index, ReportLine& t) {
  netif* nif = netif_.raw();
  switch (index) {
    case 0:
      t.Format("%c%c%u: MAC %s, link %s, MTU %u", nif->name[0], nif->name[1], nif->num,
               FormatMac(config_.mac).c_str(), netif_is_link_up(nif) ? "up" : "down", nif->mtu);
      return true;
    case 1:
      if (config_.ipv4_enabled) {
        t.Format("IPv4 %s/%u gateway %s", FormatIpv4(config_.ipv4).c_str(), config_.ipv4_prefix,
                 config_.has_ipv4_gateway ? FormatIpv4(config_.ipv4_gateway).c_str() : "none");
      } else {
        t.Append("IPv4 disabled");
      }
      return true;
    default: {
      const std::size_t slot = index - 2;
      if (!config_.ipv6_enabled) {
        if (slot == 0) {
          t.Append("IPv6 disabled");
          return true;
        }
        return false;
      }
      if (slot >= LWIP_IPV6_NUM_ADDRESSES) return false;
      const std::uint8_t state = netif_ip6_addr_state(nif, static_cast<s8_t>(slot));
      if (ip6_addr_isinvalid(state)) {
        t.Format("IPv6 slot %u: unused", static_cast<unsigned>(slot));
        return true;
      }
      t.Format("IPv6 %s (%s)", FormatIpv6(FromLwip(netif_ip6_addr(nif, slot))).c_str(),
               ip6_addr_isvalid(state)       ? "valid"
               : ip6_addr_istentative(state) ? "tentative"
               : ip6_addr_isduplicated(state) ? "duplicate"
                                              : "other");
      return true;
    }
  }
}

void Device::LogStats() {
  ReportLine line;
  for (std::size_t i = 0; StatsLine(i, line); ++i) {
    PMU_LOG_INFO(log_, "stats", "%s", line.c_str());
    line.clear();
  }
}

void Device::Shutdown() {
  LogStats();
  PMU_LOG_INFO(log_, "boot", "shutting down");
  netif_set_down(netif_.raw());
  g_diag_log = nullptr;
}

}  // namespace pmu::firmware
