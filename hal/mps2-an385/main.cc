// The PMU firmware on the ARM MPS2+ AN385: the board is just another hal::Board, so
// the firmware above it is the simulator's, unchanged. This file is the composition
// root, like sim/main.cc for the simulator: it starts the clocks and UART, reads the
// configuration from the config area, brings up the LAN9118, seeds the DRBG, builds
// the hal::Board and runs the firmware's main loop, sleeping in WFI when there is
// nothing to do.
#include <cinttypes>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <new>
#include <string_view>

#include "console.h"
#include "pmu/base/civil_time.h"
#include "pmu/firmware/config.h"
#include "pmu/firmware/device.h"
#include "pmu/firmware/storage_records.h"
#include "pmu/hal/mps2/board_memory.h"
#include "pmu/hal/mps2/entropy_sources.h"
#include "pmu/hal/mps2/lan9118_link.h"
#include "pmu/hal/mps2/read_only_area.h"
#include "pmu/hal/mps2/region_storage.h"
#include "pmu/hal/mps2/runtime.h"
#include "pmu/hal/mps2/systick_clock.h"
#include "pmu/hal/mps2/uart.h"
#include "pmu/port/drbg_entropy.h"

#ifndef PMU_BOARD_FALLBACK_UTC_S
#error "PMU_BOARD_FALLBACK_UTC_S (the UTC to start from without a host) comes from CMake"
#endif

namespace {

using namespace pmu;
using namespace pmu::hal::mps2;
using firmware::ConfigError;
using firmware::DeviceConfig;

// An object built at a chosen moment in static storage and never destroyed: the
// firmware has no heap, and these must not be on the stack.
template <typename T>
class Static {
 public:
  template <typename... Args>
  T& Emplace(Args&&... args) {
    return *new (storage_) T(static_cast<Args&&>(args)...);
  }
  T& operator*() { return *std::launder(static_cast<T*>(static_cast<void*>(storage_))); }

