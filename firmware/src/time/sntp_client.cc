#include "pmu/firmware/time/sntp_client.h"

#include <algorithm>

namespace pmu::firmware {
namespace {

namespace ntp = proto::ntp;

constexpr std::int64_t kOutlierSlackNs = 1'000'000;

std::int64_t Abs(std::int64_t v) { return v < 0 ? -v : v; }

}  // namespace

const char* SntpStateName(SntpState s) {
  switch (s) {
    case SntpState::kWaiting: return "waiting";
    case SntpState::kLocked: return "locked";
    case SntpState::kHoldover: return "holdover";
  }
  return "?";
}

void SntpClient::Configure(std::uint32_t poll_ms, std::uint32_t stamp_uncertainty_ns, std::uint32_t drift_ppb) {
  poll_ms_ = poll_ms;
  stamp_uncertainty_ns_ = stamp_uncertainty_ns;
  drift_ppb_ = drift_ppb;
  servo_ = PiServo::ForInterval(poll_ms);
}

bool SntpClient::Due(std::uint64_t now_ns) const { return !stopped_ && now_ns >= next_request_ns_; }

std::size_t SntpClient::WriteRequest(std::span<std::byte> out, std::uint64_t now_ns) {
  // Our transmit time stamp is the nonce the reply must echo: the disciplined time now,
  // never sent twice (a clock that has not moved since the last one gets a nanosecond).
  std::uint64_t transmit = ntp::FromUnixNs(clock_.DisciplinedAt(now_ns));
  if (transmit <= request_transmit_) transmit = request_transmit_ + 1;
  const std::size_t n = ntp::WriteRequest(out, transmit);
  if (n == 0) return 0;
  request_transmit_ = transmit;
  request_written_ns_ = now_ns;
  outstanding_ = true;
  next_request_ns_ = now_ns + std::uint64_t{poll_ms_} * 1'000'000;
  ++counters_.requests;
  return n;
}

Status SntpClient::Receive(ByteSpan datagram, std::uint64_t rx_ns) {
  const Result<ntp::Packet> parsed = ntp::Parse(datagram);
  if (!parsed.ok()) {
    ++counters_.malformed;
    return parsed.status();
  }
  ++counters_.replies;
  const ntp::Packet& p = *parsed;
  if (!outstanding_) {
    ++counters_.refused;
    return InvalidArgument("a reply with no request outstanding");
  }
  if (const Status answer = ntp::AnswerTo(p, request_transmit_); !answer.ok()) {
    if (p.stratum == 0 && p.origin == request_transmit_ && p.mode == static_cast<std::uint8_t>(ntp::Mode::kServer)) {
      ++counters_.kisses;
      outstanding_ = false;
      if (p.reference_id == ntp::kKissRate) {
        poll_ms_ = std::min(poll_ms_ * 2, kMaxPollMs);
        servo_ = PiServo::ForInterval(poll_ms_);
      } else if (p.reference_id == ntp::kKissDeny || p.reference_id == ntp::kKissRestrict) {
        stopped_ = true;
      }
    } else {
      ++counters_.refused;
    }
    return answer;
  }
  outstanding_ = false;  // one reply per request: a duplicate is refused above
  // The four instants on the device's disciplined scale (no reset offset).
  const std::int64_t t1 = clock_.DisciplinedAt(request_written_ns_);
  const std::int64_t t4 = clock_.DisciplinedAt(rx_ns);
  const std::int64_t t2 = ntp::ToUnixNs(p.receive, t1);
  const std::int64_t t3 = ntp::ToUnixNs(p.transmit, t4);
  const std::int64_t delay = (t4 - t1) - (t3 - t2);
  if (delay < 0 || t3 < t2) {
    ++counters_.refused;
    return InvalidArgument("a reply whose times do not add up (negative round trip)");
  }
  const std::int64_t offset = ((t2 - t1) + (t3 - t4)) / 2;
  stratum_ = p.stratum;
  last_delay_ns_ = delay;
  if (Outlier(delay)) {
    ++counters_.outliers;
    return InvalidArgument("a reply that waited in a queue (round trip beyond the recent ones)");
  }
  ++counters_.used;
  last_used_ns_ = rx_ns;
  Discipline(offset, rx_ns, ntp::ShortToNs(p.root_delay) / 2 + ntp::ShortToNs(p.root_dispersion) +
                                static_cast<std::uint64_t>(delay / 2));
  return Status::Ok();
}

bool SntpClient::Outlier(std::int64_t delay_ns) {
  const std::size_t n = std::min(delay_count_, kDelayWindow);
  std::int64_t smallest = delay_ns;
  for (std::size_t i = 0; i < n; ++i) smallest = std::min(smallest, delays_[i]);
  delays_[delay_count_ % kDelayWindow] = delay_ns;
  ++delay_count_;
  return n >= 2 && delay_ns > 2 * smallest + kOutlierSlackNs;
}

void SntpClient::Discipline(std::int64_t offset_ns, std::uint64_t rx_ns, std::uint64_t server_distance_ns) {
  // The servo's offsets are device minus reference.
  const std::int64_t device_minus_server = -offset_ns;
  last_offset_ns_ = device_minus_server;
  const auto interval_ms = static_cast<std::uint32_t>(
      last_sample_ns_ == 0 ? poll_ms_ : std::min<std::uint64_t>((rx_ns - last_sample_ns_) / 1'000'000, kMaxPollMs));
  last_sample_ns_ = rx_ns;
  const PiServo::Output out = servo_.Sample(device_minus_server, rx_ns, interval_ms);
  clock_.SetFrequencyPpt(out.frequency_ppt);
  if (out.state == PiServo::State::kJump) {
    clock_.StepNs(out.step_ns);
    ++counters_.steps;
    offset_count_ = 0;
    locked_samples_ = 0;
    return;
  }
  if (out.state != PiServo::State::kLocked) {
    locked_samples_ = 0;
    if (state_ == SntpState::kLocked) {
      state_ = SntpState::kHoldover;
      ++counters_.losses;
      clock_.LostReference();
    }
    return;
  }
  offsets_[offset_count_ % kOffsetWindow] = Abs(device_minus_server);
  ++offset_count_;
  if (++locked_samples_ < kLockSamples) return;
  std::int64_t worst = 0;
  for (std::size_t i = 0; i < std::min(offset_count_, kOffsetWindow); ++i) worst = std::max(worst, offsets_[i]);
  // How far off the learnt frequency may still be: an offset of `worst` left after a
  // correction shows within one poll, so the frequency is known to about worst / poll;
  // twice that, to be safe. The clock's error grows at that rate on top of the
  // oscillator's stated stability, until the next reply and in holdover alike (with
  // millisecond replies every 2 s, as a board under QEMU gets, hundreds of ppm: a
  // bound that grew by the stated 1 ppm alone was exceeded within seconds).
  const std::uint64_t poll_ns = std::uint64_t{poll_ms_} * 1'000'000;
  const std::uint64_t unlearnt_ppb = static_cast<std::uint64_t>(worst) * 2'000'000'000 / poll_ns;
  const std::uint64_t rate_ppb = std::min<std::uint64_t>(drift_ppb_ + unlearnt_ppb, 1'000'000);
  clock_.set_holdover_drift_ppb(static_cast<std::uint32_t>(rate_ppb));
  state_ = SntpState::kLocked;
  clock_.Locked(static_cast<std::uint64_t>(worst) + server_distance_ns + stamp_uncertainty_ns_ +
                rate_ppb * poll_ms_ / 1000);
}

void SntpClient::Tick(std::uint64_t now_ns) {
  if (state_ != SntpState::kLocked) return;
  if (now_ns - last_used_ns_ > std::uint64_t{kLostPolls} * poll_ms_ * 1'000'000) {
    state_ = SntpState::kHoldover;
    ++counters_.losses;
    locked_samples_ = 0;
    clock_.LostReference();
  }
}

}  // namespace pmu::firmware
