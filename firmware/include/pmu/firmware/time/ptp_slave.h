// The PTP slave's state machine (IEEE 1588-2008 ordinary clock, slave only; end-to-end
// delay as the default profile has it, or peer delay as the power profile's, docs/
// PROTOCOL.md "Time: PTP slave"), without I/O: the service (services/ptp_service) hands
// it parsed messages with their link time stamps and sends what it asks for. Tests
// drive it directly.
//
//   LISTENING     no master qualified (after boot, or when the master went silent)
//   UNCALIBRATED  a master is selected; the servo has not locked yet
//   SLAVE         locked: the clock is disciplined and the error bound is vouched for
//
// Best master: every announcing master on the domain (up to kMaxForeign) is kept with
// its Announce; one is qualified after two Announces and until three of its announce
// intervals pass without one (announceReceiptTimeout 3); the best qualified is chosen
// by the dataset comparison (proto::ptp::CompareDatasets).
//
// Each Sync (with its Follow_Up when two-step) gives t1 (master) and t2 (device, the
// link time stamp); the slave then asks for a Delay_Req, whose send time stamp t3 and
// the master's Delay_Resp t4 give the path delay ((t2 - t1) + (t4 - t3)) / 2, the
// median of the last kDelayWindow. offset = t2 - t1 - delay goes to the servo.
//
// Peer delay instead: after each Sync the slave sends a Pdelay_Req (t1) to its link
// neighbour, which answers with the request's receipt time t2 (Pdelay_Resp, received
// at t4) and, two-step, its answer's send time t3 (Pdelay_Resp_Follow_Up): the link
// delay is ((t4 - t1) - (t3 - t2)) / 2, less the answers' corrections. The slave also
// answers a neighbour's Pdelay_Req the same way (its master measures the link too).
//
// The error bound when locked: the largest |offset| of the last kOffsetWindow samples,
// plus the mean path delay's magnitude (an asymmetric path can hide up to the whole
// one-way delay; a negative one is the stamps' own asymmetry), plus the link's stated
// time-stamp lateness (a stamp taken late on receive shifts every offset the same way,
// which no offset can show), plus the time inaccuracy the master states in its
// Announce's C37.238 TLV, if it sends one (the device is no closer to UTC than its
// master).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "pmu/firmware/device_clock.h"
#include "pmu/firmware/time/pi_servo.h"
#include "pmu/proto/ptp.h"

namespace pmu::firmware {

enum class PtpState : std::uint8_t { kListening, kUncalibrated, kSlave };
enum class DelayMechanism : std::uint8_t { kEndToEnd, kPeer };
const char* PtpStateName(PtpState s);  // "listening", "uncalibrated", "slave"

struct PtpCounters {
  std::uint32_t received = 0;
  std::uint32_t malformed = 0;
  std::uint32_t other_domain = 0;
  std::uint32_t announces = 0;
  std::uint32_t syncs = 0;          // complete Sync (and Follow_Up) pairs from the master
  std::uint32_t delay_requests = 0;   // Delay_Req or Pdelay_Req sent
  std::uint32_t delay_responses = 0;  // answers that gave a path delay
  std::uint32_t peer_requests = 0;    // a neighbour's Pdelay_Req answered
  std::uint32_t steps = 0;
  std::uint32_t master_changes = 0;
  std::uint32_t master_losses = 0;
  std::uint32_t outliers = 0;       // offsets beyond the step threshold skipped while locked
  std::uint32_t spikes = 0;         // offsets far beyond the recent ones skipped while locked
};

class PtpSlave {
 public:
  static constexpr std::size_t kMaxForeign = 4;
  static constexpr std::size_t kDelayWindow = 5;
  static constexpr std::size_t kOffsetWindow = 8;
  static constexpr std::uint32_t kLockSamples = 4;  // locked samples before SLAVE
  // Once locked, an offset beyond the servo's step threshold is skipped as an outlier
  // (a time stamp taken late on a busy host) unless this many come in a row. So is a
  // spike: an offset beyond kSpikeFactor times the largest |offset| of the window plus
  // kSpikeFloorNs (on the simulator's kernel stamps the offsets are within a few
  // microseconds but one Sync in a dozen is 50 to 170 us off, a stamp preempted; given
  // to a servo of gain 0.7, each such spike became a 25 us error that took seconds to
  // decay). A real change of phase is followed from its kOutlierLimit-th offset in a
  // row, and once in the window it widens the bound for those after it.
  static constexpr std::uint32_t kOutlierLimit = 4;
  static constexpr std::int64_t kSpikeFactor = 4;
  static constexpr std::int64_t kSpikeFloorNs = 10'000;

  explicit PtpSlave(DeviceClock& clock) : clock_(clock) {}
  // `stamp_uncertainty_ns`: how late the link's time stamps may be (hal::Link).
  void Configure(std::uint8_t domain, const proto::ptp::ClockIdentity& identity, std::uint32_t stamp_uncertainty_ns,
                 DelayMechanism mechanism = DelayMechanism::kEndToEnd);

