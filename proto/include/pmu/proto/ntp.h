// NTP version 4 packets as a simple (SNTP) client needs them (RFC 5905 7.3; RFC 4330's
// client rules, docs/PROTOCOL.md "Time: SNTP client"): it writes a client request and
// reads a server's reply. Pure code over byte spans: no I/O, no heap.
//
// The 48-byte header: LI (2 bits), VN (3), Mode (3), Stratum, Poll, Precision (signed
// log2 seconds), Root Delay and Root Dispersion (NTP short format: 16.16 seconds),
// Reference ID, then four NTP time stamps (64 bits: seconds since 1900 and a 32-bit
// fraction): reference, origin, receive, transmit. Big-endian. Extension fields and a
// MAC may follow; they are not read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "pmu/base/bytes.h"
#include "pmu/base/result.h"

namespace pmu::proto::ntp {

inline constexpr std::uint16_t kPort = 123;
inline constexpr std::size_t kPacketSize = 48;

enum class Mode : std::uint8_t { kClient = 3, kServer = 4 };
inline constexpr std::uint8_t kLeapUnsynchronised = 3;  // LI 3: the server's clock is not synchronised
inline constexpr std::uint32_t kKissRate = 0x52415445;   // "RATE": poll less often
inline constexpr std::uint32_t kKissDeny = 0x44454E59;   // "DENY": stop
inline constexpr std::uint32_t kKissRestrict = 0x52535452;  // "RSTR": stop

struct Packet {
  std::uint8_t leap = 0;
  std::uint8_t version = 4;
  std::uint8_t mode = 0;
  std::uint8_t stratum = 0;
  std::int8_t poll = 0;
  std::int8_t precision = 0;
  std::uint32_t root_delay = 0;       // NTP short format
  std::uint32_t root_dispersion = 0;  // NTP short format
  std::uint32_t reference_id = 0;     // at stratum 0, the kiss code ("RATE", "DENY", ...)
  std::uint64_t reference = 0;
  std::uint64_t origin = 0;
  std::uint64_t receive = 0;
  std::uint64_t transmit = 0;
};

// Reads a packet of at least 48 bytes, checking only what any packet must be: a
// version of 1 to 4. Whether a reply is usable is the client's question (AnswerTo).
Result<Packet> Parse(ByteSpan data);
// A client request (mode 3, version 4) whose transmit time stamp is `transmit`; the
// server echoes it as the reply's origin, which is how the reply is matched (RFC 4330
// 5: the client's only defence against a forged or stale reply). Returns 48.
std::size_t WriteRequest(std::span<std::byte> out, std::uint64_t transmit);

// Whether `reply` answers the request that carried `transmit`: a server reply (mode 4)
// of version 3 or 4, synchronised (LI not 3), stratum 1 to 15, our time stamp as its
// origin, and receive and transmit time stamps set. A kiss-o'-death (stratum 0) is
// reported as such: kUnavailable, its code in the message ("kiss-o'-death RATE: ...").
Status AnswerTo(const Packet& reply, std::uint64_t transmit);
// The four characters of a kiss code or a reference ID ("RATE", "GPS\0"...).
void ReferenceText(std::uint32_t id, char out[5]);

// NTP time stamps and the Unix time scale in nanoseconds. An NTP time stamp's 32-bit
// seconds wrap every 136 years (era 1 starts in 2036): ToUnixNs reads it as the time
// within 68 years of `near_unix_ns` (the client's own idea of now).
std::uint64_t FromUnixNs(std::int64_t unix_ns);
std::int64_t ToUnixNs(std::uint64_t ntp, std::int64_t near_unix_ns);
// The NTP short format (16.16 seconds) in nanoseconds.
std::uint64_t ShortToNs(std::uint32_t short_format);

}  // namespace pmu::proto::ntp
