#include "pmu/proto/ntp.h"

namespace pmu::proto::ntp {
namespace {

// 1900-01-01 to 1970-01-01.
constexpr std::int64_t kUnixEpochInNtpSeconds = 2'208'988'800;
constexpr std::int64_t kNsPerSecond = 1'000'000'000;
constexpr std::int64_t kEraSeconds = std::int64_t{1} << 32;

std::uint64_t LoadBe64(const std::byte* p) {
  return (std::uint64_t{LoadBe32(p)} << 32) | LoadBe32(p + 4);
}

void StoreBe64(std::byte* p, std::uint64_t v) {
  StoreBe32(p, static_cast<std::uint32_t>(v >> 32));
  StoreBe32(p + 4, static_cast<std::uint32_t>(v));
}

}  // namespace

Result<Packet> Parse(ByteSpan data) {
  if (data.size() < kPacketSize) return InvalidArgument("NTP packet shorter than 48 bytes");
  const std::byte* p = data.data();
  Packet m;
  const auto first = static_cast<std::uint8_t>(p[0]);
  m.leap = static_cast<std::uint8_t>(first >> 6);
  m.version = static_cast<std::uint8_t>((first >> 3) & 7);
  m.mode = static_cast<std::uint8_t>(first & 7);
  if (m.version < 1 || m.version > 4) return InvalidArgument("NTP packet of an unknown version");
  m.stratum = static_cast<std::uint8_t>(p[1]);
  m.poll = static_cast<std::int8_t>(p[2]);
  m.precision = static_cast<std::int8_t>(p[3]);
  m.root_delay = LoadBe32(p + 4);
  m.root_dispersion = LoadBe32(p + 8);
  m.reference_id = LoadBe32(p + 12);
  m.reference = LoadBe64(p + 16);
  m.origin = LoadBe64(p + 24);
  m.receive = LoadBe64(p + 32);
  m.transmit = LoadBe64(p + 40);
  return m;
}

std::size_t WriteRequest(std::span<std::byte> out, std::uint64_t transmit) {
  if (out.size() < kPacketSize) return 0;
  for (std::size_t i = 0; i < kPacketSize; ++i) out[i] = std::byte{0};
  out[0] = static_cast<std::byte>((4 << 3) | static_cast<std::uint8_t>(Mode::kClient));
  StoreBe64(out.data() + 40, transmit);
  return kPacketSize;
}

Status AnswerTo(const Packet& reply, std::uint64_t transmit) {
  if (reply.mode != static_cast<std::uint8_t>(Mode::kServer)) return InvalidArgument("not a server reply (mode 4)");
  if (reply.version < 3) return InvalidArgument("a server reply of version 1 or 2");
  if (reply.origin != transmit) return InvalidArgument("a reply to no request of ours (origin time stamp)");
  if (reply.stratum == 0) {
    // The kiss code is in the reference ID (RFC 5905 7.4).
    switch (reply.reference_id) {
      case kKissRate: return Unavailable("kiss-o'-death RATE: poll less often");
      case kKissDeny: return Unavailable("kiss-o'-death DENY: the server refuses this client");
      case kKissRestrict: return Unavailable("kiss-o'-death RSTR: the server refuses this client");
      default: return Unavailable("kiss-o'-death (stratum 0)");
    }
  }
  if (reply.stratum > 15) return InvalidArgument("a server of stratum 16 (unsynchronised)");
  if (reply.leap == kLeapUnsynchronised) return InvalidArgument("a server whose clock is not synchronised (LI 3)");
  if (reply.receive == 0 || reply.transmit == 0) return InvalidArgument("a reply without receive or transmit time");
  return Status::Ok();
}

void ReferenceText(std::uint32_t id, char out[5]) {
  for (int i = 0; i < 4; ++i) {
    const auto c = static_cast<char>((id >> (24 - 8 * i)) & 0xFF);
    out[i] = c >= 0x20 && c < 0x7F ? c : '\0';
  }
  out[4] = '\0';
}

std::uint64_t FromUnixNs(std::int64_t unix_ns) {
  std::int64_t seconds = unix_ns / kNsPerSecond;
  std::int64_t ns = unix_ns % kNsPerSecond;
  if (ns < 0) {
    ns += kNsPerSecond;
    --seconds;
  }
  const auto ntp_seconds = static_cast<std::uint64_t>(seconds + kUnixEpochInNtpSeconds) & 0xFFFFFFFFu;
  // The fraction: ns * 2^32 / 1e9, rounded down (ns < 2^30, so ns << 32 fits).
  const std::uint64_t fraction = (static_cast<std::uint64_t>(ns) << 32) / kNsPerSecond;
  return (ntp_seconds << 32) | fraction;
}

std::int64_t ToUnixNs(std::uint64_t ntp, std::int64_t near_unix_ns) {
  const auto seconds32 = static_cast<std::int64_t>(ntp >> 32);
  const std::uint64_t fraction = ntp & 0xFFFFFFFFu;
  // The era that puts it nearest `near`: seconds since 1900 in that era, then to Unix.
  const std::int64_t near_ntp = near_unix_ns / kNsPerSecond + kUnixEpochInNtpSeconds;
  std::int64_t era = (near_ntp >> 32);
  std::int64_t candidate = era * kEraSeconds + seconds32;
  if (candidate - near_ntp > kEraSeconds / 2) candidate -= kEraSeconds;
  if (near_ntp - candidate > kEraSeconds / 2) candidate += kEraSeconds;
  const auto ns = static_cast<std::int64_t>((fraction * kNsPerSecond + (std::uint64_t{1} << 31)) >> 32);
  return (candidate - kUnixEpochInNtpSeconds) * kNsPerSecond + ns;
}

std::uint64_t ShortToNs(std::uint32_t short_format) {
  return (std::uint64_t{short_format} * kNsPerSecond + 0x8000) >> 16;
}

}  // namespace pmu::proto::ntp
