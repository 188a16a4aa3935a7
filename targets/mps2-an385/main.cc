// The PMU firmware on the ARM MPS2+ AN385: the board is just another hal::Board, so
// the firmware above it is the simulator's, unchanged. This file assembles the image,
// like targets/sim/main.cc for the simulator: it starts the clocks and UART, runs the
// firmware's boot sequence with the board's sources (the config area, the certs area,
// the seed area, the LAN9118), builds the hal::Board and runs the firmware's main loop,
// sleeping in WFI when there is nothing to do.
#include <cinttypes>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <new>
#include <string_view>

#include "console.h"
#include "pmu/base/civil_time.h"
#include "pmu/firmware/boot.h"
#include "pmu/firmware/config.h"
#include "pmu/firmware/device.h"
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
using pmu::targets::mps2::SerialConsole;
using firmware::DeviceConfig;

constexpr const char* kClockTag = "clock";
constexpr const char* kStorageTag = "storage";
constexpr const char* kBootTag = "boot";

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
SeedAreaStore g_seeds;
Static<Lan9118Link> g_link;
Static<port::DrbgEntropy> g_entropy;
Static<firmware::Device> g_device;
Static<SerialConsole> g_console;
Static<firmware::Boot> g_boot;

// A line on UART0 outside the device log (the banner, start-up problems).
__attribute__((format(printf, 1, 2))) void UartLine(const char* format, ...) {
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

// A text area (config, certs) ends at the first NUL or erased (0xFF) byte, or at the
// end of the area.
std::string_view AreaText(const MemoryArea& area) {
  const auto* p = reinterpret_cast<const char*>(area.base);
  std::size_t n = 0;
  while (n < area.size && p[n] != '\0' && p[n] != '\xFF') ++n;
  return {p, n};
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
  UartLine("PMU firmware %s for the ARM MPS2+ AN385 (Cortex-M3 at 25 MHz), gcc %s, profile %s",
      firmware::kFirmwareVersion, __VERSION__, firmware::kProfileName);
  UartLine("  image    0x%08" PRIxPTR "-0x%08" PRIxPTR " (%u KiB of code and constants)", layout.code_start,
      layout.code_end, KiB(layout.code_end - layout.code_start));
  UartLine("  RAM      0x%08" PRIxPTR "-0x%08" PRIxPTR " (%u KiB: stack %u KiB, data, bss; no heap)", layout.ram_start,
      layout.ram_end, KiB(layout.ram_end - layout.ram_start), KiB(layout.stack_top - layout.stack_bottom));
  UartLine("  config   0x%08" PRIxPTR " (%u KiB)   certs 0x%08" PRIxPTR " (%u KiB)", ConfigArea().address(),
      KiB(ConfigArea().size), CertsArea().address(), KiB(CertsArea().size));
  UartLine("  storage  0x%08" PRIxPTR " (%u KiB)   seed  0x%08" PRIxPTR " (%u KiB)", StorageArea().address(),
      KiB(StorageArea().size), SeedArea().address(), KiB(SeedArea().size));
  UartLine("  playback 0x%08" PRIxPTR " (%u KiB)", PlaybackArea().address(), KiB(PlaybackArea().size));
  UartLine("  UART0    0x%08x   LAN9118 0x%08x IRQ %u", static_cast<unsigned>(Uart0::kBase),
      static_cast<unsigned>(Lan9118Link::kBase), Lan9118Link::kIrq);
  if (last.cause == ResetCause::kFault || last.cause == ResetCause::kAbort) {
    UartLine("  reset    %s (warm reset %" PRIu32 "): exception %" PRIu32 " at PC 0x%08" PRIx32 " LR 0x%08" PRIx32
        " CFSR 0x%08" PRIx32,
        ResetCauseName(last.cause), last.warm_resets, last.exception, last.pc, last.lr, last.cfsr);
  } else {
    UartLine("  reset    %s (warm reset %" PRIu32 ")", ResetCauseName(last.cause), last.warm_resets);
  }

  // UTC: the host's, through semihosting, when QEMU (or a debugger) provides it.
  // SYS_TIME has whole seconds; the middle of that second is within 0.5 s.
  const std::optional<std::int64_t> host_s = SemihostingTimeSeconds();
  const std::int64_t utc_s = host_s ? *host_s : std::int64_t{PMU_BOARD_FALLBACK_UTC_S};
  g_clock.SetUtcNs(utc_s * 1'000'000'000 + (host_s ? 500'000'000 : 0));

  const bool formatted = g_storage.Open(StorageArea());
  static FixedString<48> config_origin;
  config_origin.Format("the config area at 0x%08" PRIxPTR, ConfigArea().address());
  firmware::BootSources sources;
  sources.provisioned_config = AreaText(ConfigArea());
  sources.provisioned_origin = config_origin.c_str();
  sources.factory_identity = AreaText(CertsArea());
  firmware::Boot& boot = g_boot.Emplace(g_storage);
  const DeviceConfig& config = boot.Prepare(sources).config;

  Lan9118Link& link = g_link.Emplace(g_clock);
  Status link_status = link.Open(config.mac, config.mac_from_link);
  bool mac_fallback = false;
  if (link_status.code() == StatusCode::kNotFound) {
    mac_fallback = true;
    link_status = link.Open(config.mac, false);
  }
  if (!link_status.ok()) {
    UartLine("*** Ethernet: %s; rebooting in 10 s", link_status.message());
    const std::uint64_t until = g_clock.MonotonicMs() + 10'000;
    while (g_clock.MonotonicMs() < until) IdleUnless([](void*) { return false; }, nullptr);
    Reboot("no Ethernet");
  }
  UartLine("  Ethernet LAN%04x rev %u, MAC %s%s", link.chip_id() == 0x0118 ? 0x9118u : 0x9220u,
      static_cast<unsigned>(link.chip_revision()), FormatMac(link.mac()).c_str(),
      config.mac_from_link ? (mac_fallback ? " (no EEPROM address: configured one)" : " (from the EEPROM)") : "");

  port::DrbgEntropy& entropy = g_entropy.Emplace();
  if (!boot.SeedEntropy(entropy, g_noise, g_seeds, link.mac()).ok()) Fatal("the DRBG could not be seeded");

  hal::Board board{link, g_clock, entropy, g_storage, g_log_sink, "mps2-an385"};
#if PMU_WITH_PLAYBACK
  static ReadOnlyArea playback(PlaybackArea());  // what analog.source plays
  board.playback = &playback;
#endif
  firmware::Device& device = g_device.Emplace(board, config);
  firmware::Logger& log = device.logger();
  if (host_s) {
    PMU_LOG_INFO(log, kClockTag, "UTC %s from the host (semihosting SYS_TIME)",
                 FormatIso8601(g_clock.UtcNs(), 0).c_str());
  } else {
    PMU_LOG_WARN(log, kClockTag, "no semihosting host: UTC starts at %s (the image's build time); the clock reset "
                 "service moves it", FormatIso8601(g_clock.UtcNs(), 0).c_str());
  }
  if (formatted) PMU_LOG_INFO(log, kStorageTag, "storage at 0x%08" PRIxPTR " formatted (first boot since power-up)",
                              StorageArea().address());

  if (!boot.Start(device).ok()) {
    PMU_LOG_ERROR(log, kBootTag, "the device did not start; rebooting in 10 s");
    const std::uint64_t until = g_clock.MonotonicMs() + 10'000;
    while (g_clock.MonotonicMs() < until) IdleUnless([](void*) { return false; }, nullptr);
    Reboot("start failed");
  }
  if (config.ipv4_enabled) {
    UartLine("  IPv4     %s/%u", FormatIpv4(config.ipv4).c_str(), config.ipv4_prefix);
  }
  if (config.ipv6_enabled) {
    UartLine("  IPv6     %s/%u and %s/64", FormatIpv6(config.ipv6).c_str(), config.ipv6_prefix,
        FormatIpv6(LinkLocal(link.mac())).c_str());
  }
  UartLine("  console  UART0 115200 8N1: type 'help'");

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
