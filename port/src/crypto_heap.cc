#include "pmu/port/crypto_heap.h"

#include "mbedtls/memory_buffer_alloc.h"
#include "mbedtls/platform.h"
#include "mbedtls/platform_time.h"

namespace pmu::port {
namespace {

alignas(8) unsigned char g_arena[kCryptoArenaBytes];
bool g_heap_ready = false;
UtcSecondsFn g_utc = nullptr;
void* g_utc_context = nullptr;

mbedtls_time_t DeviceTime(mbedtls_time_t* out) {
  const mbedtls_time_t t = g_utc ? static_cast<mbedtls_time_t>(g_utc(g_utc_context)) : 0;
  if (out != nullptr) *out = t;
  return t;
}

// mbedTLS 2.28's allocator counts only what was asked for; each block also has a header
// of eight words in the arena (memory_buffer_alloc.c, without MBEDTLS_MEMORY_BACKTRACE).
// A handshake holds a few hundred blocks, so the headers are a third of its use.
constexpr std::size_t kArenaHeaderBytes = 8 * sizeof(void*);

class CryptoArenaReporter final : public StatsReporter {
 public:
  bool StatsLine(std::size_t index, ReportLine& t) const override {
    if (index != 0) return false;
    const CryptoArenaStats a = GetCryptoArenaStats();
    t.Format("crypto arena size=%u used=%u peak=%u blocks=%u peak_blocks=%u", static_cast<unsigned>(a.size),
             static_cast<unsigned>(a.used), static_cast<unsigned>(a.peak), static_cast<unsigned>(a.blocks),
             static_cast<unsigned>(a.peak_blocks));
    return true;
  }
};
const CryptoArenaReporter g_report;

}  // namespace

void InitCryptoHeap(UtcSecondsFn utc_seconds, void* time_context) {
  if (g_heap_ready) return;
  g_utc = utc_seconds;
  g_utc_context = time_context;
  mbedtls_memory_buffer_alloc_init(g_arena, sizeof(g_arena));
  mbedtls_platform_set_time(&DeviceTime);
  g_heap_ready = true;
}

bool CryptoHeapReady() { return g_heap_ready; }

CryptoArenaStats GetCryptoArenaStats() {
  CryptoArenaStats s;
  s.size = sizeof(g_arena);
  std::size_t used = 0, blocks = 0, peak = 0, peak_blocks = 0;
  mbedtls_memory_buffer_alloc_cur_get(&used, &blocks);
  mbedtls_memory_buffer_alloc_max_get(&peak, &peak_blocks);
  s.used = used + blocks * kArenaHeaderBytes;
  // The allocator's own figure (mbedtls_memory_buffer_alloc_status): the largest use and
  // the most blocks, which need not have come at the same moment, so at most this much.
  s.peak = peak + peak_blocks * kArenaHeaderBytes;
  s.blocks = blocks;
  s.peak_blocks = peak_blocks;
  return s;
}

const StatsReporter& CryptoArenaReport() { return g_report; }

}  // namespace pmu::port
