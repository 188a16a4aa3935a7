#include "pmu/hal/mps2/uart.h"

#include "pmu/hal/cortex_m/cortex_m3.h"

namespace pmu::hal::mps2 {

using namespace cortex_m;
namespace {

// CMSDK APB UART registers (Cortex-M System Design Kit TRM).
constexpr std::uintptr_t kData = Uart0::kBase + 0x00;
constexpr std::uintptr_t kState = Uart0::kBase + 0x04;
constexpr std::uintptr_t kCtrl = Uart0::kBase + 0x08;
constexpr std::uintptr_t kIntStatus = Uart0::kBase + 0x0C;  // write 1 to clear
constexpr std::uintptr_t kBaudDiv = Uart0::kBase + 0x10;
constexpr std::uint32_t kStateTxFull = 1u << 0;
constexpr std::uint32_t kStateRxFull = 1u << 1;
constexpr std::uint32_t kCtrlTxEn = 1u << 0;
constexpr std::uint32_t kCtrlRxEn = 1u << 1;
constexpr std::uint32_t kCtrlTxIntEn = 1u << 2;
constexpr std::uint32_t kCtrlRxIntEn = 1u << 3;
constexpr std::uint32_t kIntTx = 1u << 0;
constexpr std::uint32_t kIntRx = 1u << 1;
constexpr std::uint32_t kPclkHz = 25'000'000;

static_assert((Uart0::kTxRingSize & (Uart0::kTxRingSize - 1)) == 0);
static_assert((Uart0::kRxRingSize & (Uart0::kRxRingSize - 1)) == 0);

// Single producer, single consumer: the main loop writes tx_head and reads rx_tail;
// the interrupt handlers write tx_tail and rx_head. Indices count up forever.
char g_tx_ring[Uart0::kTxRingSize];
volatile std::uint32_t g_tx_head = 0;
volatile std::uint32_t g_tx_tail = 0;
volatile bool g_tx_busy = false;  // a byte is in the UART; its TX interrupt will follow
char g_rx_ring[Uart0::kRxRingSize];
volatile std::uint32_t g_rx_head = 0;
volatile std::uint32_t g_rx_tail = 0;
bool g_ready = false;

// Hands the next queued byte to the UART; with the lock held or from the TX handler.
void StartNextByte() {
  if (g_tx_tail == g_tx_head) {
    g_tx_busy = false;
    return;
  }
  g_tx_busy = true;
  const char c = g_tx_ring[g_tx_tail % Uart0::kTxRingSize];
  g_tx_tail = g_tx_tail + 1;
  Mmio(kData) = static_cast<std::uint8_t>(c);
}

void PutPolled(char c) {
  while ((Mmio(kState) & kStateTxFull) != 0) {
  }
  Mmio(kData) = static_cast<std::uint8_t>(c);
}

}  // namespace

void Uart0::Init() {
  Mmio(kBaudDiv) = kPclkHz / kBaud;  // 217; the CMSDK UART needs at least 16
  Mmio(kIntStatus) = kIntTx | kIntRx;
  Mmio(kCtrl) = kCtrlTxEn | kCtrlRxEn | kCtrlTxIntEn | kCtrlRxIntEn;
  g_ready = true;
  NvicEnable(kTxIrq);
  NvicEnable(kRxIrq);
}

void Uart0::Write(std::string_view text) {
  if (!g_ready) return;
  for (char c : text) {
    // Wait for room; the TX interrupt drains the ring. With interrupts masked (a
    // caller in a critical section) nothing would drain it, so send by polling.
    while (g_tx_head - g_tx_tail >= kTxRingSize) {
      if (Primask() != 0) {
        WritePolled({});
      }
    }
    IrqLock lock;
    g_tx_ring[g_tx_head % kTxRingSize] = c;
    g_tx_head = g_tx_head + 1;
    if (!g_tx_busy) StartNextByte();
  }
}

void Uart0::WritePolled(std::string_view text) {
  if (!g_ready) return;
  IrqLock lock;
  // A byte handed over by StartNextByte is already in the UART; send the rest of the
  // ring behind it, then the text.
  while (g_tx_tail != g_tx_head) {
    PutPolled(g_tx_ring[g_tx_tail % kTxRingSize]);
    g_tx_tail = g_tx_tail + 1;
  }
  for (char c : text) PutPolled(c);
  while ((Mmio(kState) & kStateTxFull) != 0) {
  }
  g_tx_busy = false;
  Mmio(kIntStatus) = kIntTx;
}

bool Uart0::ReadByte(char* out) {
  if (g_rx_tail == g_rx_head) return false;
  *out = g_rx_ring[g_rx_tail % kRxRingSize];
  g_rx_tail = g_rx_tail + 1;
  return true;
}

bool Uart0::RxPending() { return g_rx_tail != g_rx_head; }

void Uart0::TxIsr() {
  Mmio(kIntStatus) = kIntTx;
  StartNextByte();
}

void Uart0::RxIsr() {
  // Clear first: reading DATA may let the next byte in at once, which sets the
  // interrupt again and must not be lost.
  while ((Mmio(kState) & kStateRxFull) != 0) {
    Mmio(kIntStatus) = kIntRx;
    const char c = static_cast<char>(Mmio(kData) & 0xFF);
    if (g_rx_head - g_rx_tail < kRxRingSize) {  // a full ring drops the byte
      g_rx_ring[g_rx_head % kRxRingSize] = c;
      g_rx_head = g_rx_head + 1;
    }
  }
}

void UartLogSink::WriteLine(std::string_view line) {
  Uart0::Write(line);
  Uart0::Write("\r\n");
}

}  // namespace pmu::hal::mps2

namespace pmu::hal::cortex_m {

// The shared runtime's fault report and stdio write here.
void ConsoleWritePolled(std::string_view text) { mps2::Uart0::WritePolled(text); }

}  // namespace pmu::hal::cortex_m
