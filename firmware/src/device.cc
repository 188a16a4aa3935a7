#include "pmu/firmware/device.h"

#include <cmath>
#include <cstring>

#include "lwip/init.h"
#include "lwip/memp.h"
#include "lwip/netif.h"
#include "lwip/stats.h"
#include "lwip/timeouts.h"
#include "mbedtls/version.h"
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
      measurement_(clock_),
      c37_(context_) {
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
  lwip_init();
  started_ms_ = clock_.MonotonicMs();

  s = netif_.Start(board_.link, AddressesFrom(config_), config_.hostname.c_str());
  if (!s.ok()) {
    PMU_LOG_ERROR(log_, "net", "network interface failed: %s", s.message());
    return s;
  }
  PMU_LOG_INFO(log_, "net", "host %s, MAC %s, link %s", config_.hostname.c_str(), FormatMac(config_.mac).c_str(),
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
  if (s = command_.Start(config_.command_port, nullptr, limits, config_.command_max_clients, "cmd"); !s.ok()) {
    return StartFailed("command service", s);
  }
  if (s = reset_.Start(config_.reset_port); !s.ok()) return StartFailed("clock reset service", s);
  if (s = bulletin_.Start(netif_.raw(), &Device::DescribeState, this); !s.ok()) {
    return StartFailed("bulletin channel", s);
  }
  if (s = StartMeasurement(0); !s.ok()) return StartFailed("measurement", s);
  if (s = c37_.Start(c37_pmu_); !s.ok()) return StartFailed("C37.118.2 service", s);
  PMU_LOG_INFO(log_, "boot", "ready");
  return Status::Ok();
}

Status Device::StartMeasurement(std::uint16_t config_count) {
  const C37Config& c = config_.c37;
  front_end_ = board_.analog;
  if (front_end_ == nullptr) {
    // The waveform's time zero is the current UTC second on the sample grid.
    const std::int64_t start = (clock_.UtcNs() / 1'000'000'000) * kSampleRate;
    PMU_TRY(synthetic_.Configure(config_.waveform, c.nominal_hz, start));
    front_end_ = &synthetic_;
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
               front_end_ == &synthetic_ ? "synthetic" : "board", front_end_->sample_rate(),
               c.measurement_class == MeasurementClass::kP ? 'P' : 'M', static_cast<unsigned>(e.window_size()),
               e.cycles() * 2, e.half_span() * 1000.0 / front_end_->sample_rate(), c.rate, c.nominal_hz);
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

Status Device::ApplyMeasurementConfig(const C37Config& c37, const WaveformConfig& waveform) {
  if (c37.port != config_.c37.port || c37.udp_port != config_.c37.udp_port) {
    return FailedPrecondition("the C37.118.2 ports change only at a restart");
  }
  const bool description_changed = !(c37 == config_.c37);
  const C37Config old_c37 = config_.c37;
  const WaveformConfig old_waveform = config_.waveform;
  config_.c37 = c37;
  config_.waveform = waveform;
  const std::uint16_t count = c37_pmu_.config_count() + (description_changed ? 1 : 0);
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
  PMU_LOG_INFO(log_, "boot", "boot number %u", boot_count_);
}

void Device::DescribeState(void* context, BulletinText& text) {
  auto* self = static_cast<Device*>(context);
  const std::uint64_t up_s = (self->clock_.MonotonicMs() - self->started_ms_) / 1000;
  text.Format("%s up %llu s, boot %u, UTC %s, clock offset %+lld s; sessions: command %u/%u, echo %u/%u; "
              "resets answered %u",
              self->config_.hostname.c_str(), static_cast<unsigned long long>(up_s), self->boot_count_,
              FormatIso8601(self->clock_.UtcNs(), 0).c_str(),
              static_cast<long long>(self->clock_.offset_ns() / 1'000'000'000),
              static_cast<unsigned>(self->command_.active_sessions()), self->config_.command_max_clients,
              static_cast<unsigned>(self->echo_.active_sessions()), self->config_.echo_max_clients,
              self->reset_.counters().answered);
  const Estimate& e = self->last_estimate_;
  const float v1 = std::sqrt(e.v1.re * e.v1.re + e.v1.im * e.v1.im);
  text.Format("; IDCODE %u: f %.3f Hz, ROCOF %+.3f Hz/s, V1 %.2f kV, %llu reports, PDCs %u+%u udp",
              self->config_.c37.idcode, static_cast<double>(e.frequency), static_cast<double>(e.rocof),
              static_cast<double>(v1) / 1000.0, static_cast<unsigned long long>(self->measurement_.counters().reports),
              static_cast<unsigned>(self->c37_.active_sessions()), static_cast<unsigned>(self->c37_.udp_subscribers()));
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

void Device::LogStats() {
#if MEM_STATS
  PMU_LOG_INFO(log_, "stats", "heap used=%u peak=%u size=%u failures=%u", static_cast<unsigned>(lwip_stats.mem.used),
               static_cast<unsigned>(lwip_stats.mem.max), static_cast<unsigned>(lwip_stats.mem.avail),
               static_cast<unsigned>(lwip_stats.mem.err));
#endif
#if MEMP_STATS
  for (int i = 0; i < MEMP_MAX; ++i) {
    const stats_mem* m = lwip_stats.memp[i];
    if (m == nullptr) continue;
    PMU_LOG_INFO(log_, "stats", "pool %s used=%u peak=%u size=%u failures=%u", kPoolNames[i],
                 static_cast<unsigned>(m->used), static_cast<unsigned>(m->max), static_cast<unsigned>(m->avail),
                 static_cast<unsigned>(m->err));
  }
#endif
  const port::LinkCounters& l = netif_.counters();
  PMU_LOG_INFO(log_, "stats", "link rx=%llu frames/%llu bytes (dropped %llu) tx=%llu frames/%llu bytes (dropped %llu)",
               static_cast<unsigned long long>(l.rx_frames), static_cast<unsigned long long>(l.rx_bytes),
               static_cast<unsigned long long>(l.rx_dropped), static_cast<unsigned long long>(l.tx_frames),
               static_cast<unsigned long long>(l.tx_bytes), static_cast<unsigned long long>(l.tx_dropped));
  const SinkCounters& s = sink_.counters();
  PMU_LOG_INFO(log_, "stats", "sink datagrams=%u bytes=%llu", s.datagrams, static_cast<unsigned long long>(s.bytes));
  const EchoCounters& e = echo_.counters();
  PMU_LOG_INFO(log_, "stats", "echo accepted=%u refused=%u timeouts=%u active=%u bytes=%llu", e.accepted, e.refused,
               e.timeouts, static_cast<unsigned>(echo_.active_sessions()),
               static_cast<unsigned long long>(e.bytes_echoed));
  const ResetCounters& r = reset_.counters();
  PMU_LOG_INFO(log_, "stats",
               "reset received=%u inactive_family=%u lost=%u malformed=%u answered=%u duplicates=%u advanced_s=%llu",
               r.received, r.inactive_family, r.lost, r.malformed, r.answered, r.duplicates,
               static_cast<unsigned long long>(r.advanced_s));
  const BulletinCounters& b = bulletin_.counters();
  PMU_LOG_INFO(log_, "stats", "mcast sent=%u received=%u dropped=%u answers=%u suppressed=%u", b.sent, b.received,
               b.dropped, b.answers, b.suppressed);
  const CommandServiceCounters& c = command_.counters();
  PMU_LOG_INFO(log_, "stats",
               "cmd accepted=%u refused=%u completed=%u errors=%u timeouts=%u resets=%u active=%u peak=%u bytes=%llu",
               c.accepted, c.refused, c.completed, c.errors, c.timeouts, c.resets,
               static_cast<unsigned>(command_.active_sessions()), static_cast<unsigned>(command_.peak_sessions()),
               static_cast<unsigned long long>(c.bytes_sent));
  const C37Counters& k = c37_.counters();
  PMU_LOG_INFO(log_, "stats",
               "c37 accepted=%u refused=%u active=%u commands=%u ignored=%u rejected=%u timeouts=%u udp_commands=%u "
               "udp_subscribers=%u data=%llu dropped=%llu config=%u header=%u cfgcnt=%u",
               k.accepted, k.refused, static_cast<unsigned>(c37_.active_sessions()), k.commands, k.ignored_frames,
               k.rejected_frames, k.timeouts, k.udp_commands, static_cast<unsigned>(c37_.udp_subscribers()),
               static_cast<unsigned long long>(k.data_frames), static_cast<unsigned long long>(k.data_dropped),
               k.config_frames, k.header_frames, c37_pmu_.config_count());
  const MeasurementCounters& m = measurement_.counters();
  PMU_LOG_INFO(log_, "stats",
               "measurement reports=%llu skipped=%llu read_errors=%llu estimator_mean_ns=%llu estimator_max_ns=%llu "
               "acquisition_mean_ns=%llu",
               static_cast<unsigned long long>(m.reports), static_cast<unsigned long long>(m.skipped),
               static_cast<unsigned long long>(m.read_errors),
               static_cast<unsigned long long>(m.reports ? m.estimator_ns / m.reports : 0),
               static_cast<unsigned long long>(m.estimator_max_ns),
               static_cast<unsigned long long>(m.reports ? m.acquisition_ns / m.reports : 0));
}

void Device::Shutdown() {
  LogStats();
  PMU_LOG_INFO(log_, "boot", "shutting down");
  netif_set_down(netif_.raw());
  g_diag_log = nullptr;
}

}  // namespace pmu::firmware
