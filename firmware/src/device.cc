#include "pmu/firmware/device.h"

#include <cinttypes>
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
      bulletin_(context_) {
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
  if (s = command_.Start(config_.command_port, nullptr, limits, config_.command_max_clients, "cmd"); !s.ok()) {
    return StartFailed("command service", s);
  }
  if (s = reset_.Start(config_.reset_port); !s.ok()) return StartFailed("clock reset service", s);
  if (s = bulletin_.Start(netif_.raw(), &Device::DescribeState, this); !s.ok()) {
    return StartFailed("bulletin channel", s);
  }
  PMU_LOG_INFO(log_, "boot", "ready");
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
              static_cast<unsigned>(self->command_.active_sessions()), self->config_.command_max_clients,
              static_cast<unsigned>(self->echo_.active_sessions()), self->config_.echo_max_clients,
              self->reset_.counters().answered);
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
  WatchAddresses();
  return frames;
}

std::uint32_t Device::MsUntilNextTimer() const {
  const u32_t t = sys_timeouts_sleeptime();
  return t == SYS_TIMEOUTS_SLEEPTIME_INFINITE ? 1000u : static_cast<std::uint32_t>(t);
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
  PMU_LOG_INFO(log_, "stats", "sink datagrams=%" PRIu32 " bytes=%llu", s.datagrams, static_cast<unsigned long long>(s.bytes));
  const EchoCounters& e = echo_.counters();
  PMU_LOG_INFO(log_, "stats", "echo accepted=%" PRIu32 " refused=%" PRIu32 " timeouts=%" PRIu32 " active=%u bytes=%llu", e.accepted, e.refused,
               e.timeouts, static_cast<unsigned>(echo_.active_sessions()),
               static_cast<unsigned long long>(e.bytes_echoed));
  const ResetCounters& r = reset_.counters();
  PMU_LOG_INFO(log_, "stats",
               "reset received=%" PRIu32 " inactive_family=%" PRIu32 " lost=%" PRIu32 " malformed=%" PRIu32
               " answered=%" PRIu32 " duplicates=%" PRIu32 " advanced_s=%llu",
               r.received, r.inactive_family, r.lost, r.malformed, r.answered, r.duplicates,
               static_cast<unsigned long long>(r.advanced_s));
  const BulletinCounters& b = bulletin_.counters();
  PMU_LOG_INFO(log_, "stats", "mcast sent=%" PRIu32 " received=%" PRIu32 " dropped=%" PRIu32 " answers=%" PRIu32 " suppressed=%" PRIu32, b.sent, b.received,
               b.dropped, b.answers, b.suppressed);
  const CommandServiceCounters& c = command_.counters();
  PMU_LOG_INFO(log_, "stats",
               "cmd accepted=%" PRIu32 " refused=%" PRIu32 " completed=%" PRIu32 " errors=%" PRIu32 " timeouts=%" PRIu32
               " resets=%" PRIu32 " active=%u peak=%u bytes=%llu",
               c.accepted, c.refused, c.completed, c.errors, c.timeouts, c.resets,
               static_cast<unsigned>(command_.active_sessions()), static_cast<unsigned>(command_.peak_sessions()),
               static_cast<unsigned long long>(c.bytes_sent));
}

void Device::Shutdown() {
  LogStats();
  PMU_LOG_INFO(log_, "boot", "shutting down");
  netif_set_down(netif_.raw());
  g_diag_log = nullptr;
}

}  // namespace pmu::firmware
