#include "pmu/proto/ptp.h"

#include <cstring>

namespace pmu::proto::ptp {
namespace {

constexpr std::uint64_t kMaxSeconds = 1ull << 33;

std::uint64_t LoadBe48(const std::byte* p) {
  std::uint64_t v = 0;
  for (int i = 0; i < 6; ++i) v = (v << 8) | static_cast<std::uint8_t>(p[i]);
  return v;
}

std::uint64_t LoadBe64(const std::byte* p) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<std::uint8_t>(p[i]);
  return v;
}

void StoreBe48(std::byte* p, std::uint64_t v) {
  for (int i = 5; i >= 0; --i, v >>= 8) p[i] = static_cast<std::byte>(v & 0xFF);
}

PortIdentity LoadPortIdentity(const std::byte* p) {
  PortIdentity id;
  std::memcpy(id.clock.data(), p, 8);
  id.port = LoadBe16(p + 8);
  return id;
}

void StorePortIdentity(std::byte* p, const PortIdentity& id) {
  std::memcpy(p, id.clock.data(), 8);
  StoreBe16(p + 8, id.port);
}

Result<Timestamp> LoadTimestamp(const std::byte* p) {
  Timestamp t;
  t.seconds = LoadBe48(p);
  t.nanoseconds = LoadBe32(p + 6);
  if (t.seconds >= kMaxSeconds) return InvalidArgument("PTP time stamp: seconds beyond 2^33");
  if (t.nanoseconds >= 1'000'000'000u) return InvalidArgument("PTP time stamp: nanoseconds of 1e9 or more");
  return t;
}

// The body's size after the header, or 0 for a type the slave does not read.
std::size_t BodySize(MessageType type) {
  switch (type) {
    case MessageType::kSync:
    case MessageType::kDelayReq:
    case MessageType::kFollowUp: return 10;
    case MessageType::kDelayResp:
    case MessageType::kPdelayReq:  // origin and 10 reserved bytes
    case MessageType::kPdelayResp:
    case MessageType::kPdelayRespFollowUp: return 20;
    case MessageType::kAnnounce: return 30;
  }
  return 0;
}

bool Known(std::uint8_t type) { return type <= 0x3 || (type >= 0x8 && type <= 0xB); }

Announce LoadAnnounce(const std::byte* p) {
  // After the origin time stamp (10 bytes): currentUtcOffset, reserved, priority1,
  // clock quality (class, accuracy, variance), priority2, identity, steps, source.
  Announce a;
  a.utc_offset = static_cast<std::int16_t>(LoadBe16(p + 10));
  a.priority1 = static_cast<std::uint8_t>(p[13]);
  a.quality.clock_class = static_cast<std::uint8_t>(p[14]);
  a.quality.accuracy = static_cast<std::uint8_t>(p[15]);
  a.quality.variance = LoadBe16(p + 16);
  a.priority2 = static_cast<std::uint8_t>(p[18]);
  std::memcpy(a.grandmaster.data(), p + 19, 8);
  a.steps_removed = LoadBe16(p + 27);
  a.time_source = static_cast<std::uint8_t>(p[29]);
  return a;
}

// The TLVs after an Announce's body, from `p` to `end`: the C37.238 power profile's.
PowerProfileTlv LoadPowerProfile(const std::byte* p, const std::byte* end) {
  constexpr std::uint16_t kOrganizationExtension = 0x0003;
  constexpr std::uint8_t kOui[3] = {0x1C, 0x12, 0x9D};
  constexpr std::size_t kDataSize = 6 + 12;  // OUI, subtype, then 12 bytes in both versions
  PowerProfileTlv t;
  while (end - p >= 4) {
    const std::uint16_t type = LoadBe16(p);
    const std::size_t length = LoadBe16(p + 2);
    if (static_cast<std::size_t>(end - p) - 4 < length) break;
    const std::byte* v = p + 4;
    p += 4 + length;
    if (type != kOrganizationExtension || length < kDataSize) continue;
    if (static_cast<std::uint8_t>(v[0]) != kOui[0] || static_cast<std::uint8_t>(v[1]) != kOui[1] ||
        static_cast<std::uint8_t>(v[2]) != kOui[2] || v[3] != std::byte{0} || v[4] != std::byte{0}) {
      continue;
    }
    const auto subtype = static_cast<std::uint8_t>(v[5]);
    if (subtype != 1 && subtype != 2) continue;
    t.present = true;
    t.subtype = subtype;
    t.grandmaster_id = LoadBe16(v + 6);
    // 2011: grandmasterTimeInaccuracy, networkTimeInaccuracy; 2017: reserved,
    // totalTimeInaccuracy.
    const std::uint64_t ns = subtype == 1 ? std::uint64_t{LoadBe32(v + 8)} + LoadBe32(v + 12) : LoadBe32(v + 12);
    t.inaccuracy_ns = ns > UINT32_MAX ? UINT32_MAX : static_cast<std::uint32_t>(ns);
    break;
  }
  return t;
}

template <typename T>
int Order(T a, T b) {
  return a < b ? -1 : a > b ? 1 : 0;
}

int OrderIdentity(const ClockIdentity& a, const ClockIdentity& b) { return std::memcmp(a.data(), b.data(), 8); }

}  // namespace

Timestamp Timestamp::FromNs(std::int64_t ns) {
  Timestamp t;
  if (ns < 0) return t;
  t.seconds = static_cast<std::uint64_t>(ns / 1'000'000'000);
  t.nanoseconds = static_cast<std::uint32_t>(ns % 1'000'000'000);
  return t;
}

Result<Message> Parse(ByteSpan d, std::size_t received) {
  if (d.size() < kHeaderSize) return InvalidArgument("PTP message shorter than its 34-byte header");
  const std::byte* p = d.data();
  const auto type_nibble = static_cast<std::uint8_t>(static_cast<std::uint8_t>(p[0]) & 0x0F);
  if ((static_cast<std::uint8_t>(p[1]) & 0x0F) != 2) return InvalidArgument("PTP version is not 2");
  if (!Known(type_nibble)) return InvalidArgument("PTP message type not read by a slave");
  Message m;
  Header& h = m.header;
  h.type = static_cast<MessageType>(type_nibble);
  h.length = LoadBe16(p + 2);
  if (h.length > (received > d.size() ? received : d.size())) {
    return InvalidArgument("PTP messageLength beyond the datagram");
  }
  const std::size_t body = BodySize(h.type);
  if (h.length < kHeaderSize + body) return InvalidArgument("PTP message shorter than its type's body");
  if (d.size() < kHeaderSize + body) return InvalidArgument("PTP message cut before the end of its body");
  h.domain = static_cast<std::uint8_t>(p[4]);
  h.flags = LoadBe16(p + 6);
  h.correction = static_cast<std::int64_t>(LoadBe64(p + 8));
  h.source = LoadPortIdentity(p + 20);
  h.sequence = LoadBe16(p + 30);
  h.log_interval = static_cast<std::int8_t>(p[33]);
  const std::byte* b = p + kHeaderSize;
  Result<Timestamp> ts = LoadTimestamp(b);
  if (!ts.ok()) return ts.status();
  m.timestamp = *ts;
  if (h.type == MessageType::kDelayResp || h.type == MessageType::kPdelayResp ||
      h.type == MessageType::kPdelayRespFollowUp) {
    m.requesting = LoadPortIdentity(b + 10);
  }
  if (h.type == MessageType::kAnnounce) {
    m.announce = LoadAnnounce(b);
    const std::size_t end = h.length < d.size() ? h.length : d.size();
    m.announce.power = LoadPowerProfile(b + body, p + end);
  }
  return m;
}

std::size_t Write(std::span<std::byte> out, const Message& m) {
  const MessageType type = m.header.type;
  const bool delay_req = type == MessageType::kDelayReq;
  if (!delay_req && type != MessageType::kPdelayReq && type != MessageType::kPdelayResp &&
      type != MessageType::kPdelayRespFollowUp) {
    return 0;
  }
  const std::size_t size = delay_req ? kDelayReqSize : kPdelaySize;
  if (out.size() < size) return 0;
  std::byte* p = out.data();
  std::memset(p, 0, size);
  p[0] = static_cast<std::byte>(type);
  p[1] = std::byte{2};
  StoreBe16(p + 2, static_cast<std::uint16_t>(size));
  p[4] = static_cast<std::byte>(m.header.domain);
  StoreBe16(p + 6, m.header.flags);
  const auto correction = static_cast<std::uint64_t>(m.header.correction);
  StoreBe32(p + 8, static_cast<std::uint32_t>(correction >> 32));
  StoreBe32(p + 12, static_cast<std::uint32_t>(correction));
  StorePortIdentity(p + 20, m.header.source);
  StoreBe16(p + 30, m.header.sequence);
  p[32] = delay_req ? std::byte{1} : std::byte{5};  // controlField: Delay_Req, "all others"
  // logMessageInterval: 0x7F but in Pdelay_Req, which states its own (1 s here).
  p[33] = type == MessageType::kPdelayReq ? static_cast<std::byte>(m.header.log_interval) : std::byte{0x7F};
  StoreBe48(p + kHeaderSize, m.timestamp.seconds);
  StoreBe32(p + kHeaderSize + 6, m.timestamp.nanoseconds);
  if (type == MessageType::kPdelayResp || type == MessageType::kPdelayRespFollowUp) {
    StorePortIdentity(p + kHeaderSize + 10, m.requesting);
  }
  return size;
}

std::size_t WriteDelayReq(std::span<std::byte> out, const PortIdentity& source, std::uint8_t domain,
                          std::uint16_t sequence, const Timestamp& origin) {
  Message m;
  m.header.type = MessageType::kDelayReq;
  m.header.source = source;
  m.header.domain = domain;
  m.header.sequence = sequence;
  m.timestamp = origin;
  return Write(out, m);
}

int CompareDatasets(const Announce& a, const PortIdentity& a_sender, const Announce& b,
                    const PortIdentity& b_sender) {
  if (int c = Order(a.priority1, b.priority1)) return c;
  if (int c = Order(a.quality.clock_class, b.quality.clock_class)) return c;
  if (int c = Order(a.quality.accuracy, b.quality.accuracy)) return c;
  if (int c = Order(a.quality.variance, b.quality.variance)) return c;
  if (int c = Order(a.priority2, b.priority2)) return c;
  if (int c = OrderIdentity(a.grandmaster, b.grandmaster)) return c;
  if (int c = Order(a.steps_removed, b.steps_removed)) return c;
  if (int c = OrderIdentity(a_sender.clock, b_sender.clock)) return c;
  return Order(a_sender.port, b_sender.port);
}

}  // namespace pmu::proto::ptp
