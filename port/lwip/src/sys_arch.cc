// lwIP's porting functions for NO_SYS=1: time, randomness, ISN hook, diagnostics.
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "lwip/arch.h"
#include "lwip/stats.h"
#include "lwip/sys.h"
#include "pmu/port/lwip_port.h"
#include "pmu_lwip_hooks.h"
#include "siphash.h"

namespace pmu::port {
namespace {

const hal::Clock* g_clock = nullptr;
hal::Entropy* g_entropy = nullptr;
DiagnosticHandler g_diag = nullptr;
std::uint8_t g_isn_key[16];

}  // namespace

Status BindLwip(const hal::Clock& clock, hal::Entropy& entropy, DiagnosticHandler handler) {
  g_clock = &clock;
  g_entropy = &entropy;
  g_diag = handler;
  return entropy.Fill(AsWritableBytes(g_isn_key, sizeof(g_isn_key)));
}

static_assert(MEM_STATS, "SendRoom reads the heap's use from lwIP's statistics");

std::size_t SendRoom(altcp_pcb* pcb, bool bulk) {
  const std::size_t room = altcp_sndbuf(pcb);
  if (!bulk) return room;
  const std::size_t used = lwip_stats.mem.used;
  const std::size_t free_heap = used + kHeapReserveBytes < MEM_SIZE ? MEM_SIZE - used - kHeapReserveBytes : 0;
  return room < free_heap ? room : free_heap;
}

unsigned LwipNowMs() { return static_cast<unsigned>(LwipNowNs() / 1'000'000u); }

std::uint64_t LwipNowNs() { return g_clock ? g_clock->MonotonicNs() : 0u; }

}  // namespace pmu::port

using namespace pmu::port;

extern "C" u32_t sys_now(void) { return static_cast<u32_t>(LwipNowMs()); }

extern "C" unsigned int pmu_lwip_rand(void) {
  std::uint32_t v = 0;
  if (g_entropy == nullptr || !g_entropy->Fill(pmu::AsWritableBytes(&v, sizeof(v))).ok()) {
    pmu_lwip_assert("no entropy for LWIP_RAND", __FILE__, __LINE__);
  }
  return v;
}

extern "C" u32_t pmu_lwip_tcp_isn(const ip_addr_t* local_ip, u16_t local_port,
                                  const ip_addr_t* remote_ip, u16_t remote_port) {
  // RFC 6528: ISN = M + F(localip, localport, remoteip, remoteport, secretkey), M a
  // clock ticking every 4 microseconds.
  std::uint8_t input[2 * 16 + 4] = {};
  std::size_t n = 0;
  auto put_addr = [&](const ip_addr_t* a) {
    if (IP_IS_V6(a)) {
      std::memcpy(input + n, ip_2_ip6(a)->addr, 16);
    } else {
      std::memcpy(input + n, &ip_2_ip4(a)->addr, 4);
    }
    n += 16;
  };
  put_addr(local_ip);
  put_addr(remote_ip);
  std::memcpy(input + n, &local_port, 2);
  std::memcpy(input + n + 2, &remote_port, 2);
  n += 4;
  const std::uint64_t hash = pmu::port::SipHash24(g_isn_key, input, n);
  const std::uint64_t ticks = g_clock ? g_clock->MonotonicNs() / 4000u : 0u;
  return static_cast<u32_t>(hash) + static_cast<u32_t>(ticks);
}

extern "C" void pmu_lwip_assert(const char* message, const char* file, int line) {
  char text[192];
  const char* base = std::strrchr(file, '/');
  std::snprintf(text, sizeof(text), "lwIP assertion failed: %s (%s:%d)", message,
                base ? base + 1 : file, line);
  if (g_diag) {
    g_diag(text);
  } else {
    std::fputs(text, stderr);
    std::fputc('\n', stderr);
  }
  std::abort();
}

extern "C" void pmu_lwip_diag(const char* format, ...) {
  char text[192];
  va_list args;
  va_start(args, format);
  std::vsnprintf(text, sizeof(text), format, args);
  va_end(args);
  // lwIP's diagnostics end with their own line feeds; the handler wants one line.
  std::size_t len = std::strlen(text);
  while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r')) text[--len] = '\0';
  if (g_diag && len > 0) g_diag(text);
}
