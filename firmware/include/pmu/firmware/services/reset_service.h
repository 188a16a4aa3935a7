// The clock reset service (docs/PROTOCOL.md "Clock reset service", UDP 5004).
//
// For each datagram, in this order:
//   1. over a family that is not answering now (reset.families): ignored;
//   2. the lossy path: discarded with probability reset.loss, before anything else;
//   2b. with reset.fernet_key set, the datagram must be a Fernet token (valid HMAC,
//      younger than reset.fernet_ttl_s by the platform's clock, never seen before)
//      whose plaintext is the request; anything else is logged and gets no answer;
//   3. parsed (proto/reset.h); malformed, out-of-range or oversized: logged, ignored;
//   4. RESET:n;id=T seen before (ResetIdCache): the first answer again, clock untouched;
//   5. otherwise X uniform in 0..n, the device clock advances X s, answer OFFSET=X.
// Random choices come from the device's PRNG (seeded from the HAL entropy).
#pragma once

#include <cstdint>

#include "pmu/base/report.h"
#include "pmu/base/status.h"
#include "pmu/firmware/random.h"
#include "pmu/firmware/services/reset_id_cache.h"
#include "pmu/firmware/services/service_context.h"
#include "pmu/port/udp_endpoint.h"
#include "pmu/proto/fernet.h"

namespace pmu::firmware {

struct ResetCounters {
  std::uint32_t received = 0;
  std::uint32_t inactive_family = 0;  // ignored: that family is not answering now
  std::uint32_t lost = 0;             // discarded by the loss emulation
  std::uint32_t malformed = 0;
  std::uint32_t answered = 0;         // new requests: the clock moved
  std::uint32_t duplicates = 0;       // repeated identifiers: first answer again
  std::uint64_t advanced_s = 0;       // total seconds the clock was moved
  std::uint32_t fernet_rejected = 0;  // bad, expired, replayed or missing tokens
  std::uint32_t rate_limited = 0;     // new requests beyond reset.max_rate: ignored
  std::uint32_t beyond_bound = 0;     // new requests that could take the total past reset.max_offset_s
};

// Tokens accepted lately, so that a replay is refused: remembered until they would
// have expired anyway. When every slot holds a live token, new tokens are refused
// rather than an old one forgotten (forgetting would let its replay through).
class FernetReplayCache {
 public:
  static constexpr std::size_t kCapacity = 64;
  enum class Verdict : std::uint8_t { kNew, kReplay, kFull };
  // Remembers `tag` until `expires_s` if it is new.
  Verdict Check(const std::uint8_t (&tag)[16], std::int64_t expires_s, std::int64_t now_s);

 private:
  struct Entry {
    std::uint8_t tag[16];
    std::int64_t expires_s = 0;
  };
  Entry entries_[kCapacity] = {};
};

class ResetService final : public StatsReporter {
 public:
  ResetService(const ServiceContext& context, DevicePrng& prng) : ctx_(context), prng_(prng) {}
  Status Start(std::uint16_t port);
  const ResetCounters& counters() const { return counters_; }
  bool StatsLine(std::size_t index, ReportLine& line) const override;
  // Whether the service answers requests over IPv6 (else IPv4) at this moment.
  bool Answers(bool ipv6, std::uint64_t now_ms) const;

 private:
  static void OnDatagram(void* self, ByteSpan datagram, std::size_t size, const port::UdpPeer& from);
  void Handle(ByteSpan datagram, std::size_t total_size, const port::UdpPeer& from);
  // Whether a new request may move the clock now (reset.max_rate), taking its share.
  bool TakeMove(std::uint64_t now_ms);
  void Answer(std::uint32_t offset, const port::UdpPeer& to);
  // Checks and decrypts a Fernet token; logs and counts a rejection.
  Result<std::size_t> OpenToken(ByteSpan datagram, std::size_t total_size, const port::PeerText& peer,
                                MutableByteSpan plaintext);

  ServiceContext ctx_;
  DevicePrng& prng_;
  port::UdpEndpoint endpoint_;
  std::byte datagram_[proto::kMaxFernetTokenText + 1];
  ResetIdCache cache_;
  ResetCounters counters_;
  // The rate limit's bucket: a thousandth of a clock move, refilled reset.max_rate a second.
  std::uint32_t milli_moves_ = 0;
  std::uint64_t refilled_ms_ = 0;
  bool fernet_ = false;
  proto::FernetKey fernet_key_{};
  FernetReplayCache replays_;
};

}  // namespace pmu::firmware
