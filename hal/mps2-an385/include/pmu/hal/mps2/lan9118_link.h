// The AN385's Ethernet MAC: an SMSC LAN9220 (QEMU emulates its software-compatible
// LAN9118) at 0x40200000 on interrupt 13, behind the same hal::Link interface as the
// simulator's TAP link.
//
// Receiving is interrupt-driven: the interrupt handler stamps each frame whose status
// has entered the chip's RX status FIFO since it last ran (the receive time stamps PTP
// needs: the main loop may be inside a TLS handshake for a second), raises the FIFO's
// interrupt level to what is queued, clears the chip's status and notes that frames
// are pending (interrupts hand over, the main loop owns the stack, so lwIP needs no
// locking). The main loop sleeps in WFI until that or the 1 ms SysTick, then Receive()
// drains the chip's RX FIFO: one word from the RX status port (with its stamp, the
// level lowered to what is left), then exactly the data words that frame occupies. An
// interrupt rather than polling because it wakes the idle loop at once (ping and TCP
// ACK latency), which polling could only match by spinning instead of sleeping.
//
// Transmission copies each frame into the TX data FIFO (command words A and B, then
// the data); the chip sends it on its own. Multicast frames are all accepted
// (MAC_CR.MCPAS): lwIP filters groups itself, and the device joins only a few.
#pragma once

#include <cstdint>

#include "pmu/hal/clock.h"
#include "pmu/hal/link.h"

namespace pmu::hal::mps2 {

struct Lan9118Counters {
  std::uint32_t rx_frames = 0;
  std::uint32_t rx_errors = 0;     // status word reported an error; frame discarded
  std::uint32_t rx_oversized = 0;  // longer than the caller's buffer; discarded
  std::uint32_t tx_frames = 0;
  std::uint32_t tx_errors = 0;     // TX status word reported an error
  std::uint32_t tx_fifo_full = 0;  // no room in the TX FIFO in time; frame dropped
};

class Lan9118Link final : public Link {
 public:
  static constexpr std::uintptr_t kBase = 0x40200000;
  static constexpr unsigned kIrq = 13;

  explicit Lan9118Link(const Clock& clock) : clock_(clock) {}
  Lan9118Link(const Lan9118Link&) = delete;
  Lan9118Link& operator=(const Lan9118Link&) = delete;

  // Checks the chip (BYTE_TEST, then ID_REV: LAN9118 0x0118 or LAN9220 0x9220), soft
  // resets it, sets the MAC address, starts PHY auto-negotiation, enables TX and RX,
  // programs IRQ_CFG (push-pull, active high) and only then enables interrupt 13.
  // With `use_hardware_mac` the address is the one the chip loaded from its EEPROM into
  // ADDRH/ADDRL at reset (kNotFound when there is none), else `mac` is programmed.
  // Errors: kUnavailable (no chip, or it does not come out of reset), kNotFound.
  Status Open(const MacAddress& mac, bool use_hardware_mac);

  std::uint16_t chip_id() const { return chip_id_; }
  std::uint16_t chip_revision() const { return chip_rev_; }
  const Lan9118Counters& counters() const { return counters_; }
  // Frames the chip dropped for want of FIFO space (its RX_DROP counter).
  std::uint32_t ReadRxDropped();

  // Whether the interrupt handler has signalled frames since the last empty Receive()
  // (the idle loop's wake-up check).
  static bool RxSignalled();
  // Interrupts taken since boot.
  static std::uint32_t InterruptCount();

  MacAddress mac() const override { return mac_; }
  // Link status from the PHY's basic status register; at each change to up, the MAC's
  // duplex follows what auto-negotiation agreed.
  bool IsUp() override;
  Status Send(ByteSpan frame) override;
  Result<std::size_t> Receive(MutableByteSpan buffer) override;
  // When interrupt 13 came for the frame Receive() returned last (0: it had none, as
  // when more than 16 frames waited), on the clock given at construction.
  std::uint64_t ReceivedAtNs() const override { return received_at_ns_; }

  // Interrupt 13's handler (vector table).
  static void Isr();

 private:
  Result<std::uint32_t> MacRead(unsigned index);
  Status MacWrite(unsigned index, std::uint32_t value);
  Result<std::uint16_t> PhyRead(unsigned reg);
  Status PhyWrite(unsigned reg, std::uint16_t value);
  Status WaitClear(std::uintptr_t reg, std::uint32_t mask, std::uint32_t timeout_us);
  bool FullDuplex();
  void DiscardWords(std::uint32_t words);
  void DrainTxStatus();
  // Reads the next RX status word, with its frame's stamp into received_at_ns_.
  std::uint32_t PopRxStatus();

  const Clock& clock_;
  MacAddress mac_;
  std::uint16_t chip_id_ = 0;
  std::uint16_t chip_rev_ = 0;
  std::uint32_t mac_cr_ = 0;
  bool up_ = false;
  std::uint16_t tx_tag_ = 0;
  std::uint64_t received_at_ns_ = 0;
  Lan9118Counters counters_;
};

}  // namespace pmu::hal::mps2
