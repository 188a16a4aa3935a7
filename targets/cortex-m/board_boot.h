// What the Cortex-M3 boards' main.cc files share: building objects in static storage
// at a chosen moment, the console lines of the boot banner, the text of a loaded area,
// the link-local address the banner shows, and the main loop that runs the firmware
// and sleeps in WFI. Each board's main.cc keeps only what is its own: its drivers, its
// banner's hardware lines and the order it starts them in.
#pragma once

#include <cstdint>
#include <new>
#include <string_view>

#include "pmu/base/ip_address.h"
#include "pmu/firmware/device.h"
#include "pmu/hal/clock.h"
#include "pmu/hal/cortex_m/board_memory.h"
#include "serial_console.h"

namespace pmu::targets {

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

// Where the banner and start-up problems go (the board's console UART, queued).
using ConsoleWrite = void (*)(std::string_view text);

// A line on the console outside the device log, ended by CR LF.
__attribute__((format(printf, 2, 3))) void ConsoleLine(ConsoleWrite write, const char* format, ...);

// The banner's memory lines (image, RAM, the storage areas the board has) and the
// reason for this boot.
void MemoryBanner(ConsoleWrite write);

// A text area (config, certs) ends at the first NUL or erased (0xFF) byte, or at the
// end of the area.
std::string_view AreaText(const hal::cortex_m::MemoryArea& area);

// The IPv6 link-local address lwIP derives from `mac` (modified EUI-64).
Ipv6Address LinkLocal(const MacAddress& mac);

// Waits (sleeping) `seconds`, then resets with `why`.
[[noreturn]] void RebootAfter(const hal::Clock& clock, unsigned seconds, const char* why);

// The firmware's main loop: polls the device and the console, resets when the device
// asks for it, and sleeps until `woken()` (a frame or a console byte waiting) or
// lwIP's next timer (at most 500 ms, so the link state is followed).
[[noreturn]] void RunMainLoop(firmware::Device& device, SerialConsole& console, const hal::Clock& clock,
                              bool (*woken)());

}  // namespace pmu::targets
