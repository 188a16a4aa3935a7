// IEEE 1588-2008 (PTP version 2) messages an ordinary slave clock needs, over UDP/IPv4
// or Ethernet (docs/PROTOCOL.md "Time: PTP slave"): it parses Sync, Follow_Up,
// Delay_Resp and Announce from the masters and the peer delay messages (Pdelay_Req,
// Pdelay_Resp, Pdelay_Resp_Follow_Up) from its link neighbour, and writes its own
// Delay_Req or Pdelay_Req and its answers to a neighbour's Pdelay_Req.
// Pure code over byte spans: no I/O, no heap.
//
// Every message starts with the 34-byte common header (1588-2008 13.3); multi-byte
// fields are big-endian. A time stamp is 48 bits of seconds and 32 bits of
// nanoseconds (13.3.2.1 Timestamp); correctionField is nanoseconds * 2^16.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "pmu/base/bytes.h"
#include "pmu/base/result.h"

namespace pmu::proto::ptp {

inline constexpr std::uint16_t kEventPort = 319;
inline constexpr std::uint16_t kGeneralPort = 320;
inline constexpr std::size_t kHeaderSize = 34;
inline constexpr std::size_t kDelayReqSize = 44;
inline constexpr std::size_t kPdelaySize = 54;  // Pdelay_Req, Pdelay_Resp, Pdelay_Resp_Follow_Up
// Layer 2 (1588-2008 Annex F): the EtherType, and the destinations of every message but
// the peer delay ones, and of those (a group no bridge forwards).
inline constexpr std::uint16_t kEtherType = 0x88F7;
inline constexpr std::array<std::uint8_t, 6> kL2Group = {0x01, 0x1B, 0x19, 0x00, 0x00, 0x00};
inline constexpr std::array<std::uint8_t, 6> kL2PeerGroup = {0x01, 0x80, 0xC2, 0x00, 0x00, 0x0E};
// The longest message the slave reads in full: an Announce (64 bytes) with the power
// profile's TLV (22), rounded up to whole words; other TLVs beyond it are ignored.
inline constexpr std::size_t kMaxMessage = 88;

enum class MessageType : std::uint8_t {
  kSync = 0x0,
  kDelayReq = 0x1,
  kPdelayReq = 0x2,
  kPdelayResp = 0x3,
  kFollowUp = 0x8,
  kDelayResp = 0x9,
  kPdelayRespFollowUp = 0xA,
  kAnnounce = 0xB,
};

// flagField bits (1588-2008 Table 20), as the 16-bit big-endian field.
inline constexpr std::uint16_t kFlagTwoStep = 0x0200;
inline constexpr std::uint16_t kFlagUtcOffsetValid = 0x0004;
inline constexpr std::uint16_t kFlagPtpTimescale = 0x0008;

using ClockIdentity = std::array<std::uint8_t, 8>;

struct PortIdentity {
  ClockIdentity clock{};
  std::uint16_t port = 0;
  friend bool operator==(const PortIdentity&, const PortIdentity&) = default;
};

struct Timestamp {
  std::uint64_t seconds = 0;  // 48 bits on the wire
  std::uint32_t nanoseconds = 0;
  // Nanoseconds since the epoch; seconds beyond 2^33 (year 2242) do not fit and are
  // refused by the parser.
  std::int64_t Ns() const { return static_cast<std::int64_t>(seconds) * 1'000'000'000 + nanoseconds; }
  static Timestamp FromNs(std::int64_t ns);
};

struct Header {
  MessageType type = MessageType::kSync;
  std::uint8_t domain = 0;
  std::uint16_t length = 0;
  std::uint16_t flags = 0;
  std::int64_t correction = 0;  // nanoseconds * 2^16
  PortIdentity source;
  std::uint16_t sequence = 0;
  std::int8_t log_interval = 0;
};

struct ClockQuality {
  std::uint8_t clock_class = 248;
  std::uint8_t accuracy = 0xFE;
  std::uint16_t variance = 0xFFFF;  // offsetScaledLogVariance
};

// IEEE C37.238's TLV in an Announce (an ORGANIZATION_EXTENSION of OUI 1C-12-9D): the
// grandmaster's statement of how far its time may be off. Subtype 1 (C37.238-2011)
// states the grandmaster's and the network's inaccuracy, added here; subtype 2
// (C37.238-2017) the total.
struct PowerProfileTlv {
  bool present = false;
  std::uint8_t subtype = 0;  // 1: 2011, 2: 2017
  std::uint16_t grandmaster_id = 0;
  std::uint32_t inaccuracy_ns = 0;  // 2011's sum saturates at 2^32 - 1 (4.3 s)
};

struct Announce {
  std::int16_t utc_offset = 0;
  std::uint8_t priority1 = 128;
  ClockQuality quality;
  std::uint8_t priority2 = 128;
  ClockIdentity grandmaster{};
  std::uint16_t steps_removed = 0;
  std::uint8_t time_source = 0;
  PowerProfileTlv power;  // from the TLVs after the body, if one is there
};

// One parsed message: the header, and the body its type carries.
struct Message {
  Header header;
  // Sync, Delay_Req and Pdelay_Req: origin; Follow_Up: precise origin; Delay_Resp:
  // receive; Pdelay_Resp: request receipt (t2); Pdelay_Resp_Follow_Up: response
  // origin (t3).
  Timestamp timestamp;
  PortIdentity requesting;      // Delay_Resp, Pdelay_Resp, Pdelay_Resp_Follow_Up
  Announce announce;            // Announce
};

// Parses one message of the types above from `datagram`, the first bytes of one of
// `received` bytes (a receive buffer of kMaxMessage keeps the start of a longer one).
// Errors (InvalidArgument, naming the fault): shorter than the header or than its
// type's body, messageLength beyond what was received, a PTP version other than 2, a
// message type the slave does not read (Signaling, Management), seconds beyond 2^33,
// nanoseconds of 1e9 or more. An Announce's TLVs are read as far as both messageLength
// and the bytes given reach; a TLV that does not fit ends the walk.
Result<Message> Parse(ByteSpan datagram, std::size_t received);
inline Result<Message> Parse(ByteSpan datagram) { return Parse(datagram, datagram.size()); }

// Writes one of the messages a slave sends into `out`: Delay_Req (44 bytes), or
// Pdelay_Req, Pdelay_Resp and Pdelay_Resp_Follow_Up (54 bytes), from the header's
// source, domain, sequence, flags and correction, with the body's time stamp and, for
// the two answers, the requesting port. Returns the length, 0 if `out` is too small or
// the type is not one of those.
std::size_t Write(std::span<std::byte> out, const Message& m);

// A Delay_Req from `source` with `sequence` in `domain`, origin time stamp `origin` (an
// estimate; two-step and E2E slaves may send zero).
std::size_t WriteDelayReq(std::span<std::byte> out, const PortIdentity& source, std::uint8_t domain,
                          std::uint16_t sequence, const Timestamp& origin);

// The best master clock comparison of two Announce datasets (1588-2008 9.3.4, the
// part without topology: priority1, class, accuracy, variance, priority2, grandmaster
// identity, then steps removed, then the sender's port identity). Negative when `a`
// is better, positive when `b` is, 0 when they are the same.
int CompareDatasets(const Announce& a, const PortIdentity& a_sender, const Announce& b,
                    const PortIdentity& b_sender);

}  // namespace pmu::proto::ptp
