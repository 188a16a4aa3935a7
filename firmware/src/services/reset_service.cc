#include "pmu/firmware/services/reset_service.h"

#include <cinttypes>
#include <cstring>

#include "pmu/proto/reset.h"

namespace pmu::firmware {
namespace {

constexpr const char* kTag = "reset";

// Printable, quoted text of a datagram for the log.
FixedString<80> Shown(ByteSpan data) {
  FixedString<80> s;
  for (std::byte b : data.first(std::min<std::size_t>(data.size(), 40))) {
    const auto c = std::to_integer<unsigned>(b);
    if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
      s.Append(static_cast<char>(c));
    } else {
      s.Format("\\x%02x", c);
    }
  }
  if (data.size() > 40) s.Append("...");
  return s;
}

}  // namespace

FernetReplayCache::Verdict FernetReplayCache::Check(const std::uint8_t (&tag)[16], std::int64_t expires_s,
                                                   std::int64_t now_s) {
  Entry* free_slot = nullptr;
  for (Entry& e : entries_) {
    const bool live = e.expires_s > now_s;
    if (live && std::memcmp(e.tag, tag, 16) == 0) return Verdict::kReplay;
    if (!live && free_slot == nullptr) free_slot = &e;
  }
  if (free_slot == nullptr) return Verdict::kFull;
  std::memcpy(free_slot->tag, tag, 16);
  free_slot->expires_s = expires_s;
  return Verdict::kNew;
}

Status ResetService::Start(std::uint16_t port) {
  milli_moves_ = std::uint32_t{ctx_.config.reset_max_rate} * 1000;  // a second's moves at once
  refilled_ms_ = ctx_.clock.MonotonicMs();
  if (!ctx_.config.reset_fernet_key.empty()) {
    const Result<proto::FernetKey> key = proto::ParseFernetKey(ctx_.config.reset_fernet_key.view());
    if (!key.ok()) return key.status();
    fernet_key_ = *key;
    fernet_ = true;
  }
  // At most one byte more than a request (or token) may have is kept: enough to tell
  // an oversized datagram.
  PMU_TRY(endpoint_.Open(port, datagram_, &ResetService::OnDatagram, this));
  const DeviceConfig& c = ctx_.config;
  PMU_LOG_INFO(ctx_.log, kTag, "listening on UDP port %u: loss %" PRIu32 ".%06" PRIu32 ", families %s%s%s", port,
               c.reset_loss_ppm / 1'000'000, c.reset_loss_ppm % 1'000'000, ResetFamiliesName(c.reset_families),
               c.reset_families == ResetFamilies::kAlternate ? " (each in turn)" : "",
               fernet_ ? ", Fernet tokens required" : "");
  return Status::Ok();
}

bool ResetService::Answers(bool ipv6, std::uint64_t now_ms) const {
  switch (ctx_.config.reset_families) {
    case ResetFamilies::kBoth: return true;
    case ResetFamilies::kIpv4: return !ipv6;
    case ResetFamilies::kIpv6: return ipv6;
    case ResetFamilies::kAlternate: {
      // IPv4 in even periods since boot, IPv6 in odd ones.
      const std::uint64_t period = now_ms / (std::uint64_t{ctx_.config.reset_alternate_s} * 1000);
      return (period % 2 == 1) == ipv6;
    }
  }
  return false;
}

void ResetService::OnDatagram(void* self, ByteSpan datagram, std::size_t size, const port::UdpPeer& from) {
  static_cast<ResetService*>(self)->Handle(datagram, size, from);
}

