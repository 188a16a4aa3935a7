#include "pmu/hal/mps2/lan9118_link.h"

#include <cstring>

#include "pmu/hal/cortex_m/cortex_m3.h"

namespace pmu::hal::mps2 {

using namespace cortex_m;
namespace {

// System control and status registers (LAN9118/LAN9220 data sheets, section 5).
constexpr std::uintptr_t kRxData = Lan9118Link::kBase + 0x00;    // RX data FIFO port
constexpr std::uintptr_t kTxData = Lan9118Link::kBase + 0x20;    // TX data FIFO port
constexpr std::uintptr_t kRxStatus = Lan9118Link::kBase + 0x40;  // RX status FIFO port (pops)
constexpr std::uintptr_t kTxStatus = Lan9118Link::kBase + 0x48;  // TX status FIFO port (pops)
constexpr std::uintptr_t kIdRev = Lan9118Link::kBase + 0x50;
constexpr std::uintptr_t kIrqCfg = Lan9118Link::kBase + 0x54;
constexpr std::uintptr_t kIntSts = Lan9118Link::kBase + 0x58;
constexpr std::uintptr_t kIntEn = Lan9118Link::kBase + 0x5C;
constexpr std::uintptr_t kByteTest = Lan9118Link::kBase + 0x64;
constexpr std::uintptr_t kFifoInt = Lan9118Link::kBase + 0x68;
constexpr std::uintptr_t kRxCfg = Lan9118Link::kBase + 0x6C;
constexpr std::uintptr_t kTxCfg = Lan9118Link::kBase + 0x70;
constexpr std::uintptr_t kHwCfg = Lan9118Link::kBase + 0x74;
constexpr std::uintptr_t kRxFifoInf = Lan9118Link::kBase + 0x7C;
constexpr std::uintptr_t kTxFifoInf = Lan9118Link::kBase + 0x80;
constexpr std::uintptr_t kPmtCtrl = Lan9118Link::kBase + 0x84;
constexpr std::uintptr_t kGpioCfg = Lan9118Link::kBase + 0x88;
constexpr std::uintptr_t kRxDrop = Lan9118Link::kBase + 0xA0;
constexpr std::uintptr_t kMacCsrCmd = Lan9118Link::kBase + 0xA4;
constexpr std::uintptr_t kMacCsrData = Lan9118Link::kBase + 0xA8;

constexpr std::uint32_t kByteTestValue = 0x87654321;
constexpr std::uint32_t kHwCfgSrst = 1u << 0;
constexpr std::uint32_t kPmtCtrlReady = 1u << 0;
constexpr std::uint32_t kIrqCfgType = 1u << 0;  // push-pull
constexpr std::uint32_t kIrqCfgPol = 1u << 4;   // active high
constexpr std::uint32_t kIrqCfgEn = 1u << 8;
constexpr std::uint32_t kIrqCfgDeassert = 22u << 24;  // 220 us between interrupts (real chip)
constexpr std::uint32_t kIntRsfl = 1u << 3;           // RX status FIFO above its level
constexpr std::uint32_t kTxCfgOn = 1u << 1;
constexpr std::uint32_t kTxCfgStatusOverrun = 1u << 2;  // TXSAO: a full status FIFO never stalls TX
constexpr std::uint32_t kGpioCfgLeds = 7u << 28;        // LED1-3 show link, activity, speed
constexpr std::uint32_t kMacCsrBusy = 1u << 31;
constexpr std::uint32_t kMacCsrRead = 1u << 30;

// MAC control and status registers, reached through MAC_CSR_CMD/DATA.
constexpr unsigned kMacCr = 1;
constexpr unsigned kMacAddrH = 2;
constexpr unsigned kMacAddrL = 3;
constexpr unsigned kMiiAcc = 6;
constexpr unsigned kMiiData = 7;
constexpr std::uint32_t kMacCrRxEn = 1u << 2;
constexpr std::uint32_t kMacCrTxEn = 1u << 3;
constexpr std::uint32_t kMacCrMcPas = 1u << 19;  // pass all multicast
constexpr std::uint32_t kMacCrFdpx = 1u << 20;
constexpr std::uint32_t kMiiBusy = 1u << 0;
constexpr std::uint32_t kMiiWrite = 1u << 1;
constexpr unsigned kPhyAddress = 1;  // the internal PHY

// PHY registers (IEEE 802.3 clause 22).
constexpr unsigned kPhyBcr = 0;
constexpr unsigned kPhyBsr = 1;
constexpr unsigned kPhyAnar = 4;
constexpr unsigned kPhyAnlpar = 5;
constexpr std::uint16_t kBcrReset = 1u << 15;
constexpr std::uint16_t kBcrAnEnable = 1u << 12;
constexpr std::uint16_t kBcrAnRestart = 1u << 9;
constexpr std::uint16_t kBsrLinkUp = 1u << 2;
constexpr std::uint16_t kAnar10_100All = 0x01E1;  // 10/100, half/full, IEEE 802.3 selector
constexpr std::uint16_t kAbility100Full = 1u << 8;
constexpr std::uint16_t kAbility100Half = 1u << 7;
constexpr std::uint16_t kAbility10Full = 1u << 6;

// RX status word: frame length (with its 4-byte FCS) in 29:16, error summary in 15.
constexpr std::uint32_t kRxStatusError = 1u << 15;
constexpr std::uint32_t kTxStatusError = 1u << 15;
// TX command A: first and last segment of a frame in one buffer, 4-byte end alignment.
constexpr std::uint32_t kTxCmdAFirst = 1u << 13;
constexpr std::uint32_t kTxCmdALast = 1u << 12;

constexpr std::uint32_t kTxWaitUs = 2000;  // a full FIFO drains in ~0.4 ms at 100 Mbit/s

volatile bool g_rx_signalled = false;
volatile std::uint32_t g_interrupts = 0;

// Receive time stamps, taken by the interrupt handler for each frame whose status
// entered the RX status FIFO since the last interrupt, oldest first: the main loop may
// be busy for a second (a TLS handshake) before it reads them. g_rx_stamped counts the
// statuses in the FIFO that have one (the oldest ones, in FIFO order).
constexpr std::uint32_t kRxStamps = 16;
volatile std::uint64_t g_rx_stamps[kRxStamps] = {};
volatile std::uint32_t g_rx_stamp_first = 0;
volatile std::uint32_t g_rx_stamped = 0;
const Clock* g_clock = nullptr;

std::uint32_t RxStatusUsed() { return (Mmio(kRxFifoInf) >> 16) & 0xFF; }

// The next RSFL interrupt when the FIFO holds more statuses than it holds now.
void SetRxStatusLevel(std::uint32_t used) { Mmio(kFifoInt) = (Mmio(kFifoInt) & ~0xFFu) | used; }

}  // namespace

void Lan9118Link::Isr() {
  const std::uint32_t used = RxStatusUsed();
  if (g_clock != nullptr && used > g_rx_stamped) {
    const std::uint64_t now = g_clock->MonotonicNs();
    while (g_rx_stamped < used && g_rx_stamped < kRxStamps) {
      g_rx_stamps[(g_rx_stamp_first + g_rx_stamped) % kRxStamps] = now;
      g_rx_stamped = g_rx_stamped + 1;
    }
  }
  // Raise the level to what is queued, then clear the status: the interrupt stays off
  // until another frame arrives (the main loop lowers the level as it reads).
  SetRxStatusLevel(used);
  Mmio(kIntSts) = kIntRsfl;
  g_rx_signalled = true;
  g_interrupts = g_interrupts + 1;
}

bool Lan9118Link::RxSignalled() { return g_rx_signalled; }
std::uint32_t Lan9118Link::InterruptCount() { return g_interrupts; }

Status Lan9118Link::WaitClear(std::uintptr_t reg, std::uint32_t mask, std::uint32_t timeout_us) {
  const std::uint64_t deadline = clock_.MonotonicNs() + std::uint64_t{timeout_us} * 1000u;
  while ((Mmio(reg) & mask) != 0) {
    if (clock_.MonotonicNs() > deadline) return Unavailable("LAN9118 register stayed busy");
  }
  return Status::Ok();
}

Result<std::uint32_t> Lan9118Link::MacRead(unsigned index) {
  if (Status s = WaitClear(kMacCsrCmd, kMacCsrBusy, 1000); !s.ok()) return s;
  Mmio(kMacCsrCmd) = kMacCsrBusy | kMacCsrRead | index;
  (void)MmioRead(kByteTest);  // the data sheet's settling read after a command write
  if (Status s = WaitClear(kMacCsrCmd, kMacCsrBusy, 1000); !s.ok()) return s;
  return static_cast<std::uint32_t>(Mmio(kMacCsrData));
}

Status Lan9118Link::MacWrite(unsigned index, std::uint32_t value) {
  if (Status s = WaitClear(kMacCsrCmd, kMacCsrBusy, 1000); !s.ok()) return s;
  Mmio(kMacCsrData) = value;
  Mmio(kMacCsrCmd) = kMacCsrBusy | index;
  (void)MmioRead(kByteTest);
  return WaitClear(kMacCsrCmd, kMacCsrBusy, 1000);
}

Result<std::uint16_t> Lan9118Link::PhyRead(unsigned reg) {
  const std::uint32_t access = (kPhyAddress << 11) | (reg << 6) | kMiiBusy;
  if (Status s = MacWrite(kMiiAcc, access); !s.ok()) return s;
  for (int i = 0; i < 1000; ++i) {
    Result<std::uint32_t> acc = MacRead(kMiiAcc);
    if (!acc.ok()) return acc.status();
    if ((*acc & kMiiBusy) == 0) {
      Result<std::uint32_t> data = MacRead(kMiiData);
      if (!data.ok()) return data.status();
      return static_cast<std::uint16_t>(*data & 0xFFFF);
    }
  }
  return Unavailable("PHY read timed out");
}

Status Lan9118Link::PhyWrite(unsigned reg, std::uint16_t value) {
  if (Status s = MacWrite(kMiiData, value); !s.ok()) return s;
  const std::uint32_t access = (kPhyAddress << 11) | (reg << 6) | kMiiWrite | kMiiBusy;
  if (Status s = MacWrite(kMiiAcc, access); !s.ok()) return s;
  for (int i = 0; i < 1000; ++i) {
    Result<std::uint32_t> acc = MacRead(kMiiAcc);
    if (!acc.ok()) return acc.status();
    if ((*acc & kMiiBusy) == 0) return Status::Ok();
  }
  return Unavailable("PHY write timed out");
}

Status Lan9118Link::Open(const MacAddress& mac, bool use_hardware_mac) {
  if (Mmio(kByteTest) != kByteTestValue) return Unavailable("no LAN9118 at 0x40200000 (BYTE_TEST)");
  const std::uint32_t id_rev = Mmio(kIdRev);
  chip_id_ = static_cast<std::uint16_t>(id_rev >> 16);
  chip_rev_ = static_cast<std::uint16_t>(id_rev & 0xFFFF);
  if (chip_id_ != 0x0118 && chip_id_ != 0x9220) return Unavailable("unsupported Ethernet chip ID");

  NvicDisable(kIrq);
  g_clock = &clock_;
  g_rx_stamped = 0;
  Mmio(kHwCfg) = kHwCfgSrst;
  if (Status s = WaitClear(kHwCfg, kHwCfgSrst, 100'000); !s.ok()) return s;
  const std::uint64_t deadline = clock_.MonotonicNs() + 100'000'000u;
  while ((Mmio(kPmtCtrl) & kPmtCtrlReady) == 0) {
    if (clock_.MonotonicNs() > deadline) return Unavailable("LAN9118 not ready after reset");
  }

  // The address: the one the chip loaded from its EEPROM at reset, or ours.
  if (use_hardware_mac) {
    Result<std::uint32_t> high = MacRead(kMacAddrH);
    Result<std::uint32_t> low = MacRead(kMacAddrL);
    if (!high.ok()) return high.status();
    if (!low.ok()) return low.status();
    for (int i = 0; i < 4; ++i) mac_.octets[i] = static_cast<std::uint8_t>(*low >> (8 * i));
    for (int i = 0; i < 2; ++i) mac_.octets[4 + i] = static_cast<std::uint8_t>(*high >> (8 * i));
    bool all_zero = true, all_ones = true;
    for (std::uint8_t b : mac_.octets) {
      all_zero = all_zero && b == 0x00;
      all_ones = all_ones && b == 0xFF;
    }
    if (all_zero || all_ones || (mac_.octets[0] & 1) != 0) {
      return NotFound("the LAN9118 has no address from an EEPROM");
    }
  } else {
    mac_ = mac;
    const auto& o = mac.octets;
    if (Status s = MacWrite(kMacAddrL, std::uint32_t{o[0]} | std::uint32_t{o[1]} << 8 | std::uint32_t{o[2]} << 16 |
                                           std::uint32_t{o[3]} << 24);
        !s.ok()) {
      return s;
    }
    if (Status s = MacWrite(kMacAddrH, std::uint32_t{o[4]} | std::uint32_t{o[5]} << 8); !s.ok()) return s;
  }

  // PHY: reset, advertise 10/100 half and full duplex, auto-negotiate.
  if (Status s = PhyWrite(kPhyBcr, kBcrReset); !s.ok()) return s;
  for (int i = 0;; ++i) {
    Result<std::uint16_t> bcr = PhyRead(kPhyBcr);
    if (!bcr.ok()) return bcr.status();
    if ((*bcr & kBcrReset) == 0) break;
    if (i == 10000) return Unavailable("PHY stayed in reset");
  }
  if (Status s = PhyWrite(kPhyAnar, kAnar10_100All); !s.ok()) return s;
  if (Status s = PhyWrite(kPhyBcr, kBcrAnEnable | kBcrAnRestart); !s.ok()) return s;

  Mmio(kGpioCfg) = kGpioCfgLeds;
  Mmio(kRxCfg) = 0;  // no offset before the frame, 4-byte end alignment
  Mmio(kTxCfg) = kTxCfgOn | kTxCfgStatusOverrun;
  Mmio(kFifoInt) = 0x48000000;  // the reset value: RSFL as soon as one status is queued
  mac_cr_ = kMacCrTxEn | kMacCrRxEn | kMacCrMcPas;  // also clears PRMS (promiscuous)
  if (Status s = MacWrite(kMacCr, mac_cr_); !s.ok()) return s;

  // Interrupts: the chip's output must be push-pull and active high before the NVIC
  // listens to it, or a de-asserted line reads as a permanent interrupt.
  Mmio(kIntEn) = 0;
  Mmio(kIntSts) = 0xFFFFFFFF;
  Mmio(kIrqCfg) = kIrqCfgDeassert | kIrqCfgEn | kIrqCfgPol | kIrqCfgType;
  Mmio(kIntEn) = kIntRsfl;
  g_rx_signalled = false;
  NvicClearPending(kIrq);
  NvicEnable(kIrq);
  return Status::Ok();
}

std::uint32_t Lan9118Link::ReadRxDropped() { return Mmio(kRxDrop); }

bool Lan9118Link::FullDuplex() {
  Result<std::uint16_t> ours = PhyRead(kPhyAnar);
  Result<std::uint16_t> theirs = PhyRead(kPhyAnlpar);
  if (!ours.ok() || !theirs.ok()) return false;
  const std::uint16_t common = *ours & *theirs;
  if ((common & kAbility100Full) != 0) return true;
  if ((common & kAbility100Half) != 0) return false;
  return (common & kAbility10Full) != 0;
}

bool Lan9118Link::IsUp() {
  // The link bit latches low until read: the second read is the current state.
  (void)PhyRead(kPhyBsr);
  Result<std::uint16_t> bsr = PhyRead(kPhyBsr);
  const bool up = bsr.ok() && (*bsr & kBsrLinkUp) != 0;
  if (up && !up_) {
    const std::uint32_t cr = FullDuplex() ? (mac_cr_ | kMacCrFdpx) : (mac_cr_ & ~kMacCrFdpx);
    if (cr != mac_cr_ && MacWrite(kMacCr, cr).ok()) mac_cr_ = cr;
  }
  up_ = up;
  return up;
}

void Lan9118Link::DrainTxStatus() {
  while (((Mmio(kTxFifoInf) >> 16) & 0xFF) != 0) {
    if ((Mmio(kTxStatus) & kTxStatusError) != 0) ++counters_.tx_errors;
  }
}

Status Lan9118Link::Send(ByteSpan frame) {
  if (frame.size() < 14 || frame.size() > kMaxFrameSize) return InvalidArgument("frame size");
  DrainTxStatus();
  const auto length = static_cast<std::uint32_t>(frame.size());
  const std::uint32_t words = (length + 3) / 4;
  const std::uint32_t needed = words * 4 + 8;  // data and the two command words
  if ((Mmio(kTxFifoInf) & 0xFFFF) < needed) {
    const std::uint64_t deadline = clock_.MonotonicNs() + std::uint64_t{kTxWaitUs} * 1000u;
    while ((Mmio(kTxFifoInf) & 0xFFFF) < needed) {
      if (clock_.MonotonicNs() > deadline) {
        ++counters_.tx_fifo_full;
        return ResourceExhausted("LAN9118 TX FIFO full");
      }
    }
  }
  tx_tag_ = static_cast<std::uint16_t>(tx_tag_ + 1);
  Mmio(kTxData) = kTxCmdAFirst | kTxCmdALast | length;
  Mmio(kTxData) = std::uint32_t{tx_tag_} << 16 | length;
  const std::byte* p = frame.data();
  for (std::uint32_t i = 0; i < words; ++i) {
    // Little-endian words, first byte in bits 7:0; the last word is zero-padded.
    std::uint32_t w = 0;
    const std::uint32_t n = length - i * 4 < 4 ? length - i * 4 : 4;
    std::memcpy(&w, p + i * 4, n);
    Mmio(kTxData) = w;
  }
  ++counters_.tx_frames;
  return Status::Ok();
}

void Lan9118Link::DiscardWords(std::uint32_t words) {
  for (std::uint32_t i = 0; i < words; ++i) (void)MmioRead(kRxData);
}

std::uint32_t Lan9118Link::PopRxStatus() {
  IrqLock lock;  // the handler adds stamps and sets the level
  const std::uint32_t status = Mmio(kRxStatus);
  received_at_ns_ = 0;
  if (g_rx_stamped > 0) {
    received_at_ns_ = g_rx_stamps[g_rx_stamp_first];
    g_rx_stamp_first = (g_rx_stamp_first + 1) % kRxStamps;
    g_rx_stamped = g_rx_stamped - 1;
  }
  SetRxStatusLevel(RxStatusUsed());
  return status;
}

Result<std::size_t> Lan9118Link::Receive(MutableByteSpan buffer) {
  for (;;) {
    {
      // Drained: the idle loop may sleep. Under the lock, so that a frame arriving
      // now signals after this, not before.
      IrqLock lock;
      if (RxStatusUsed() == 0) {
        g_rx_signalled = false;
        return std::size_t{0};
      }
    }
    const std::uint32_t status = PopRxStatus();
    const std::uint32_t length = (status >> 16) & 0x3FFF;  // with the FCS
    const std::uint32_t words = (length + 3) / 4;
    if ((status & kRxStatusError) != 0 || length < 14 + 4) {
      DiscardWords(words);
      ++counters_.rx_errors;
      continue;
    }
    const std::uint32_t frame = length - 4;
    if (frame > buffer.size()) {
      DiscardWords(words);
      ++counters_.rx_oversized;
      return DataLoss("frame larger than the receive buffer");
    }
    std::byte* out = buffer.data();
    for (std::uint32_t i = 0; i < words; ++i) {
      const std::uint32_t w = Mmio(kRxData);
      const std::uint32_t at = i * 4;
      if (at < frame) std::memcpy(out + at, &w, frame - at < 4 ? frame - at : 4);  // the FCS is dropped
    }
    ++counters_.rx_frames;
    return std::size_t{frame};
  }
}

}  // namespace pmu::hal::mps2