  // What a received message asks the service to send now.
  enum class Reply : std::uint8_t { kNone, kDelayRequest, kPeerDelayAnswer };
  // A message from the link, time-stamped at `rx_ns` (monotonic).
  Reply Receive(const proto::ptp::Message& m, std::uint64_t rx_ns, std::uint64_t now_ns);
  // kDelayRequest: the Delay_Req (or Pdelay_Req) to send; then DelayReqSent with its
  // link time stamp (0: unknown, the exchange is abandoned).
  std::size_t WriteDelayReq(std::span<std::byte> out);
  void DelayReqSent(std::uint64_t tx_ns);
  // kPeerDelayAnswer: the Pdelay_Resp to send, then PeerDelayRespSent with its link
  // time stamp, then the Pdelay_Resp_Follow_Up to send (0 bytes when that stamp was
  // unknown: the neighbour's exchange is abandoned).
  std::size_t WritePeerDelayResp(std::span<std::byte> out) const;
  void PeerDelayRespSent(std::uint64_t tx_ns) { answer_t3_ns_ = tx_ns == 0 ? -1 : clock_.DisciplinedAt(tx_ns); }
  std::size_t WritePeerDelayRespFollowUp(std::span<std::byte> out) const;
  DelayMechanism mechanism() const { return mechanism_; }
  // A datagram on the PTP ports that did not parse.
  void Malformed() {
    ++counters_.received;
    ++counters_.malformed;
  }
  // Master timeouts (call at least twice a second).
  void Tick(std::uint64_t now_ns);

  PtpState state() const { return state_; }
  const PtpCounters& counters() const { return counters_; }
  bool has_master() const { return master_ >= 0; }
  proto::ptp::PortIdentity master() const;
  // The master's C37.238 TLV from its last Announce (present == false: it sent none).
  proto::ptp::PowerProfileTlv master_power_profile() const;
  std::int64_t last_offset_ns() const { return last_offset_ns_; }
  // The median of the recent path delays (see AddDelay: may be negative), once one is known.
  bool has_path_delay() const { return delay_valid_; }
  std::int64_t mean_path_delay_ns() const { return delay_ns_; }

 private:
  struct Foreign {
    bool used = false;
    proto::ptp::PortIdentity sender;
    proto::ptp::Announce announce;
    std::uint16_t flags = 0;
    std::uint16_t announces = 0;   // up to the qualifying threshold
    std::uint32_t last_ms = 0;     // monotonic, wrapping (differences only)
    std::uint32_t timeout_ms = 0;  // three announce intervals
  };

  void OnAnnounce(const proto::ptp::Message& m, std::uint64_t now_ns);
  void OnSync(const proto::ptp::Message& m, std::uint64_t rx_ns);
  bool OnFollowUp(const proto::ptp::Message& m);
  void OnDelayResp(const proto::ptp::Message& m);
  void OnPeerDelayResp(const proto::ptp::Message& m, std::uint64_t rx_ns);
  void OnPeerDelayRespFollowUp(const proto::ptp::Message& m);
  void PeerDelay(std::int64_t turnaround_ns);
  void SelectMaster(std::uint64_t now_ns);
  void DropMaster();
  bool FromMaster(const proto::ptp::Message& m) const;
  // The master's time stamp (plus correction, 2^-16 ns) on the UTC scale, in ns.
  std::int64_t MasterUtcNs(const proto::ptp::Timestamp& t, std::int64_t correction) const;
  bool SyncComplete(std::int64_t t1_ns);
  void AddDelay(std::int64_t delay_ns);
  std::int64_t WorstRecentOffsetNs() const;  // the largest |offset| of the window
  void Discipline(std::int64_t offset_ns);

  DeviceClock& clock_;
  PiServo servo_;
  std::uint8_t domain_ = 0;
  DelayMechanism mechanism_ = DelayMechanism::kEndToEnd;
  std::uint32_t stamp_uncertainty_ns_ = 0;
  proto::ptp::PortIdentity self_;
  PtpState state_ = PtpState::kListening;
  PtpCounters counters_;
  Foreign foreign_[kMaxForeign];
  int master_ = -1;
  // The Sync being completed.
  std::uint16_t sync_sequence_ = 0;
  bool sync_waiting_ = false;
  std::uint64_t sync_rx_ns_ = 0;
  std::int64_t sync_correction_ = 0;
  std::uint32_t sync_interval_ms_ = 1000;
  // t2 - t1 of the last complete Sync, and the clock epoch (steps) it was taken in.
  std::int64_t master_to_slave_ns_ = 0;
  std::uint32_t master_to_slave_epoch_ = 0;
  // The Delay_Req in flight.
  std::uint16_t delay_sequence_ = 0;
  bool delay_waiting_ = false;
  std::int64_t delay_t3_ns_ = 0;  // our request's send time (t1 of a peer delay exchange)
  std::uint32_t delay_epoch_ = 0;
  // Peer delay: the neighbour's Pdelay_Resp awaiting its Follow_Up.
  bool peer_waiting_follow_up_ = false;
  proto::ptp::PortIdentity peer_;
  std::int64_t peer_t4_ns_ = 0;
  std::int64_t peer_t2_ns_ = 0;
  std::int64_t peer_correction_ = 0;
  // The neighbour's Pdelay_Req being answered.
  proto::ptp::PortIdentity answer_source_;
  std::uint16_t answer_sequence_ = 0;
  std::uint8_t answer_domain_ = 0;
  std::int64_t answer_correction_ = 0;
  std::int64_t answer_t2_ns_ = 0;
  std::int64_t answer_t3_ns_ = -1;
  std::int32_t delays_[kDelayWindow] = {};  // ns; a path of up to 2 s
  std::size_t delay_count_ = 0;
  std::int64_t delay_ns_ = 0;
  bool delay_valid_ = false;
  std::int32_t offsets_[kOffsetWindow] = {};  // ns; locked offsets are within the step threshold
  std::size_t offset_count_ = 0;
  std::int64_t last_offset_ns_ = 0;
  std::uint32_t locked_samples_ = 0;
  std::uint32_t outliers_in_row_ = 0;
  std::uint32_t epoch_ = 0;  // steps of the clock so far
};

}  // namespace pmu::firmware
