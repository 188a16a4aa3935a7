// The PMU firmware on the TI Stellaris LM3S6965: like the AN385's (targets/mps2-an385),
// the board is just another hal::Board and the firmware above it is the simulator's.
// This file assembles the image: it starts the clock tree, UART0 and the clocks, runs
// the firmware's boot sequence with the board's sources (the config area and the seed
// area in flash, the Ethernet MAC), builds the hal::Board and runs the shared main
// loop (targets/cortex-m), sleeping in WFI when there is nothing to do.
#include <cinttypes>
#include <string_view>

#include "board_boot.h"
#include "pmu/base/civil_time.h"
#include "pmu/firmware/boot.h"
#include "pmu/firmware/config.h"
#include "pmu/firmware/device.h"
#include "pmu/hal/cortex_m/board_memory.h"
#include "pmu/hal/cortex_m/region_storage.h"
#include "pmu/hal/cortex_m/runtime.h"
#include "pmu/hal/cortex_m/seed_area_store.h"
#include "pmu/hal/lm3s6965/flash_writer.h"
#include "pmu/hal/lm3s6965/stellaris_ethernet_link.h"
#include "pmu/hal/lm3s6965/system_control.h"
#include "pmu/hal/lm3s6965/systick_clock.h"
#include "pmu/hal/lm3s6965/timer_noise.h"
#include "pmu/hal/lm3s6965/uart.h"
#include "pmu/port/drbg_entropy.h"

#ifndef PMU_BOARD_FALLBACK_UTC_S
#error "PMU_BOARD_FALLBACK_UTC_S (the UTC to start from without a host) comes from CMake"
#endif

