// The LM3S6965's Ethernet controller: a 10/100 MAC with an integrated PHY at 0x40048000
// on interrupt 42 (data sheet section 15; QEMU's stellaris_enet), behind hal::Link.
//
// Receiving is interrupt-driven exactly as on the AN385 (lan9118_link.h): the handler
// masks interrupt 42 and notes that frames are pending; the main loop's Receive()
// drains the RX FIFO through MACDATA and unmasks it once the FIFO is empty. In the FIFO
// each frame starts with a 16-bit length (the two length bytes, the frame and its
// 4-byte FCS), and its bytes follow in little-endian words; the FCS is dropped here.
//
// Transmitting writes the frame into the TX FIFO through MACDATA (the first word
// carries the payload length, without the 14-byte header, and the first two bytes of
// the frame) and starts it with MACTR.NEWTX; the MAC pads short frames and appends the
// FCS (MACTCTL.PADEN, CRC). The FIFO holds one frame: Send() waits (bounded) for the
// previous one to leave. Checksums of IP, TCP, UDP and ICMP are lwIP's, in software:
// this MAC computes none, and QEMU's model neither checks nor fills any (it only
// appends the FCS to received frames).
//
// The MAC does no address filtering for multicast (MACRCTL.AMUL: all accepted; lwIP
// filters groups itself). The MAC address comes from the configuration (MACIA0/1):
// the chip has no address of its own (the EK-LM3S6965 keeps one in its user flash
// registers, which this driver does not read).
//
// The PHY is reached through the MII management registers (MACMCTL, MACMTXD,
// MACMRXD). QEMU 7.2 does not model the MII: every PHY register reads 0. A PHY whose
// identifier reads 0x0000 or 0xFFFF is taken as "not answering": the link is then
// reported up (the emulated MAC always passes frames) and phy_present() says so.
#pragma once

#include <cstdint>

#include "pmu/hal/clock.h"
#include "pmu/hal/link.h"

namespace pmu::hal::lm3s6965 {

struct StellarisEthernetCounters {
  std::uint32_t rx_frames = 0;
  std::uint32_t rx_errors = 0;     // impossible length in the FIFO; frame discarded
  std::uint32_t rx_oversized = 0;  // longer than the caller's buffer; discarded
  std::uint32_t rx_overruns = 0;   // the MAC reported a FIFO overrun (frames lost)
  std::uint32_t tx_frames = 0;
  std::uint32_t tx_busy = 0;       // the previous frame did not leave in time; dropped
};

class StellarisEthernetLink final : public Link {
 public:
  static constexpr std::uintptr_t kBase = 0x40048000;
  static constexpr unsigned kIrq = 42;

  explicit StellarisEthernetLink(const Clock& clock) : clock_(clock) {}
  StellarisEthernetLink(const StellarisEthernetLink&) = delete;
  StellarisEthernetLink& operator=(const StellarisEthernetLink&) = delete;

  // Resets the FIFOs, programs `mac` into MACIA0/MACIA1, sets the MII clock, resets the
  // PHY and starts auto-negotiation (when one answers), enables TX (padding, FCS, full
  // duplex until the PHY says otherwise) and RX (all multicast), and the RX interrupt.
  Status Open(const MacAddress& mac);

  // Whether a PHY answered on the MII (false under QEMU).
  bool phy_present() const { return phy_present_; }
  std::uint16_t phy_id1() const { return phy_id1_; }
  std::uint16_t phy_id2() const { return phy_id2_; }
  const StellarisEthernetCounters& counters() const { return counters_; }

  static bool RxSignalled();
  static std::uint32_t InterruptCount();

  MacAddress mac() const override { return mac_; }
  // The PHY's basic status (link bit; at each change to up the MAC's duplex follows
  // what auto-negotiation agreed), or up when no PHY answers.
  bool IsUp() override;
  Status Send(ByteSpan frame) override;
  Result<std::size_t> Receive(MutableByteSpan buffer) override;

  // Interrupt 42's handler (vector table).
  static void Isr();

 private:
  Result<std::uint16_t> PhyRead(unsigned reg);
  Status PhyWrite(unsigned reg, std::uint16_t value);
  Status WaitMii();
  bool FullDuplex();
  void DiscardWords(std::uint32_t words);
  void ArmRxInterrupt();

  const Clock& clock_;
  MacAddress mac_;
  bool phy_present_ = false;
  std::uint16_t phy_id1_ = 0;
  std::uint16_t phy_id2_ = 0;
  bool up_ = false;
  std::uint32_t tctl_ = 0;
  StellarisEthernetCounters counters_;
};

}  // namespace pmu::hal::lm3s6965
