// What this image was built with: the target's configuration (pmu_target_config.h;
// on a board, the profile CMake's PMU_PROFILE picked: docs/BOARD.md, "Profiles"),
// its name, and which of the services a profile may leave out it has. A service left
// out is not compiled (firmware/CMakeLists.txt); its configuration keys stay known, so
// that setting one says why it cannot be set instead of "unknown key".
#pragma once

#include <cstdint>
#include <string_view>

#include "pmu_target_config.h"

#ifndef PMU_WITH_PTP_L2
#define PMU_WITH_PTP_L2 0
#endif

namespace pmu::firmware {

inline constexpr const char* kProfileName = PMU_PROFILE_NAME;

enum class OptionalService : std::uint8_t { kBulletin, kWebSocket, kPlayback, kTls, kSntp, kPtpL2 };

// A set of optional services, a bit each.
using ServiceSet = std::uint8_t;
constexpr ServiceSet ServiceBit(OptionalService s) { return static_cast<ServiceSet>(1u << static_cast<unsigned>(s)); }

inline constexpr ServiceSet kImageServices =
    static_cast<ServiceSet>((PMU_WITH_BULLETIN ? ServiceBit(OptionalService::kBulletin) : 0) |
                            (PMU_WITH_WEBSOCKET ? ServiceBit(OptionalService::kWebSocket) : 0) |
                            (PMU_WITH_PLAYBACK ? ServiceBit(OptionalService::kPlayback) : 0) |
                            (PMU_WITH_TLS ? ServiceBit(OptionalService::kTls) : 0) |
                            (PMU_WITH_SNTP ? ServiceBit(OptionalService::kSntp) : 0) |
                            (PMU_WITH_PTP_L2 ? ServiceBit(OptionalService::kPtpL2) : 0));

constexpr bool InImage(OptionalService s) { return (kImageServices & ServiceBit(s)) != 0; }

// "the bulletin channel", "the WebSocket service", "COMTRADE and scenario playback",
// "the TLS services (the TLS command service and the console)", "the SNTP client",
// "PTP over Ethernet".
const char* OptionalServiceName(OptionalService s);

// Why a value for `s` cannot be set in an image without it, naming the profile:
// "is for the WebSocket service, which profile 'compact' leaves out of this image".
const char* LeftOutReason(OptionalService s);

// Whether `reason` is one of LeftOutReason's (no value of the key helps then).
bool IsLeftOutReason(const char* reason);

// The optional service the configuration key `key` belongs to (by its prefix:
// bulletin.*, ws.*, comtrade.*, scenario.*, tls.*, console.*, sntp.*); false for the others.
bool ServiceOfKey(std::string_view key, OptionalService* service);

// Why `key` cannot be set in an image with only the services `image`, or nullptr when
// it can.
const char* KeyLeftOut(std::string_view key, ServiceSet image = kImageServices);

}  // namespace pmu::firmware
