#include "pmu/firmware/time/ptp_slave.h"

#include <algorithm>

namespace pmu::firmware {
namespace {

namespace ptp = proto::ptp;

constexpr std::uint32_t kForeignThreshold = 2;  // Announces before a master qualifies
constexpr std::uint64_t kNsPerMs = 1'000'000;

// 2^log seconds in ns, for logMessageInterval from -7 (7.8 ms) to 6 (64 s).
std::uint64_t IntervalNs(std::int8_t log) {
  if (log < -7) log = -7;
  if (log > 6) log = 6;
  return log >= 0 ? 1'000'000'000ull << log : 1'000'000'000ull >> -log;
}

// Milliseconds of the monotonic clock, wrapping every 49 days: only differences of
// seconds are taken.
std::uint32_t Ms(std::uint64_t ns) { return static_cast<std::uint32_t>(ns / kNsPerMs); }

}  // namespace

const char* PtpStateName(PtpState s) {
  switch (s) {
    case PtpState::kListening: return "listening";
    case PtpState::kUncalibrated: return "uncalibrated";
    case PtpState::kSlave: return "slave";
  }
  return "?";
}

void PtpSlave::Configure(std::uint8_t domain, const ptp::ClockIdentity& identity, std::uint32_t stamp_uncertainty_ns,
                         DelayMechanism mechanism) {
  domain_ = domain;
  mechanism_ = mechanism;
  stamp_uncertainty_ns_ = stamp_uncertainty_ns;
  self_.clock = identity;
  self_.port = 1;
}

ptp::PortIdentity PtpSlave::master() const { return master_ >= 0 ? foreign_[master_].sender : ptp::PortIdentity{}; }

ptp::PowerProfileTlv PtpSlave::master_power_profile() const {
  return master_ >= 0 ? foreign_[master_].announce.power : ptp::PowerProfileTlv{};
}

PtpSlave::Reply PtpSlave::Receive(const ptp::Message& m, std::uint64_t rx_ns, std::uint64_t now_ns) {
  ++counters_.received;
  if (m.header.domain != domain_) {
    ++counters_.other_domain;
    return Reply::kNone;
  }
  if (m.header.source.clock == self_.clock) return Reply::kNone;  // our own message looped back
  const bool peer = mechanism_ == DelayMechanism::kPeer;
  switch (m.header.type) {
    case ptp::MessageType::kAnnounce: OnAnnounce(m, now_ns); return Reply::kNone;
    case ptp::MessageType::kSync:
      if (!FromMaster(m)) return Reply::kNone;
      OnSync(m, rx_ns);
      // One-step: the Sync carries t1.
      if ((m.header.flags & ptp::kFlagTwoStep) == 0) {
        sync_waiting_ = false;
        return SyncComplete(MasterUtcNs(m.timestamp, m.header.correction)) ? Reply::kDelayRequest : Reply::kNone;
      }
      return Reply::kNone;
    case ptp::MessageType::kFollowUp:
      return FromMaster(m) && OnFollowUp(m) ? Reply::kDelayRequest : Reply::kNone;
    case ptp::MessageType::kDelayResp:
      if (!peer && FromMaster(m)) OnDelayResp(m);
      return Reply::kNone;
    case ptp::MessageType::kDelayReq: return Reply::kNone;  // another slave's
    case ptp::MessageType::kPdelayReq:
      if (!peer) return Reply::kNone;
      answer_source_ = m.header.source;
      answer_sequence_ = m.header.sequence;
      answer_domain_ = m.header.domain;
      answer_correction_ = m.header.correction;
      answer_t2_ns_ = clock_.DisciplinedAt(rx_ns);
      answer_t3_ns_ = -1;
      ++counters_.peer_requests;
      return Reply::kPeerDelayAnswer;
    case ptp::MessageType::kPdelayResp:
      if (peer) OnPeerDelayResp(m, rx_ns);
      return Reply::kNone;
    case ptp::MessageType::kPdelayRespFollowUp:
      if (peer) OnPeerDelayRespFollowUp(m);
      return Reply::kNone;
  }
  return Reply::kNone;
}

bool PtpSlave::FromMaster(const ptp::Message& m) const {
  return master_ >= 0 && m.header.source == foreign_[master_].sender;
}

std::int64_t PtpSlave::MasterUtcNs(const ptp::Timestamp& t, std::int64_t correction) const {
  std::int64_t ns = t.Ns() + (correction >> 16);
  // PTP timescale is TAI: UTC is currentUtcOffset seconds behind. Without the flag the
  // timescale is arbitrary; ptp4l on the system clock sends UTC that way.
  const Foreign& f = foreign_[master_];
  if ((f.flags & ptp::kFlagPtpTimescale) != 0) ns -= std::int64_t{f.announce.utc_offset} * 1'000'000'000;
  return ns;
}

void PtpSlave::OnAnnounce(const ptp::Message& m, std::uint64_t now_ns) {
  ++counters_.announces;
  if (m.announce.steps_removed >= 255) return;
  Foreign* slot = nullptr;
  for (Foreign& f : foreign_) {
    if (f.used && f.sender == m.header.source) slot = &f;
  }
  if (slot == nullptr) {
    for (Foreign& f : foreign_) {
      if (!f.used) {
        slot = &f;
        break;
      }
    }
    if (slot == nullptr) return;  // table full: the known masters are kept
    *slot = Foreign{};
    slot->used = true;
    slot->sender = m.header.source;
  }
  slot->announce = m.announce;
  slot->flags = m.header.flags;
  if (slot->announces < kForeignThreshold) ++slot->announces;
  slot->last_ms = Ms(now_ns);
  slot->timeout_ms = static_cast<std::uint32_t>(3 * IntervalNs(m.header.log_interval) / kNsPerMs);
  SelectMaster(now_ns);
}

void PtpSlave::SelectMaster(std::uint64_t now_ns) {
  int best = -1;
  for (int i = 0; i < static_cast<int>(kMaxForeign); ++i) {
    const Foreign& f = foreign_[i];
    if (!f.used || f.announces < kForeignThreshold || Ms(now_ns) - f.last_ms > f.timeout_ms) continue;
    if (best < 0 || ptp::CompareDatasets(f.announce, f.sender, foreign_[best].announce, foreign_[best].sender) < 0) {
      best = i;
    }
  }
  if (best < 0 || best == master_) return;
  master_ = best;
  ++counters_.master_changes;
  state_ = PtpState::kUncalibrated;
  servo_.Reset();
  sync_waiting_ = delay_waiting_ = delay_valid_ = false;
  delay_count_ = offset_count_ = 0;
  locked_samples_ = 0;
}

void PtpSlave::DropMaster() {
  ++counters_.master_losses;
  foreign_[master_].used = false;
  master_ = -1;
  state_ = PtpState::kListening;
  clock_.LostReference();
}

void PtpSlave::Tick(std::uint64_t now_ns) {
  const std::uint32_t now_ms = Ms(now_ns);
  if (master_ >= 0 && now_ms - foreign_[master_].last_ms > foreign_[master_].timeout_ms) {
    DropMaster();
    SelectMaster(now_ns);  // another qualified master, if any
  }
  for (Foreign& f : foreign_) {
    if (f.used && now_ms - f.last_ms > 2 * f.timeout_ms) f.used = false;
  }
}

void PtpSlave::OnSync(const ptp::Message& m, std::uint64_t rx_ns) {
  sync_sequence_ = m.header.sequence;
  sync_waiting_ = true;
  sync_rx_ns_ = rx_ns;
  sync_correction_ = m.header.correction;
  sync_interval_ms_ = static_cast<std::uint32_t>(IntervalNs(m.header.log_interval) / kNsPerMs);
}

bool PtpSlave::OnFollowUp(const ptp::Message& m) {
  if (!sync_waiting_ || m.header.sequence != sync_sequence_) return false;
  sync_waiting_ = false;
  return SyncComplete(MasterUtcNs(m.timestamp, m.header.correction + sync_correction_));
}

bool PtpSlave::SyncComplete(std::int64_t t1_ns) {
  ++counters_.syncs;
  const std::int64_t t2_ns = clock_.DisciplinedAt(sync_rx_ns_);
  master_to_slave_ns_ = t2_ns - t1_ns;
  master_to_slave_epoch_ = epoch_;
  if (delay_valid_) Discipline(master_to_slave_ns_ - delay_ns_);
  // A new Delay_Req every Sync: one whose answer was lost is superseded.
  return true;
}

std::size_t PtpSlave::WriteDelayReq(std::span<std::byte> out) {
  ++delay_sequence_;
  peer_waiting_follow_up_ = false;
  ptp::Message m;
  m.header.type = mechanism_ == DelayMechanism::kPeer ? ptp::MessageType::kPdelayReq : ptp::MessageType::kDelayReq;
  m.header.source = self_;
  m.header.domain = domain_;
  m.header.sequence = delay_sequence_;
  // Pdelay_Req states its interval: one a second, the power profile's. The device sends
  // one per Sync, which is that with a power profile master and more with a faster one.
  m.header.log_interval = 0;
  // An estimate of the send time: two-step and peer delay exchanges do not use it.
  m.timestamp = ptp::Timestamp::FromNs(clock_.DisciplinedAt(clock_.MonotonicNs()));
  return ptp::Write(out, m);
}

std::size_t PtpSlave::WritePeerDelayResp(std::span<std::byte> out) const {
  // Two-step: t2 here, t3 in the Follow_Up, the request's correction in the Follow_Up.
  ptp::Message m;
  m.header.type = ptp::MessageType::kPdelayResp;
  m.header.source = self_;
  m.header.domain = answer_domain_;
  m.header.sequence = answer_sequence_;
  m.header.flags = ptp::kFlagTwoStep;
  m.timestamp = ptp::Timestamp::FromNs(answer_t2_ns_);
  m.requesting = answer_source_;
  return ptp::Write(out, m);
}

std::size_t PtpSlave::WritePeerDelayRespFollowUp(std::span<std::byte> out) const {
  if (answer_t3_ns_ < 0) return 0;
  ptp::Message m;
  m.header.type = ptp::MessageType::kPdelayRespFollowUp;
  m.header.source = self_;
  m.header.domain = answer_domain_;
  m.header.sequence = answer_sequence_;
  m.header.correction = answer_correction_;
  m.timestamp = ptp::Timestamp::FromNs(answer_t3_ns_);
  m.requesting = answer_source_;
  return ptp::Write(out, m);
}

void PtpSlave::DelayReqSent(std::uint64_t tx_ns) {
  if (tx_ns == 0) return;
  ++counters_.delay_requests;
  delay_waiting_ = true;
  delay_t3_ns_ = clock_.DisciplinedAt(tx_ns);
  delay_epoch_ = epoch_;
}

void PtpSlave::OnDelayResp(const ptp::Message& m) {
  if (!delay_waiting_ || m.header.sequence != delay_sequence_ || !(m.requesting == self_)) return;
  delay_waiting_ = false;
  ++counters_.delay_responses;
  // A step between the two halves makes them disagree: wait for the next pair.
  if (delay_epoch_ != epoch_ || master_to_slave_epoch_ != epoch_) return;
  const std::int64_t t4_ns = MasterUtcNs(m.timestamp, -m.header.correction);
  const std::int64_t slave_to_master = t4_ns - delay_t3_ns_;
  AddDelay((master_to_slave_ns_ + slave_to_master) / 2);
}

void PtpSlave::OnPeerDelayResp(const ptp::Message& m, std::uint64_t rx_ns) {
  if (!delay_waiting_ || m.header.sequence != delay_sequence_ || !(m.requesting == self_)) return;
  delay_waiting_ = false;
  if (delay_epoch_ != epoch_) return;  // stepped since the request: its t1 is on the old scale
  peer_t4_ns_ = clock_.DisciplinedAt(rx_ns);
  if ((m.header.flags & ptp::kFlagTwoStep) == 0) {
    // One-step: the neighbour's turnaround (t3 - t2) is in the correction.
    PeerDelay(m.header.correction >> 16);
    return;
  }
  peer_waiting_follow_up_ = true;
  peer_ = m.header.source;
  peer_t2_ns_ = m.timestamp.Ns();
  peer_correction_ = m.header.correction;
}

void PtpSlave::OnPeerDelayRespFollowUp(const ptp::Message& m) {
  if (!peer_waiting_follow_up_ || m.header.sequence != delay_sequence_ || !(m.requesting == self_) ||
      !(m.header.source == peer_)) {
    return;
  }
  peer_waiting_follow_up_ = false;
  if (delay_epoch_ != epoch_) return;
  // t3 - t2 on the neighbour's clock, less what it says the frames waited beyond it.
  PeerDelay(m.timestamp.Ns() - peer_t2_ns_ + ((peer_correction_ + m.header.correction) >> 16));
}

void PtpSlave::PeerDelay(std::int64_t turnaround_ns) {
  ++counters_.delay_responses;
  AddDelay((peer_t4_ns_ - delay_t3_ns_ - turnaround_ns) / 2);
}

void PtpSlave::AddDelay(std::int64_t delay) {
  // Kept signed: stamps taken at different depths on the two sides (software stamps on
  // a TAP) make a short path come out negative, and clamping it at zero would put the
  // whole asymmetry into the offset instead of half of it. Bounded to the int32 window.
  const auto delay_ns = static_cast<std::int32_t>(delay < -2'000'000'000 ? -2'000'000'000
                                                  : delay > 2'000'000'000 ? 2'000'000'000
                                                                          : delay);
  if (delay_count_ < kDelayWindow) {
    delays_[delay_count_++] = delay_ns;
  } else {
    std::copy(delays_ + 1, delays_ + kDelayWindow, delays_);
    delays_[kDelayWindow - 1] = delay_ns;
  }
  // The median, by insertion into a copy (five values: no library sort).
  std::int32_t sorted[kDelayWindow];
  for (std::size_t i = 0; i < delay_count_; ++i) {
    std::size_t j = i;
    for (; j > 0 && sorted[j - 1] > delays_[i]; --j) sorted[j] = sorted[j - 1];
    sorted[j] = delays_[i];
  }
  delay_ns_ = sorted[delay_count_ / 2];
  delay_valid_ = true;
}

std::int64_t PtpSlave::WorstRecentOffsetNs() const {
  const std::size_t n = offset_count_ < kOffsetWindow ? offset_count_ : kOffsetWindow;
  std::int64_t worst = 0;
  for (std::size_t i = 0; i < n; ++i) worst = std::max<std::int64_t>(worst, offsets_[i] < 0 ? -offsets_[i] : offsets_[i]);
  return worst;
}

void PtpSlave::Discipline(std::int64_t offset_ns) {
  last_offset_ns_ = offset_ns;
  const std::int64_t magnitude = offset_ns < 0 ? -offset_ns : offset_ns;
  const bool far = magnitude > PiServo::kStepThresholdNs;
  const bool spike = !far && state_ == PtpState::kSlave && magnitude > kSpikeFactor * WorstRecentOffsetNs() + kSpikeFloorNs;
  if ((far || spike) && state_ == PtpState::kSlave && ++outliers_in_row_ < kOutlierLimit) {
    ++(far ? counters_.outliers : counters_.spikes);
    return;
  }
  outliers_in_row_ = 0;
  const PiServo::Output out = servo_.Sample(offset_ns, sync_rx_ns_, sync_interval_ms_);
  clock_.SetFrequencyPpt(out.frequency_ppt);
  if (out.state == PiServo::State::kJump) {
    clock_.StepNs(out.step_ns);
    ++counters_.steps;
    ++epoch_;
    offset_count_ = 0;
    locked_samples_ = 0;
    return;
  }
  if (out.state != PiServo::State::kLocked) {
    // Started over (an offset beyond the step threshold): no longer vouched for.
    locked_samples_ = 0;
    if (state_ == PtpState::kSlave) {
      state_ = PtpState::kUncalibrated;
      clock_.LostReference();
    }
    return;
  }
  const std::int64_t limit = PiServo::kStepThresholdNs * 4;
  offsets_[offset_count_ % kOffsetWindow] =
      static_cast<std::int32_t>(offset_ns > limit ? limit : offset_ns < -limit ? -limit : offset_ns);
  ++offset_count_;
  if (++locked_samples_ < kLockSamples) return;
  const std::int64_t worst = WorstRecentOffsetNs();
  state_ = PtpState::kSlave;
  clock_.Locked(static_cast<std::uint64_t>(worst + (delay_ns_ < 0 ? -delay_ns_ : delay_ns_)) + stamp_uncertainty_ns_ +
                master_power_profile().inaccuracy_ns);
}

}  // namespace pmu::firmware