namespace {

using namespace pmu;
using namespace pmu::hal::cortex_m;
using namespace pmu::hal::lm3s6965;
using namespace pmu::targets;
using firmware::DeviceConfig;

constexpr const char* kClockTag = "clock";
constexpr const char* kStorageTag = "storage";
constexpr const char* kBootTag = "boot";

SysTickClock g_clock;
UartLogSink g_log_sink;
FlashAreaWriter g_flash;
RegionStorage g_area_storage{g_flash};
// What the firmware writes through: the console's 'cut' rehearses a power cut in it.
hal::PowerCutStorage g_storage{g_area_storage, SerialConsole::CutPower};
TimerNoise g_noise;
SeedAreaStore g_seeds{g_flash};
Static<StellarisEthernetLink> g_link;
Static<port::DrbgEntropy> g_entropy;
Static<firmware::Device> g_device;
Static<SerialConsole> g_console;

void UartWrite(std::string_view text) { Uart0::Write(text); }

bool Woken() { return StellarisEthernetLink::RxSignalled() || Uart0::RxPending(); }

void LogBoardStats(firmware::Logger& log, void* context) {
  auto& link = *static_cast<StellarisEthernetLink*>(context);
  const StellarisEthernetCounters& c = link.counters();
  const ImageLayout layout = Layout();
  PMU_LOG_INFO(log, "stats",
               "board stack_peak=%u stack_size=%u ram_used=%u irqs=%" PRIu32 " mac rx=%" PRIu32 " rx_errors=%" PRIu32
               " rx_oversized=%" PRIu32 " rx_overruns=%" PRIu32 " tx=%" PRIu32 " tx_busy=%" PRIu32
               " flash_write_failures=%" PRIu32,
               static_cast<unsigned>(StackHighWater()), static_cast<unsigned>(layout.stack_top - layout.stack_bottom),
               static_cast<unsigned>(layout.ram_end - layout.ram_start), StellarisEthernetLink::InterruptCount(),
               c.rx_frames, c.rx_errors, c.rx_oversized, c.rx_overruns, c.tx_frames, c.tx_busy, g_flash.failures());
}

// The boot sequence up to a running device. The Boot object (2 KiB: the configuration
// as each source left it, for the boot report) is needed only here, so it lives in
// this frame, which is gone before the main loop runs: the stack the boot needs is
// shared with what the main loop needs later, instead of 2 KiB of RAM held for good.
__attribute__((noinline)) firmware::Device& StartDevice() {
  // UTC: the host's, through semihosting, when QEMU (or a debugger) provides it.
  // SYS_TIME has whole seconds; the middle of that second is within 0.5 s.
  const std::optional<std::int64_t> host_s = SemihostingTimeSeconds();
  const std::int64_t utc_s = host_s ? *host_s : std::int64_t{PMU_BOARD_FALLBACK_UTC_S};
  g_clock.SetUtcNs(utc_s * 1'000'000'000 + (host_s ? 500'000'000 : 0));

  // The storage area is flash: formatting or saving fails under QEMU (no flash
  // controller), and then the firmware runs on with what the launcher loaded.
  const Result<bool> opened = g_area_storage.Open(StorageArea());
  static FixedString<48> config_origin;
  config_origin.Format("the config area at 0x%08" PRIxPTR, ConfigArea().address());
  firmware::BootSources sources;
  sources.provisioned_config = AreaText(ConfigArea());
  sources.provisioned_origin = config_origin.c_str();
  sources.factory_identity = AreaText(CertsArea());
  firmware::Boot boot(g_storage);
  const DeviceConfig& config = boot.Prepare(sources).config;

  StellarisEthernetLink& link = g_link.Emplace(g_clock);
  // The chip has no address of its own: mac_from_link has nothing to read here.
  if (Status s = link.Open(config.mac); !s.ok()) {
    ConsoleLine(UartWrite, "*** Ethernet: %s; rebooting in 10 s", s.message());
    RebootAfter(g_clock, 10, "no Ethernet");
  }
  if (link.phy_present()) {
    ConsoleLine(UartWrite, "  Ethernet MAC %s, PHY %04x:%04x", FormatMac(link.mac()).c_str(), link.phy_id1(),
                link.phy_id2());
  } else {
    ConsoleLine(UartWrite, "  Ethernet MAC %s, no PHY on the MII (QEMU): link taken as up",
                FormatMac(link.mac()).c_str());
  }

  port::DrbgEntropy& entropy = g_entropy.Emplace();
  if (!boot.SeedEntropy(entropy, g_noise, g_seeds, link.mac()).ok()) Fatal("the DRBG could not be seeded");

  static hal::Board board{link, g_clock, entropy, g_storage, g_log_sink, "lm3s6965evb"};  // the Device keeps it
  firmware::Device& device = g_device.Emplace(board, config);
  firmware::Logger& log = device.logger();
  if (host_s) {
    PMU_LOG_INFO(log, kClockTag, "UTC %s from the host (semihosting SYS_TIME)",
                 FormatIso8601(g_clock.UtcNs(), 0).c_str());
  } else {
    PMU_LOG_WARN(log, kClockTag, "no semihosting host: UTC starts at %s (the image's build time); the clock reset "
                 "service moves it", FormatIso8601(g_clock.UtcNs(), 0).c_str());
  }
  if (!opened.ok()) {
    PMU_LOG_ERROR(log, kStorageTag, "storage at 0x%08" PRIxPTR " has no header and could not be formatted: %s; "
                  "saves will fail", StorageArea().address(), opened.status().message());
  } else if (*opened) {
    PMU_LOG_INFO(log, kStorageTag, "storage at 0x%08" PRIxPTR " formatted (it had no header)",
                 StorageArea().address());
  }
  if (config.mac_from_link) {
    PMU_LOG_WARN(log, kBootTag, "mac_from_link: the LM3S6965 has no MAC address of its own; using %s",
                 FormatMac(link.mac()).c_str());
  }

  if (!boot.Start(device).ok()) {
    PMU_LOG_ERROR(log, kBootTag, "the device did not start; rebooting in 10 s");
    RebootAfter(g_clock, 10, "start failed");
  }
  return device;
}

// The banner's address lines, once the device runs.
void AddressBanner(const DeviceConfig& config, const MacAddress& mac) {
  if (config.ipv4_enabled) {
    ConsoleLine(UartWrite, "  IPv4     %s/%u", FormatIpv4(config.ipv4).c_str(), config.ipv4_prefix);
  }
  if (config.ipv6_enabled) {
    ConsoleLine(UartWrite, "  IPv6     %s/%u and %s/64", FormatIpv6(config.ipv6).c_str(), config.ipv6_prefix,
                FormatIpv6(LinkLocal(mac)).c_str());
  }
}

}  // namespace

int main() {
  const bool pll_locked = StartClocks();
  Uart0::Init();
  g_clock.Start();

  Uart0::Write("\r\n");
  ConsoleLine(UartWrite, "PMU firmware %s for the TI Stellaris LM3S6965 (Cortex-M3 at 50 MHz), gcc %s, profile %s",
              firmware::kFirmwareVersion, __VERSION__, firmware::kProfileName);
  if (!pll_locked) ConsoleLine(UartWrite, "*** the PLL did not lock: running from the crystal, every rate is wrong");
  MemoryBanner(UartWrite);
  ConsoleLine(UartWrite, "  UART0    0x%08x IRQ %u   Ethernet 0x%08x IRQ %u", static_cast<unsigned>(Uart0::kBase),
              Uart0::kIrq, static_cast<unsigned>(StellarisEthernetLink::kBase), StellarisEthernetLink::kIrq);

  firmware::Device& device = StartDevice();
  StellarisEthernetLink& link = *g_link;
  AddressBanner(device.config(), link.mac());
  ConsoleLine(UartWrite, "  console  UART0 115200 8N1: type 'help'");

  SerialConsole& console =
      g_console.Emplace(device, ConsolePort{Uart0::ReadByte, Uart0::Flush, LogBoardStats, &link, &g_storage});
  RunMainLoop(device, console, g_clock, Woken);
}