void ResetService::Handle(ByteSpan datagram, std::size_t total_size, const port::UdpPeer& from) {
  ++counters_.received;
  const std::uint64_t now = ctx_.clock.MonotonicMs();
  const bool ipv6 = from.ipv6;
  const port::PeerText peer = from.Text();
  if (!Answers(ipv6, now)) {
    ++counters_.inactive_family;
    PMU_LOG_DEBUG(ctx_.log, kTag, "%s ignored: not answering over IPv%c now", peer.c_str(), ipv6 ? '6' : '4');
    return;
  }
  if (prng_.Chance(ctx_.config.reset_loss_ppm)) {
    ++counters_.lost;
    PMU_LOG_DEBUG(ctx_.log, kTag, "%s request lost (emulated loss)", peer.c_str());
    return;
  }
  std::byte plaintext[proto::kMaxFernetTokenText];
  if (fernet_) {
    const Result<std::size_t> n = OpenToken(datagram, total_size, peer, plaintext);
    if (!n.ok()) return;
    datagram = ByteSpan(plaintext, *n);
    total_size = *n;
  }
  if (total_size > proto::kMaxResetDatagram) {
    ++counters_.malformed;
    PMU_LOG_WARN(ctx_.log, kTag, "%s ignored: oversized datagram of %u bytes", peer.c_str(),
                 static_cast<unsigned>(total_size));
    return;
  }
  const Result<proto::ResetRequest> request = proto::ParseResetRequest(datagram);
  if (!request.ok()) {
    ++counters_.malformed;
    PMU_LOG_WARN(ctx_.log, kTag, "%s ignored \"%s\": %s", peer.c_str(), Shown(datagram).c_str(),
                 request.status().message());
    return;
  }
  if (!request->token.empty()) {
    if (const auto first = cache_.Find(request->token, now)) {
      ++counters_.duplicates;
      PMU_LOG_INFO(ctx_.log, kTag, "%s RESET:%" PRIu32 ";id=%.*s repeated: OFFSET=%" PRIu32 " again, clock unchanged",
                   peer.c_str(), request->seconds, static_cast<int>(request->token.size()),
                   request->token.data(), *first);
      Answer(*first, from);
      return;
    }
  }
  // An unauthenticated peer must not be able to push the clock fast or far: new
  // requests have a rate, and the lab offset a bound.
  if (!TakeMove(now)) {
    ++counters_.rate_limited;
    PMU_LOG_WARN(ctx_.log, kTag, "%s RESET:%" PRIu32 " ignored: more than reset.max_rate (%u) a second",
                 peer.c_str(), request->seconds, static_cast<unsigned>(ctx_.config.reset_max_rate));
    return;
  }
  if (counters_.advanced_s + request->seconds > ctx_.config.reset_max_offset_s) {
    ++counters_.beyond_bound;
    PMU_LOG_WARN(ctx_.log, kTag, "%s RESET:%" PRIu32 " ignored: could move the clock past reset.max_offset_s (%" PRIu32
                 " s; moved %llu s so far)",
                 peer.c_str(), request->seconds, ctx_.config.reset_max_offset_s,
                 static_cast<unsigned long long>(counters_.advanced_s));
    return;
  }
  const auto offset = static_cast<std::uint32_t>(prng_.UniformInclusive(request->seconds));
  ctx_.clock.AdvanceNs(std::int64_t{offset} * 1'000'000'000);
  if (!request->token.empty()) cache_.Insert(request->token, offset, now);
  ++counters_.answered;
  counters_.advanced_s += offset;
  PMU_LOG_INFO(ctx_.log, kTag, "%s RESET:%" PRIu32 "%s%.*s -> OFFSET=%" PRIu32 ", clock offset now %+lld s", peer.c_str(),
               request->seconds, request->token.empty() ? "" : ";id=",
               static_cast<int>(request->token.size()), request->token.data(), offset,
               static_cast<long long>(ctx_.clock.offset_ns() / 1'000'000'000));
  Answer(offset, from);
}

bool ResetService::TakeMove(std::uint64_t now_ms) {
  const std::uint64_t full = std::uint64_t{ctx_.config.reset_max_rate} * 1000;
  const std::uint64_t refilled = milli_moves_ + (now_ms - refilled_ms_) * ctx_.config.reset_max_rate;
  milli_moves_ = static_cast<std::uint32_t>(refilled < full ? refilled : full);
  refilled_ms_ = now_ms;
  if (milli_moves_ < 1000) return false;
  milli_moves_ -= 1000;
  return true;
}

Result<std::size_t> ResetService::OpenToken(ByteSpan datagram, std::size_t total_size, const port::PeerText& peer,
                                            MutableByteSpan plaintext) {
  const auto reject = [&](const char* why) -> Status {
    ++counters_.fernet_rejected;
    PMU_LOG_WARN(ctx_.log, kTag, "%s Fernet token rejected: %s", peer.c_str(), why);
    return Status(StatusCode::kPermissionDenied, why);
  };
  if (total_size > proto::kMaxFernetTokenText) return reject("oversized datagram");
  std::string_view text = AsText(datagram);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.remove_suffix(1);
  if (text.substr(0, 6) == "RESET:") return reject("a plain request; this device requires a Fernet token");
  std::byte work[proto::kMaxFernetTokenText];
  const Result<proto::FernetToken> token = proto::ParseFernetToken(text, work);
  if (!token.ok()) return reject(token.status().message());
  std::uint8_t tag[16];
  std::memcpy(tag, token->hmac.data(), 16);
  const std::int64_t now_s = ctx_.clock.PlatformUtcNs() / 1'000'000'000;
  const std::uint32_t ttl = ctx_.config.reset_fernet_ttl_s;
  const Result<std::size_t> n = proto::FernetDecrypt(fernet_key_, text, now_s, ttl, work, plaintext);
  if (!n.ok()) return reject(n.status().message());
  const auto expires = static_cast<std::int64_t>(token->timestamp) + ttl + proto::kFernetMaxClockSkewS;
  switch (replays_.Check(tag, expires, now_s)) {
    case FernetReplayCache::Verdict::kNew: break;
    case FernetReplayCache::Verdict::kReplay: return reject("replayed token");
    case FernetReplayCache::Verdict::kFull: return reject("too many live tokens to guard against replays; try later");
  }
  return *n;
}

void ResetService::Answer(std::uint32_t offset, const port::UdpPeer& to) {
  char text[24];
  const std::size_t n = proto::FormatResetAnswer(offset, text);
  const Status s = endpoint_.SendTo(AsBytes(text, n), to);
  if (!s.ok()) PMU_LOG_WARN(ctx_.log, kTag, "answer OFFSET=%" PRIu32 " not sent: %s", offset, s.message());
}

bool ResetService::StatsLine(std::size_t index, ReportLine& t) const {
  if (index != 0) return false;
  const ResetCounters& r = counters_;
  t.Format("reset received=%" PRIu32 " inactive_family=%" PRIu32 " lost=%" PRIu32 " malformed=%" PRIu32
           " answered=%" PRIu32 " duplicates=%" PRIu32 " advanced_s=%llu fernet_rejected=%" PRIu32
           " rate_limited=%" PRIu32 " beyond_bound=%" PRIu32,
           r.received, r.inactive_family, r.lost, r.malformed, r.answered, r.duplicates,
           static_cast<unsigned long long>(r.advanced_s), r.fernet_rejected, r.rate_limited, r.beyond_bound);
  return true;
}

}  // namespace pmu::firmware
