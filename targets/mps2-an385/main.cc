// The PMU firmware on the ARM MPS2+ AN385: the board is just another hal::Board, so
// the firmware above it is the simulator's, unchanged. This file assembles the image,
// like targets/sim/main.cc for the simulator: it starts the clocks and UART, runs the
// firmware's boot sequence with the board's sources (the config area, the certs area,
// the seed area, the LAN9118), builds the hal::Board and runs the firmware's main loop,
// sleeping in WFI when there is nothing to do.
#include <cinttypes>
#include <cstring>
#include <string_view>

#include "board_boot.h"
#include "pmu/base/civil_time.h"
#include "pmu/firmware/boot.h"
#include "pmu/firmware/config.h"
#include "pmu/firmware/device.h"
#include "pmu/hal/cortex_m/board_memory.h"
#include "pmu/hal/mps2/entropy_sources.h"
#include "pmu/hal/mps2/lan9118_link.h"
#include "pmu/hal/cortex_m/read_only_area.h"
#include "pmu/hal/cortex_m/region_storage.h"
#include "pmu/hal/cortex_m/runtime.h"
#include "pmu/hal/cortex_m/seed_area_store.h"
#include "pmu/hal/mps2/systick_clock.h"
#include "pmu/hal/mps2/uart.h"
#include "pmu/port/drbg_entropy.h"

#ifndef PMU_BOARD_FALLBACK_UTC_S
#error "PMU_BOARD_FALLBACK_UTC_S (the UTC to start from without a host) comes from CMake"
#endif

namespace {

using namespace pmu;
using namespace pmu::hal::mps2;
using namespace pmu::hal::cortex_m;
using namespace pmu::targets;
using firmware::DeviceConfig;

constexpr const char* kClockTag = "clock";
constexpr const char* kStorageTag = "storage";
constexpr const char* kBootTag = "boot";

SysTickClock g_clock;
UartLogSink g_log_sink;
RamAreaWriter g_area_writer;  // the storage area is SSRAM
RegionStorage g_area_storage{g_area_writer};
// What the firmware writes through: the console's 'cut' rehearses a power cut in it.
hal::PowerCutStorage g_storage{g_area_storage, SerialConsole::CutPower};
TimerNoise g_noise;
SeedAreaStore g_seeds{g_area_writer};
Static<Lan9118Link> g_link;
Static<port::DrbgEntropy> g_entropy;
Static<firmware::Device> g_device;
Static<SerialConsole> g_console;
Static<firmware::Boot> g_boot;

void UartWrite(std::string_view text) { Uart0::Write(text); }

bool Woken() { return Lan9118Link::RxSignalled() || Uart0::RxPending(); }

void LogBoardStats(firmware::Logger& log, void* context) {
  auto& link = *static_cast<Lan9118Link*>(context);
  const Lan9118Counters& c = link.counters();
  const ImageLayout layout = Layout();
  PMU_LOG_INFO(log, "stats",
               "board stack_peak=%u stack_size=%u ram_used=%u irqs=%" PRIu32 " mac rx=%" PRIu32 " rx_errors=%" PRIu32
               " rx_oversized=%" PRIu32 " rx_dropped_by_chip=%" PRIu32 " tx=%" PRIu32 " tx_errors=%" PRIu32
               " tx_fifo_full=%" PRIu32,
               static_cast<unsigned>(StackHighWater()), static_cast<unsigned>(layout.stack_top - layout.stack_bottom),
               static_cast<unsigned>(layout.ram_end - layout.ram_start), Lan9118Link::InterruptCount(), c.rx_frames,
               c.rx_errors, c.rx_oversized, link.ReadRxDropped(), c.tx_frames, c.tx_errors, c.tx_fifo_full);
}

}  // namespace

int main() {
  Uart0::Init();
  g_clock.Start();

  Uart0::Write("\r\n");
  ConsoleLine(UartWrite, "PMU firmware %s for the ARM MPS2+ AN385 (Cortex-M3 at 25 MHz), gcc %s, profile %s",
              firmware::kFirmwareVersion, __VERSION__, firmware::kProfileName);
  MemoryBanner(UartWrite);
  ConsoleLine(UartWrite, "  UART0    0x%08x   LAN9118 0x%08x IRQ %u", static_cast<unsigned>(Uart0::kBase),
              static_cast<unsigned>(Lan9118Link::kBase), Lan9118Link::kIrq);

  // UTC: the host's, through semihosting, when QEMU (or a debugger) provides it.
  // SYS_TIME has whole seconds; the middle of that second is within 0.5 s.
  const std::optional<std::int64_t> host_s = SemihostingTimeSeconds();
  const std::int64_t utc_s = host_s ? *host_s : std::int64_t{PMU_BOARD_FALLBACK_UTC_S};
  g_clock.SetUtcNs(utc_s * 1'000'000'000 + (host_s ? 500'000'000 : 0));

  const Result<bool> opened = g_area_storage.Open(StorageArea());  // a copy into RAM cannot fail
  const bool formatted = opened.ok() && *opened;
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
    ConsoleLine(UartWrite, "*** Ethernet: %s; rebooting in 10 s", link_status.message());
    RebootAfter(g_clock, 10, "no Ethernet");
  }
  ConsoleLine(UartWrite, "  Ethernet LAN%04x rev %u, MAC %s%s", link.chip_id() == 0x0118 ? 0x9118u : 0x9220u,
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
    RebootAfter(g_clock, 10, "start failed");
  }
  if (config.ipv4_enabled) {
    ConsoleLine(UartWrite, "  IPv4     %s/%u", FormatIpv4(config.ipv4).c_str(), config.ipv4_prefix);
  }
  if (config.ipv6_enabled) {
    ConsoleLine(UartWrite, "  IPv6     %s/%u and %s/64", FormatIpv6(config.ipv6).c_str(), config.ipv6_prefix,
        FormatIpv6(LinkLocal(link.mac())).c_str());
  }
  ConsoleLine(UartWrite, "  console  UART0 115200 8N1: type 'help'");

  SerialConsole& console =
      g_console.Emplace(device, ConsolePort{Uart0::ReadByte, Uart0::Flush, LogBoardStats, &link, &g_storage});
  RunMainLoop(device, console, g_clock, Woken);
}
