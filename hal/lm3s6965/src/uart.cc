#include "pmu/hal/lm3s6965/uart.h"

#include "pmu/hal/cortex_m/cortex_m3.h"
#include "pmu/hal/cortex_m/runtime.h"
#include "pmu/hal/lm3s6965/system_control.h"

namespace pmu::hal::lm3s6965 {
namespace {

using namespace cortex_m;

// PL011 registers (ARM DDI 0183; LM3S6965 data sheet section 12).
constexpr std::uintptr_t kDr = Uart0::kBase + 0x000;
constexpr std::uintptr_t kFr = Uart0::kBase + 0x018;
constexpr std::uintptr_t kIbrd = Uart0::kBase + 0x024;
constexpr std::uintptr_t kFbrd = Uart0::kBase + 0x028;
constexpr std::uintptr_t kLcrh = Uart0::kBase + 0x02C;
constexpr std::uintptr_t kCtl = Uart0::kBase + 0x030;
constexpr std::uintptr_t kIfls = Uart0::kBase + 0x034;
constexpr std::uintptr_t kImsc = Uart0::kBase + 0x038;
constexpr std::uintptr_t kIcr = Uart0::kBase + 0x044;
constexpr std::uint32_t kFrBusy = 1u << 3;
constexpr std::uint32_t kFrRxEmpty = 1u << 4;
constexpr std::uint32_t kFrTxFull = 1u << 5;
constexpr std::uint32_t kLcrhFifoEnable = 1u << 4;
constexpr std::uint32_t kLcrh8Bits = 3u << 5;
constexpr std::uint32_t kCtlEnable = 1u << 0;
constexpr std::uint32_t kCtlTxEnable = 1u << 8;
constexpr std::uint32_t kCtlRxEnable = 1u << 9;
constexpr std::uint32_t kIntRx = 1u << 4;
constexpr std::uint32_t kIntTx = 1u << 5;
constexpr std::uint32_t kIntRxTimeout = 1u << 6;

static_assert((Uart0::kTxRingSize & (Uart0::kTxRingSize - 1)) == 0);
static_assert((Uart0::kRxRingSize & (Uart0::kRxRingSize - 1)) == 0);

// Single producer, single consumer, as on the AN385: the main loop writes tx_head and
// reads rx_tail, the handler writes tx_tail and rx_head; indices count up forever.
char g_tx_ring[Uart0::kTxRingSize];
volatile std::uint32_t g_tx_head = 0;
volatile std::uint32_t g_tx_tail = 0;
char g_rx_ring[Uart0::kRxRingSize];
volatile std::uint32_t g_rx_head = 0;
volatile std::uint32_t g_rx_tail = 0;
bool g_ready = false;

// Moves queued bytes into the TX FIFO while it has room; with the lock held or from
// the handler. The TX interrupt is enabled exactly while bytes wait in the ring: the
// PL011 raises it when the FIFO drains below its level (and QEMU's after every byte).
void FillTxFifo() {
  while (g_tx_tail != g_tx_head && (Mmio(kFr) & kFrTxFull) == 0) {
    Mmio(kDr) = static_cast<std::uint8_t>(g_tx_ring[g_tx_tail % Uart0::kTxRingSize]);
    g_tx_tail = g_tx_tail + 1;
  }
  if (g_tx_tail == g_tx_head) {
    Mmio(kImsc) = Mmio(kImsc) & ~kIntTx;
    Mmio(kIcr) = kIntTx;
  } else {
    Mmio(kImsc) = Mmio(kImsc) | kIntTx;
  }
}

void PutPolled(char c) {
  while ((Mmio(kFr) & kFrTxFull) != 0) {
  }
  Mmio(kDr) = static_cast<std::uint8_t>(c);
}

}  // namespace

void Uart0::Init() {
  Mmio(kCtl) = 0;
  // Divisor = clock / (16 x baud) = 27.127: integer 27, fraction round(0.127 x 64) = 8.
  constexpr std::uint32_t kDivisor64 = (kSystemClockHz * 4 + kBaud / 2) / kBaud;  // x64
  Mmio(kIbrd) = kDivisor64 / 64;
  Mmio(kFbrd) = kDivisor64 % 64;
  Mmio(kLcrh) = kLcrh8Bits | kLcrhFifoEnable;  // writing LCRH latches the divisor
  Mmio(kIfls) = 0;                             // RX at 1/8 full (plus the timeout), TX at 1/8
  Mmio(kIcr) = 0x7FF;
  Mmio(kImsc) = kIntRx | kIntRxTimeout;
  Mmio(kCtl) = kCtlEnable | kCtlTxEnable | kCtlRxEnable;
  g_ready = true;
  NvicEnable(kIrq);
}

void Uart0::Write(std::string_view text) {
  if (!g_ready) return;
  for (char c : text) {
    // Wait for room; the interrupt drains the ring. With interrupts masked nothing
    // would drain it, so send by polling.
    while (g_tx_head - g_tx_tail >= kTxRingSize) {
      if (Primask() != 0) WritePolled({});
    }
    IrqLock lock;
    g_tx_ring[g_tx_head % kTxRingSize] = c;
    g_tx_head = g_tx_head + 1;
    FillTxFifo();
  }
}

void Uart0::WritePolled(std::string_view text) {
  if (!g_ready) return;
  IrqLock lock;
  while (g_tx_tail != g_tx_head) {
    PutPolled(g_tx_ring[g_tx_tail % kTxRingSize]);
    g_tx_tail = g_tx_tail + 1;
  }
  for (char c : text) PutPolled(c);
  while ((Mmio(kFr) & kFrBusy) != 0) {
  }
  Mmio(kImsc) = Mmio(kImsc) & ~kIntTx;
  Mmio(kIcr) = kIntTx;
}

bool Uart0::ReadByte(char* out) {
  if (g_rx_tail == g_rx_head) return false;
  *out = g_rx_ring[g_rx_tail % kRxRingSize];
  g_rx_tail = g_rx_tail + 1;
  return true;
}

bool Uart0::RxPending() { return g_rx_tail != g_rx_head; }

void Uart0::Isr() {
  Mmio(kIcr) = kIntRx | kIntRxTimeout;
  while ((Mmio(kFr) & kFrRxEmpty) == 0) {
    const char c = static_cast<char>(Mmio(kDr) & 0xFF);
    if (g_rx_head - g_rx_tail < kRxRingSize) {  // a full ring drops the byte
      g_rx_ring[g_rx_head % kRxRingSize] = c;
      g_rx_head = g_rx_head + 1;
    }
  }
  FillTxFifo();
}

void UartLogSink::WriteLine(std::string_view line) {
  Uart0::Write(line);
  Uart0::Write("\r\n");
}

}  // namespace pmu::hal::lm3s6965

namespace pmu::hal::cortex_m {

// The shared runtime's fault report and stdio write here.
void ConsoleWritePolled(std::string_view text) { lm3s6965::Uart0::WritePolled(text); }

}  // namespace pmu::hal::cortex_m