 private:
  alignas(T) unsigned char storage_[sizeof(T)];
};

SysTickClock g_clock;
UartLogSink g_log_sink;
RegionStorage g_storage;
TimerNoise g_noise;
Static<Lan9118Link> g_link;
Static<port::DrbgEntropy> g_entropy;
Static<firmware::Device> g_device;
Static<SerialConsole> g_console;
DeviceConfig g_config;

// A line on UART0 outside the device log (the banner, start-up problems).
__attribute__((format(printf, 1, 2))) void Say(const char* format, ...) {
  char text[160];
  va_list args;
  va_start(args, format);
  const int n = std::vsnprintf(text, sizeof(text), format, args);
  va_end(args);
  if (n < 0) return;
  Uart0::Write(std::string_view(text, static_cast<std::size_t>(n) < sizeof(text) ? static_cast<std::size_t>(n)
                                                                                 : sizeof(text) - 1));
  Uart0::Write("\r\n");
}

unsigned KiB(std::uintptr_t bytes) { return static_cast<unsigned>((bytes + 1023) / 1024); }

// The configuration text in the config area ends at the first NUL or erased (0xFF)
// byte, or at the end of the area.
std::string_view ConfigText() {
  const MemoryArea area = ConfigArea();
  const auto* p = reinterpret_cast<const char*>(area.base);
  std::size_t n = 0;
  while (n < area.size && p[n] != '\0' && p[n] != '\xFF') ++n;
  return {p, n};
}

std::string_view Line(std::string_view text, unsigned number) {
  for (unsigned i = 1; !text.empty(); ++i) {
    const std::size_t end = text.find('\n');
    const std::string_view line = text.substr(0, end);
    if (i == number) return line.substr(0, line.find('\r'));
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return {};
}

// Reads and validates the configuration; on any error, reports it and keeps the
// defaults (a device that cannot be reached is worse than one with default addresses).
struct ConfigOutcome {
  std::size_t text_bytes = 0;
  bool from_storage = false;
  ConfigError error;
};

ConfigOutcome LoadConfig(DeviceConfig& config) {
  ConfigOutcome out;
  const std::string_view text = ConfigText();
  out.text_bytes = text.size();
  if (text.empty()) return out;
  DeviceConfig parsed;
  ConfigError e = firmware::ParseConfigText(text, parsed);
  if (e.ok()) e = firmware::ValidateConfig(parsed);
  if (!e.ok()) {
    out.error = e;
    return out;
  }
  config = parsed;
  out.from_storage = true;
  return out;
}

// The configuration saved by the console's 'config save' (a storage record) replaces
// the config area's: the config area is what the board was flashed with, the saved one
// what its operator chose since. A damaged or invalid record is ignored and reported.
struct SavedOutcome {
  std::size_t bytes = 0;
  bool applied = false;
  ConfigError error;
};

SavedOutcome ApplySavedConfig(DeviceConfig& config) {
  SavedOutcome out;
  static char text[4096];
  const Result<std::size_t> n = firmware::ReadRecord(g_storage, firmware::StorageRecord::kConfig,
                                                     AsWritableBytes(text, sizeof(text)));
  if (!n.ok()) return out;
  out.bytes = *n;
  DeviceConfig parsed = config;
  ConfigError e = firmware::ParseConfigText(std::string_view(text, *n), parsed);
  if (e.ok()) e = firmware::ValidateConfig(parsed);
  if (!e.ok()) {
    out.error = e;
    return out;
  }
  config = parsed;
  out.applied = true;
  return out;
}

// The certs area holds the board's factory TLS identity as PEM text ending at a NUL or
// an erased byte: the CA certificate, the device certificate, then the device's private
// key (pmu-netns --pki writes it so). At boot it goes into storage unless storage
// already holds a device certificate (one installed through the console's CSR flow
// must survive reboots). Returns what happened, for the log.
const char* ProvisionFromCertsArea() {
  const MemoryArea area = CertsArea();
  const auto* p = reinterpret_cast<const char*>(area.base);
  std::size_t size = 0;
  while (size < area.size && p[size] != '\0' && p[size] != '\xFF') ++size;
  std::string_view text(p, size);
  if (text.find("-----BEGIN ") == std::string_view::npos) return nullptr;  // nothing provisioned
  char probe[8];
  if (firmware::ReadRecord(g_storage, firmware::StorageRecord::kDeviceCert, AsWritableBytes(probe, sizeof(probe)))
          .status()
          .code() != StatusCode::kNotFound) {
    return "storage already holds a device certificate; the certs area's identity is not applied";
  }
  // Three PEM blocks, each from its BEGIN line through its END line.
  std::string_view blocks[3];
  for (std::string_view& block : blocks) {
    const std::size_t begin = text.find("-----BEGIN ");
    const std::size_t end_line = begin == std::string_view::npos ? begin : text.find("-----END ", begin);
    const std::size_t end = end_line == std::string_view::npos ? end_line : text.find("-----", end_line + 9);
    if (end == std::string_view::npos) return "the certs area does not hold three PEM blocks; no TLS identity";
    block = text.substr(begin, end + 5 - begin);
    text.remove_prefix(end + 5);
  }
  if (blocks[0].find("-----BEGIN CERTIFICATE-----") != 0 || blocks[1].find("-----BEGIN CERTIFICATE-----") != 0 ||
      blocks[2].find("PRIVATE KEY-----") == std::string_view::npos) {
    return "the certs area must hold the CA certificate, the device certificate and its key; no TLS identity";
  }
  const firmware::StorageRecord records[] = {firmware::StorageRecord::kTrustAnchor,
                                             firmware::StorageRecord::kDeviceCert,
                                             firmware::StorageRecord::kDeviceKey};
  for (std::size_t i = 0; i < 3; ++i) {
    if (!firmware::WriteRecord(g_storage, records[i], AsBytes(blocks[i])).ok()) {
      return "a PEM block of the certs area does not fit its storage slot; no TLS identity";
    }
  }
  return "TLS identity provisioned from the certs area";
}

void ReportConfigError(firmware::Logger& log, const ConfigOutcome& outcome) {
  const ConfigError& e = outcome.error;
  const std::string_view line = e.line != 0 ? Line(ConfigText(), e.line) : std::string_view();
  PMU_LOG_ERROR(log, "config",
                "invalid configuration at 0x%08" PRIxPTR " line %u: %s%s%s ('%.*s'); running with the defaults",
                ConfigArea().address(), e.line, e.key != nullptr ? e.key : "", e.key != nullptr ? ": " : "", e.reason,
                static_cast<int>(line.size()), line.data());
}

Ipv6Address LinkLocal(const MacAddress& mac) {
  Ipv6Address a{};
  a.octets[0] = 0xfe;
  a.octets[1] = 0x80;
  a.octets[8] = static_cast<std::uint8_t>(mac.octets[0] ^ 0x02);  // modified EUI-64
  a.octets[9] = mac.octets[1];
  a.octets[10] = mac.octets[2];
  a.octets[11] = 0xff;
  a.octets[12] = 0xfe;
  a.octets[13] = mac.octets[3];
  a.octets[14] = mac.octets[4];
  a.octets[15] = mac.octets[5];
  return a;
}

bool Ready(void* context) {
  const auto wake_ms = *static_cast<const std::uint64_t*>(context);
  return Lan9118Link::RxSignalled() || Uart0::RxPending() || g_clock.MonotonicMs() >= wake_ms;
}

}  // namespace

int main() {
  Uart0::Init();
  g_clock.Start();

  const ImageLayout layout = Layout();
  const ResetRecord last = LastReset();
  Uart0::Write("\r\n");
  Say("PMU firmware %s for the ARM MPS2+ AN385 (Cortex-M3 at 25 MHz), gcc %s", firmware::kFirmwareVersion,
      __VERSION__);
  Say("  image    0x%08" PRIxPTR "-0x%08" PRIxPTR " (%u KiB of code and constants)", layout.code_start,
      layout.code_end, KiB(layout.code_end - layout.code_start));
  Say("  RAM      0x%08" PRIxPTR "-0x%08" PRIxPTR " (%u KiB: stack %u KiB, data, bss; no heap)", layout.ram_start,
      layout.ram_end, KiB(layout.ram_end - layout.ram_start), KiB(layout.stack_top - layout.stack_bottom));
  Say("  config   0x%08" PRIxPTR " (%u KiB)   certs 0x%08" PRIxPTR " (%u KiB)", ConfigArea().address(),
      KiB(ConfigArea().size), CertsArea().address(), KiB(CertsArea().size));
  Say("  storage  0x%08" PRIxPTR " (%u KiB)   seed  0x%08" PRIxPTR " (%u KiB)", StorageArea().address(),
      KiB(StorageArea().size), SeedArea().address(), KiB(SeedArea().size));
  Say("  playback 0x%08" PRIxPTR " (%u KiB)", PlaybackArea().address(), KiB(PlaybackArea().size));
  Say("  UART0    0x%08x   LAN9118 0x%08x IRQ %u", static_cast<unsigned>(Uart0::kBase),
      static_cast<unsigned>(Lan9118Link::kBase), Lan9118Link::kIrq);
  if (last.cause == ResetCause::kFault || last.cause == ResetCause::kAbort) {
    Say("  reset    %s (warm reset %" PRIu32 "): exception %" PRIu32 " at PC 0x%08" PRIx32 " LR 0x%08" PRIx32
        " CFSR 0x%08" PRIx32,
        ResetCauseName(last.cause), last.warm_resets, last.exception, last.pc, last.lr, last.cfsr);
  } else {
    Say("  reset    %s (warm reset %" PRIu32 ")", ResetCauseName(last.cause), last.warm_resets);
  }

  // UTC: the host's, through semihosting, when QEMU (or a debugger) provides it.
  // SYS_TIME has whole seconds; the middle of that second is within 0.5 s.
  const std::optional<std::int64_t> host_s = SemihostingTimeSeconds();
  const std::int64_t utc_s = host_s ? *host_s : std::int64_t{PMU_BOARD_FALLBACK_UTC_S};
  g_clock.SetUtcNs(utc_s * 1'000'000'000 + (host_s ? 500'000'000 : 0));

  const bool formatted = g_storage.Open(StorageArea());
  const ConfigOutcome config = LoadConfig(g_config);
  const SavedOutcome saved = ApplySavedConfig(g_config);
  const char* provisioned = ProvisionFromCertsArea();

  Lan9118Link& link = g_link.Emplace(g_clock);
  Status link_status = link.Open(g_config.mac, g_config.mac_from_link);
  bool mac_fallback = false;
  if (link_status.code() == StatusCode::kNotFound) {
    mac_fallback = true;
    link_status = link.Open(g_config.mac, false);
  }
  if (!link_status.ok()) {
    Say("*** Ethernet: %s; rebooting in 10 s", link_status.message());
    const std::uint64_t until = g_clock.MonotonicMs() + 10'000;
    while (g_clock.MonotonicMs() < until) IdleUnless([](void*) { return false; }, nullptr);
    Reboot("no Ethernet");
  }
  Say("  Ethernet LAN%04x rev %u, MAC %s%s", link.chip_id() == 0x0118 ? 0x9118u : 0x9220u,
      static_cast<unsigned>(link.chip_revision()), FormatMac(link.mac()).c_str(),
      g_config.mac_from_link ? (mac_fallback ? " (no EEPROM address: configured one)" : " (from the EEPROM)") : "");

  // Entropy: the DRBG's personalisation is the provisioned seed, the seed the last
  // boot left, and the MAC; its entropy input is timer jitter. Then the boot seed is
  // renewed from the DRBG, so the next boot starts from a different seed.
  const StoredSeeds seeds = ReadSeeds();
  std::byte material[16 + 2 * kSeedSize + 6];
  std::memcpy(material, "pmu-mps2 seed v1", 16);
  std::memcpy(material + 16, seeds.provisioned.data(), kSeedSize);
  std::memcpy(material + 16 + kSeedSize, seeds.boot.data(), kSeedSize);
  std::memcpy(material + 16 + 2 * kSeedSize, link.mac().octets.data(), 6);
  port::DrbgEntropy& entropy = g_entropy.Emplace();
  if (const Status s = entropy.Start(g_noise, ByteSpan(material, sizeof(material))); !s.ok()) {
    Fatal("the DRBG could not be seeded");
  }
  std::memset(material, 0, sizeof(material));
  Seed next{};
  if (!entropy.Fill(MutableByteSpan(next.data(), next.size())).ok()) Fatal("the DRBG failed");
  WriteBootSeed(next);

  hal::Board board{link, g_clock, entropy, g_storage, g_log_sink, "mps2-an385"};
  static hal::mps2::ReadOnlyArea playback(PlaybackArea());  // what analog.source plays
  board.playback = &playback;
  firmware::Device& device = g_device.Emplace(board, g_config);
  firmware::Logger& log = device.logger();
  if (host_s) {
    PMU_LOG_INFO(log, "clock", "UTC %s from the host (semihosting SYS_TIME)",
                 FormatIso8601(g_clock.UtcNs(), 0).c_str());
  } else {
    PMU_LOG_WARN(log, "clock", "no semihosting host: UTC starts at %s (the image's build time); the clock reset "
                 "service moves it", FormatIso8601(g_clock.UtcNs(), 0).c_str());
  }
  if (config.from_storage) {
    PMU_LOG_INFO(log, "config", "configuration: %u bytes of text at 0x%08" PRIxPTR,
                 static_cast<unsigned>(config.text_bytes), ConfigArea().address());
  } else if (config.error.ok()) {
    PMU_LOG_INFO(log, "config", "no configuration at 0x%08" PRIxPTR ": running with the defaults",
                 ConfigArea().address());
  } else {
    ReportConfigError(log, config);
  }
  if (formatted) PMU_LOG_INFO(log, "storage", "storage at 0x%08" PRIxPTR " formatted (first boot since power-up)",
                              StorageArea().address());
  if (saved.applied) {
    PMU_LOG_INFO(log, "config", "the saved configuration (%u bytes in storage) replaces it",
                 static_cast<unsigned>(saved.bytes));
  } else if (!saved.error.ok()) {
    PMU_LOG_ERROR(log, "config", "the saved configuration in storage is ignored: line %u: %s%s%s",
                  saved.error.line, saved.error.key != nullptr ? saved.error.key : "",
                  saved.error.key != nullptr ? ": " : "", saved.error.reason);
  }
  if (provisioned != nullptr) PMU_LOG_INFO(log, "tls", "%s", provisioned);
  PMU_LOG_INFO(log, "entropy", "DRBG seeded from %s provisioned seed, %s and timer jitter; boot seed renewed",
               seeds.provisioned_present ? "the" : "NO (blank)",
               seeds.boot_present ? "the previous boot's seed" : "no previous boot seed (first boot)");
  if (!seeds.provisioned_present) {
    PMU_LOG_WARN(log, "entropy", "no provisioned seed at 0x%08" PRIxPTR ": randomness rests on timer jitter only; "
                 "do not generate keys on this device (docs/BOARD.md)", SeedArea().address());
  }

  if (!device.Start().ok()) {
    PMU_LOG_ERROR(log, "boot", "the device did not start; rebooting in 10 s");
    const std::uint64_t until = g_clock.MonotonicMs() + 10'000;
    while (g_clock.MonotonicMs() < until) IdleUnless([](void*) { return false; }, nullptr);
    Reboot("start failed");
  }
  if (g_config.ipv4_enabled) {
    Say("  IPv4     %s/%u", FormatIpv4(g_config.ipv4).c_str(), g_config.ipv4_prefix);
  }
  if (g_config.ipv6_enabled) {
    Say("  IPv6     %s/%u and %s/64", FormatIpv6(g_config.ipv6).c_str(), g_config.ipv6_prefix,
        FormatIpv6(LinkLocal(link.mac())).c_str());
  }
  Say("  console  UART0 115200 8N1: type 'help'");

  SerialConsole& console = g_console.Emplace(device, link);
  std::uint64_t reboot_at_ms = 0;
  for (;;) {
    const std::size_t frames = device.Poll();
    console.Poll();
    if (device.reboot_requested()) {
      // The TLS console's 'reboot': a moment for its answer and close to leave, then
      // the device's final report and a system reset, as pmu-sim restarts itself.
      if (reboot_at_ms == 0) reboot_at_ms = g_clock.MonotonicMs() + 300;
      if (g_clock.MonotonicMs() >= reboot_at_ms) {
        device.Shutdown();
        Reboot("console 'reboot'");
      }
    }
    if (frames > 0) continue;  // more may be waiting in the chip's FIFO
    // Sleep until a frame, a console byte, or lwIP's next timer (at most 500 ms, so
    // the link state is followed); SysTick ends each WFI within a millisecond.
    const std::uint32_t sleep_ms = device.MsUntilNextTimer() < 500 ? device.MsUntilNextTimer() : 500;
    std::uint64_t wake_ms = g_clock.MonotonicMs() + sleep_ms;
    while (!Ready(&wake_ms)) IdleUnless(&Ready, &wake_ms);
  }
}
