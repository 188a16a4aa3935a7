#include "pmu/hal/lm3s6965/stellaris_ethernet_link.h"

#include <cstring>

#include "pmu/hal/cortex_m/cortex_m3.h"
#include "pmu/hal/lm3s6965/system_control.h"

namespace pmu::hal::lm3s6965 {
namespace {

using namespace cortex_m;

// MAC registers (LM3S6965 data sheet, section 15.6).
constexpr std::uintptr_t kRis = StellarisEthernetLink::kBase + 0x000;  // read: RIS; write: IACK
constexpr std::uintptr_t kIm = StellarisEthernetLink::kBase + 0x004;
constexpr std::uintptr_t kRctl = StellarisEthernetLink::kBase + 0x008;
constexpr std::uintptr_t kTctl = StellarisEthernetLink::kBase + 0x00C;
constexpr std::uintptr_t kData = StellarisEthernetLink::kBase + 0x010;
constexpr std::uintptr_t kIa0 = StellarisEthernetLink::kBase + 0x014;
constexpr std::uintptr_t kIa1 = StellarisEthernetLink::kBase + 0x018;
constexpr std::uintptr_t kThr = StellarisEthernetLink::kBase + 0x01C;
constexpr std::uintptr_t kMctl = StellarisEthernetLink::kBase + 0x020;
constexpr std::uintptr_t kMdvReg = StellarisEthernetLink::kBase + 0x024;
constexpr std::uintptr_t kMtxd = StellarisEthernetLink::kBase + 0x02C;
constexpr std::uintptr_t kMrxd = StellarisEthernetLink::kBase + 0x030;
constexpr std::uintptr_t kNp = StellarisEthernetLink::kBase + 0x034;
constexpr std::uintptr_t kTr = StellarisEthernetLink::kBase + 0x038;

constexpr std::uint32_t kIntRx = 1u << 0;
constexpr std::uint32_t kIntFov = 1u << 3;
constexpr std::uint32_t kRctlRxEn = 1u << 0;
constexpr std::uint32_t kRctlAllMulticast = 1u << 1;
constexpr std::uint32_t kRctlBadCrc = 1u << 3;  // reject frames with a bad FCS
constexpr std::uint32_t kRctlResetFifo = 1u << 4;
constexpr std::uint32_t kTctlTxEn = 1u << 0;
constexpr std::uint32_t kTctlPad = 1u << 1;
constexpr std::uint32_t kTctlCrc = 1u << 2;
constexpr std::uint32_t kTctlDuplex = 1u << 3;
constexpr std::uint32_t kTrNewTx = 1u << 0;
constexpr std::uint32_t kThrOff = 0x3F;  // transmit only on NEWTX, never at a threshold
constexpr std::uint32_t kMctlStart = 1u << 0;
constexpr std::uint32_t kMctlWrite = 1u << 1;
// MII management clock = system clock / (2 x (MDV + 1)), at most 2.5 MHz.
constexpr std::uint32_t kMdvDivider = kSystemClockHz / (2 * 2'500'000);

// PHY registers (IEEE 802.3 clause 22).
constexpr unsigned kPhyBcr = 0;
constexpr unsigned kPhyBsr = 1;
constexpr unsigned kPhyId1 = 2;
constexpr unsigned kPhyId2 = 3;
constexpr unsigned kPhyAnar = 4;
constexpr unsigned kPhyAnlpar = 5;
constexpr std::uint16_t kBcrReset = 1u << 15;
constexpr std::uint16_t kBcrAnEnable = 1u << 12;
constexpr std::uint16_t kBcrAnRestart = 1u << 9;
constexpr std::uint16_t kBsrLinkUp = 1u << 2;
constexpr std::uint16_t kAnar10_100All = 0x01E1;
constexpr std::uint16_t kAbility100Full = 1u << 8;
constexpr std::uint16_t kAbility100Half = 1u << 7;
constexpr std::uint16_t kAbility10Full = 1u << 6;

// The RX FIFO's length word counts the two length bytes and the FCS too.
constexpr std::uint32_t kRxOverhead = 2 + 4;
constexpr std::uint32_t kHeaderSize = 14;
// One frame of 1518 bytes leaves in 122 us at 100 Mbit/s, 1.2 ms at 10.
constexpr std::uint64_t kTxWaitNs = 2'000'000;

volatile bool g_rx_signalled = false;
volatile std::uint32_t g_interrupts = 0;

std::uint32_t LittleEndianWord(const std::byte* p, std::size_t n) {
  std::uint32_t w = 0;
  std::memcpy(&w, p, n < 4 ? n : 4);  // zero-padded past the end
  return w;
}

}  // namespace

void StellarisEthernetLink::Isr() {
  NvicDisable(kIrq);  // Receive() unmasks it once the FIFO is drained
  g_rx_signalled = true;
  g_interrupts = g_interrupts + 1;
}

bool StellarisEthernetLink::RxSignalled() { return g_rx_signalled; }
std::uint32_t StellarisEthernetLink::InterruptCount() { return g_interrupts; }

Status StellarisEthernetLink::WaitMii() {
  const std::uint64_t deadline = clock_.MonotonicNs() + 1'000'000;
  while ((Mmio(kMctl) & kMctlStart) != 0) {
    if (clock_.MonotonicNs() > deadline) return Unavailable("MII management transaction timed out");
  }
  return Status::Ok();
}

Result<std::uint16_t> StellarisEthernetLink::PhyRead(unsigned reg) {
  PMU_TRY(WaitMii());
  Mmio(kMctl) = (reg << 3) | kMctlStart;
  PMU_TRY(WaitMii());
  return static_cast<std::uint16_t>(Mmio(kMrxd) & 0xFFFF);
}

Status StellarisEthernetLink::PhyWrite(unsigned reg, std::uint16_t value) {
  PMU_TRY(WaitMii());
  Mmio(kMtxd) = value;
  Mmio(kMctl) = (reg << 3) | kMctlWrite | kMctlStart;
  return WaitMii();
}

Status StellarisEthernetLink::Open(const MacAddress& mac) {
  NvicDisable(kIrq);
  Mmio(kRctl) = 0;
  Mmio(kTctl) = 0;
  Mmio(kRctl) = kRctlResetFifo;
  Mmio(kIm) = 0;
  Mmio(kRis) = 0x7F;  // acknowledge everything
  Mmio(kMdvReg) = kMdvDivider;

  mac_ = mac;
  const auto& o = mac.octets;
  Mmio(kIa0) = std::uint32_t{o[0]} | std::uint32_t{o[1]} << 8 | std::uint32_t{o[2]} << 16 | std::uint32_t{o[3]} << 24;
  Mmio(kIa1) = std::uint32_t{o[4]} | std::uint32_t{o[5]} << 8;

  Result<std::uint16_t> id1 = PhyRead(kPhyId1);
  Result<std::uint16_t> id2 = PhyRead(kPhyId2);
  if (!id1.ok()) return id1.status();
  if (!id2.ok()) return id2.status();
  phy_id1_ = *id1;
  phy_id2_ = *id2;
  phy_present_ = !(phy_id1_ == 0x0000 && phy_id2_ == 0x0000) && !(phy_id1_ == 0xFFFF && phy_id2_ == 0xFFFF);
  if (phy_present_) {
    PMU_TRY(PhyWrite(kPhyBcr, kBcrReset));
    for (int i = 0;; ++i) {
      Result<std::uint16_t> bcr = PhyRead(kPhyBcr);
      if (!bcr.ok()) return bcr.status();
      if ((*bcr & kBcrReset) == 0) break;
      if (i == 10000) return Unavailable("the Ethernet PHY stayed in reset");
    }
    PMU_TRY(PhyWrite(kPhyAnar, kAnar10_100All));
    PMU_TRY(PhyWrite(kPhyBcr, kBcrAnEnable | kBcrAnRestart));
  }

  Mmio(kThr) = kThrOff;
  tctl_ = kTctlTxEn | kTctlPad | kTctlCrc | kTctlDuplex;
  Mmio(kTctl) = tctl_;
  Mmio(kRctl) = kRctlResetFifo;
  Mmio(kRctl) = kRctlRxEn | kRctlAllMulticast | kRctlBadCrc;
  Mmio(kRis) = 0x7F;
  Mmio(kIm) = kIntRx | kIntFov;
  g_rx_signalled = false;
  NvicClearPending(kIrq);
  NvicEnable(kIrq);
  return Status::Ok();
}

bool StellarisEthernetLink::FullDuplex() {
  Result<std::uint16_t> ours = PhyRead(kPhyAnar);
  Result<std::uint16_t> theirs = PhyRead(kPhyAnlpar);
  if (!ours.ok() || !theirs.ok()) return false;
  const std::uint16_t common = *ours & *theirs;
  if ((common & kAbility100Full) != 0) return true;
  if ((common & kAbility100Half) != 0) return false;
  return (common & kAbility10Full) != 0;
}

bool StellarisEthernetLink::IsUp() {
  if (!phy_present_) return true;
  // The link bit latches low until read: the second read is the current state.
  (void)PhyRead(kPhyBsr);
  Result<std::uint16_t> bsr = PhyRead(kPhyBsr);
  const bool up = bsr.ok() && (*bsr & kBsrLinkUp) != 0;
  if (up && !up_) {
    tctl_ = FullDuplex() ? (tctl_ | kTctlDuplex) : (tctl_ & ~kTctlDuplex);
    Mmio(kTctl) = tctl_;
  }
  up_ = up;
  return up;
}

Status StellarisEthernetLink::Send(ByteSpan frame) {
  if (frame.size() < kHeaderSize || frame.size() > kMaxFrameSize) return InvalidArgument("frame size");
  if ((Mmio(kTr) & kTrNewTx) != 0) {
    const std::uint64_t deadline = clock_.MonotonicNs() + kTxWaitNs;
    while ((Mmio(kTr) & kTrNewTx) != 0) {
      if (clock_.MonotonicNs() > deadline) {
        ++counters_.tx_busy;
        return ResourceExhausted("the Ethernet MAC is still sending the previous frame");
      }
    }
  }
  const std::byte* p = frame.data();
  const std::size_t length = frame.size();
  // First word: the payload length (without the header) and the frame's first 2 bytes.
  Mmio(kData) = static_cast<std::uint32_t>(length - kHeaderSize) | LittleEndianWord(p, 2) << 16;
  for (std::size_t at = 2; at < length; at += 4) Mmio(kData) = LittleEndianWord(p + at, length - at);
  Mmio(kTr) = kTrNewTx;
  ++counters_.tx_frames;
  return Status::Ok();
}

void StellarisEthernetLink::DiscardWords(std::uint32_t words) {
  for (std::uint32_t i = 0; i < words; ++i) (void)MmioRead(kData);
}

void StellarisEthernetLink::ArmRxInterrupt() {
  g_rx_signalled = false;
  NvicEnable(kIrq);
}

Result<std::size_t> StellarisEthernetLink::Receive(MutableByteSpan buffer) {
  for (;;) {
    if ((Mmio(kRis) & kIntFov) != 0) {
      Mmio(kRis) = kIntFov;
      ++counters_.rx_overruns;
    }
    if ((Mmio(kNp) & 0x3F) == 0) {
      // Drained: acknowledge, look once more (a frame may have arrived in between and
      // raised no new interrupt), and listen again.
      Mmio(kRis) = kIntRx;
      if ((Mmio(kNp) & 0x3F) == 0) {
        ArmRxInterrupt();
        return std::size_t{0};
      }
    }
    const std::uint32_t first = Mmio(kData);
    const std::uint32_t length = first & 0xFFFF;  // length bytes, frame and FCS
    const std::uint32_t words = (length + 3) / 4;  // the first one included
    if (length < kRxOverhead + kHeaderSize || length > 2048) {
      // No trustworthy length: the FIFO's framing is lost; start it afresh.
      ++counters_.rx_errors;
      Mmio(kRctl) = Mmio(kRctl) | kRctlResetFifo;
      continue;
    }
    const std::uint32_t size = length - kRxOverhead;
    if (size > buffer.size()) {
      DiscardWords(words - 1);
      ++counters_.rx_oversized;
      return DataLoss("frame larger than the receive buffer");
    }
    std::byte* out = buffer.data();
    const std::uint32_t head = first >> 16;
    std::memcpy(out, &head, 2);
    for (std::uint32_t i = 1; i < words; ++i) {
      const std::uint32_t w = Mmio(kData);
      const std::uint32_t at = i * 4 - 2;  // where this word's first byte goes
      if (at < size) std::memcpy(out + at, &w, size - at < 4 ? size - at : 4);  // the FCS is dropped
    }
    ++counters_.rx_frames;
    return std::size_t{size};
  }
}

}  // namespace pmu::hal::lm3s6965
