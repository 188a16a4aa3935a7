// mbedTLS's only heap: one static arena of the target's PMU_CRYPTO_ARENA_BYTES
// (MBEDTLS_MEMORY_BUFFER_ALLOC_C), shared by TLS (when the image has it) and by
// Fernet's HMAC and AES, which every image has. Not the lwIP heap: a handshake's
// allocations must not starve the network stack, nor the stack's the handshake.
//
// Context: main loop only.
#pragma once

#include <cstddef>
#include <cstdint>

#include "pmu/base/report.h"
#include "pmu_target_config.h"

namespace pmu::port {

inline constexpr std::size_t kCryptoArenaBytes = PMU_CRYPTO_ARENA_BYTES;

struct CryptoArenaStats {
  std::size_t size = 0;
  std::size_t used = 0;         // bytes in use now, the allocator's headers included
  std::size_t peak = 0;         // high-water mark since boot, headers included (an upper bound)
  std::size_t blocks = 0;       // allocations alive now
  std::size_t peak_blocks = 0;  // the most at once since boot
};

using UtcSecondsFn = std::int64_t (*)(void* context);

// Points every mbedTLS allocation at the static arena and gives mbedTLS the device's
// UTC. Once, at start-up, before any mbedTLS call that allocates. On the board mbedTLS
// has no other heap: an allocation before this call gets NULL.
void InitCryptoHeap(UtcSecondsFn utc_seconds, void* time_context);

bool CryptoHeapReady();

CryptoArenaStats GetCryptoArenaStats();

// The arena as a part of the statistics report, for an image without TLS (with TLS,
// TlsReport says it, with the session slots beside it).
const StatsReporter& CryptoArenaReport();

}  // namespace pmu::port
