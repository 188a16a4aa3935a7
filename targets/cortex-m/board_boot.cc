#include "board_boot.h"

#include <cinttypes>
#include <cstdarg>
#include <cstdio>
#include <algorithm>

#include "pmu/hal/cortex_m/runtime.h"

namespace pmu::targets {
namespace {

using namespace hal::cortex_m;

unsigned KiB(std::uintptr_t bytes) { return static_cast<unsigned>((bytes + 1023) / 1024); }

std::uint64_t NowMs(const hal::Clock& clock) { return clock.MonotonicNs() / 1'000'000u; }

struct Wake {
  const hal::Clock* clock;
  std::uint64_t at_ms;
  bool (*woken)();
};

bool Ready(void* context) {
  const auto& w = *static_cast<const Wake*>(context);
  return (w.woken != nullptr && w.woken()) || NowMs(*w.clock) >= w.at_ms;
}

void SleepUntil(Wake& wake) {
  while (!Ready(&wake)) IdleUnless(&Ready, &wake);
}

}  // namespace

void ConsoleLine(ConsoleWrite write, const char* format, ...) {
  char text[160];
  va_list args;
  va_start(args, format);
  const int n = std::vsnprintf(text, sizeof(text), format, args);
  va_end(args);
  if (n < 0) return;
  write(std::string_view(text, static_cast<std::size_t>(n) < sizeof(text) ? static_cast<std::size_t>(n)
                                                                          : sizeof(text) - 1));
  write("\r\n");
}

void MemoryBanner(ConsoleWrite write) {
  const ImageLayout layout = Layout();
  ConsoleLine(write, "  image    0x%08" PRIxPTR "-0x%08" PRIxPTR " (%u KiB of code and constants)", layout.code_start,
              layout.code_end, KiB(layout.code_end - layout.code_start));
  ConsoleLine(write, "  RAM      0x%08" PRIxPTR "-0x%08" PRIxPTR " (%u KiB: stack %u KiB, data, bss; no heap)",
              layout.ram_start, layout.ram_end, KiB(layout.ram_end - layout.ram_start),
              KiB(layout.stack_top - layout.stack_bottom));
  // Two areas to a line, those the board has (or the profile uses) only.
  const struct {
    const char* name;
    MemoryArea area;
  } areas[] = {{"config", ConfigArea()}, {"certs", CertsArea()}, {"storage", StorageArea()}, {"seed", SeedArea()},
               {"playback", PlaybackArea()}};
  char line[96];
  std::size_t n = 0;
  bool first = true;
  for (const auto& a : areas) {
    if (a.area.size == 0) continue;
    const int k = std::snprintf(line + n, sizeof(line) - n, first ? "  %-8s 0x%08" PRIxPTR " (%u KiB)"
                                                                  : "   %-5s 0x%08" PRIxPTR " (%u KiB)",
                                a.name, a.area.address(), KiB(a.area.size));
    n = k < 0 ? n : std::min(sizeof(line) - 1, n + static_cast<std::size_t>(k));
    if (!first) {
      ConsoleLine(write, "%s", line);
      n = 0;
    }
    first = !first;
  }
  if (!first) ConsoleLine(write, "%s", line);
  const ResetRecord last = LastReset();
  if (last.cause == ResetCause::kFault || last.cause == ResetCause::kAbort) {
    ConsoleLine(write,
                "  reset    %s (warm reset %" PRIu32 "): exception %" PRIu32 " at PC 0x%08" PRIx32 " LR 0x%08" PRIx32
                " CFSR 0x%08" PRIx32,
                ResetCauseName(last.cause), last.warm_resets, last.exception, last.pc, last.lr, last.cfsr);
  } else {
    ConsoleLine(write, "  reset    %s (warm reset %" PRIu32 ")", ResetCauseName(last.cause), last.warm_resets);
  }
}

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

void RebootAfter(const hal::Clock& clock, unsigned seconds, const char* why) {
  Wake wake{&clock, NowMs(clock) + seconds * 1000u, nullptr};
  SleepUntil(wake);
  Reboot(why);
}

void RunMainLoop(firmware::Device& device, SerialConsole& console, const hal::Clock& clock, bool (*woken)()) {
  std::uint64_t reboot_at_ms = 0;
  for (;;) {
    const std::size_t frames = device.Poll();
    console.Poll();
    if (device.reboot_requested()) {
      // The TLS console's 'reboot': a moment for its answer and close to leave, then
      // the device's final report and a system reset, as pmu-sim restarts itself.
      if (reboot_at_ms == 0) reboot_at_ms = NowMs(clock) + 300;
      if (NowMs(clock) >= reboot_at_ms) {
        device.Shutdown();
        Reboot("console 'reboot'");
      }
    }
    if (frames > 0) continue;  // more may be waiting in the MAC's FIFO
    const std::uint32_t sleep_ms = device.MsUntilNextTimer() < 500 ? device.MsUntilNextTimer() : 500;
    Wake wake{&clock, NowMs(clock) + sleep_ms, woken};
    SleepUntil(wake);
  }
}

}  // namespace pmu::targets
